"""The library's filtered result set as CSV (CONTRACT.md `/resources/export.csv`).

Streamed in constant memory: rows are read from a server-side cursor in chunks (each chunk
with its countries, regions and authors prefetched) and written out a buffer at a time.
"""

import csv
import io
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from .filters import LibraryQuery
from .models import Resource
from .views import published_resources

CHUNK_SIZE = 2000  # rows fetched, and prefetched for, at a time
BUFFER_SIZE = 64 * 1024  # characters written out at a time: 64 KiB
# Field names rather than translated labels: spreadsheets and scripts key on them.
HEADER = [
    "title",
    "url",
    "year",
    "category",
    "countries",
    "regions",
    "authors",
    "publisher",
    "language",
    "summary",
    "external_url",
    "file_url",
]
LIST_SEPARATOR = "; "
# A cell starting with one of these is read as a formula by Excel, LibreOffice and Google
# Sheets ("=HYPERLINK(...)" in a title would run when the file is opened). OWASP, CSV
# Injection: https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """Return value, with text a spreadsheet would take for a formula prefixed by '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def row(resource: Resource) -> list:
    """Return the cells of one resource (needs countries, regions, authorships prefetched)."""
    cells = [
        resource.title,
        absolute(resource.get_absolute_url()),
        resource.year or "",
        resource.category.name if resource.category else "",
        LIST_SEPARATOR.join(country.name for country in resource.countries.all()),
        LIST_SEPARATOR.join(region.name for region in resource.regions.all()),
        LIST_SEPARATOR.join(author.name for author in resource.ordered_authors()),
        resource.publisher,
        resource.language,
        resource.summary,
        resource.external_url,
        absolute(resource.file.url) if resource.file else "",
    ]
    return [neutralised(cell) for cell in cells]


def csv_lines(resources) -> Iterator[str]:
    """Yield the CSV of resources, a header first, in pieces of about BUFFER_SIZE."""
    buffer = io.StringIO()
    # Excel reads a CSV without a byte order mark as the system's legacy code page, so
    # "Częstochowa" would open as "CzÄ™stochowa"; the BOM tells it the file is UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    # iterator(chunk_size) reads from a server-side cursor and, since Django 5.0, runs the
    # prefetches per chunk: memory stays bounded by CHUNK_SIZE rows, whatever the total.
    for resource in resources.iterator(chunk_size=CHUNK_SIZE):
        writer.writerow(row(resource))
        if buffer.tell() >= BUFFER_SIZE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def filename() -> str:
    return f"traffickingwatch-resources-{timezone.localdate().isoformat()}.csv"


@require_GET
def resource_export(request: HttpRequest) -> StreamingHttpResponse:
    """Stream as CSV every resource the library lists for the same parameters, all pages.

    `page` is ignored: the export is the whole result set, so the link from any page of the
    library gives the same file. The other parameters are validated as on the library
    (InvalidParameter: a 400 naming the parameter) before anything is streamed.
    """
    query = LibraryQuery.from_params(request.GET)
    # No snippets: the export has no use for the highlighted summaries, and they cost.
    resources = query.ordered(published_resources(), snippets=False)
    response = StreamingHttpResponse(csv_lines(resources), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename())
    return response
