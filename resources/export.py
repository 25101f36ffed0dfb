"""The library's filtered result set as CSV (CONTRACT.md `/resources/export.csv`).

Streamed in constant memory: one query, read from a server-side cursor in chunks, with the
names of the countries, regions and authors joined by the database (no model instances,
no prefetches: at 100,000 resources those cost 0.6 ms a row) and written out a buffer at
a time.
"""

import csv
import io
from collections.abc import Iterator

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import OuterRef, Subquery, TextField, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from trafficwatch.page_cache import conditional_on

from .cache import library
from .filters import LibraryQuery
from .models import Resource, ResourceAuthor

CHUNK_SIZE = 2000  # rows fetched from the server-side cursor at a time
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


def names(through, field: str, order_by: str):
    """The names of a resource's countries, regions or authors, joined by LIST_SEPARATOR."""
    related = through.objects.filter(resource=OuterRef("pk")).values("resource")
    joined = related.annotate(names=StringAgg(f"{field}__name", LIST_SEPARATOR, order_by=order_by))
    return Coalesce(Subquery(joined.values("names")), Value(""), output_field=TextField())


COLUMNS = [
    "title",
    "slug",
    "year",
    "category__name",
    "country_names",
    "region_names",
    "author_names",
    "publisher",
    "language",
    "summary",
    "external_url",
    "file",
]


def export_rows(resources):
    """Return resources as tuples of COLUMNS, the names of their terms joined in SQL."""
    return resources.annotate(
        country_names=names(Resource.countries.through, "country", "country__name"),
        region_names=names(Resource.regions.through, "region", "region__name"),
        author_names=names(ResourceAuthor, "author", "position"),
    ).values_list(*COLUMNS)


def row_writer():
    """Return a function turning a tuple of COLUMNS into the cells of one CSV row."""
    # The detail URL is built once, around a placeholder: slugs need no quoting.
    before, after = reverse("resources:resource-detail", kwargs={"slug": "slug"}).rsplit("slug", 1)
    page = absolute(before)
    storage = Resource._meta.get_field("file").storage

    def row(values: tuple) -> list:
        title, slug, year, category, countries, regions, authors, *rest = values
        publisher, language, summary, external_url, file = rest
        cells = [
            title,
            f"{page}{slug}{after}",
            year or "",
            category or "",
            countries,
            regions,
            authors,
            publisher,
            language,
            summary,
            external_url,
            absolute(storage.url(file)) if file else "",
        ]
        return [neutralised(cell) for cell in cells]

    return row


def csv_lines(resources) -> Iterator[str]:
    """Yield the CSV of resources, a header first, in pieces of about BUFFER_SIZE."""
    buffer = io.StringIO()
    # Excel reads a CSV without a byte order mark as the system's legacy code page, so
    # "Częstochowa" would open as "CzÄ™stochowa"; the BOM tells it the file is UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    row = row_writer()
    # iterator(chunk_size) reads from a server-side cursor: memory stays bounded by
    # CHUNK_SIZE rows, whatever the total.
    for values in export_rows(resources).iterator(chunk_size=CHUNK_SIZE):
        writer.writerow(row(values))
        if buffer.tell() >= BUFFER_SIZE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def filename() -> str:
    return f"traffickingwatch-resources-{timezone.localdate().isoformat()}.csv"


@require_safe
@conditional_on(library, daily=True)
def resource_export(request: HttpRequest) -> StreamingHttpResponse:
    """Stream as CSV every resource the library lists for the same parameters, all pages.

    `page` is ignored: the export is the whole result set, so the link from any page of the
    library gives the same file. The other parameters are validated as on the library
    (InvalidParameter: a 400 naming the parameter) before anything is streamed.
    """
    query = LibraryQuery.from_params(request.GET)
    resources = query.ordered(Resource.objects.published())
    response = StreamingHttpResponse(csv_lines(resources), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename())
    return response
