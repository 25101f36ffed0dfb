"""Subscribers as CSV for staff (the admin's export), streamed in constant memory."""

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from resources.export import BUFFER_SIZE, CHUNK_SIZE, neutralised

from .models import Subscriber

# Field names rather than translated labels: spreadsheets and scripts key on them.
FIELDS = [
    "email",
    "name",
    "status",
    "created_at",
    "consented_at",
    "confirmed_at",
    "unsubscribed_at",
    "source_page",
    "consent_text",
]


def row(subscriber: Subscriber) -> list:
    """Return the cells of one subscriber; dates in ISO 8601, text safe from formulas."""
    cells = []
    for field in FIELDS:
        value = getattr(subscriber, field)
        cells.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return [neutralised("" if cell is None else cell) for cell in cells]


def csv_lines(subscribers: QuerySet[Subscriber]) -> Iterator[str]:
    """Yield the CSV of subscribers, a header first, in pieces of about BUFFER_SIZE."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the byte order mark: Excel then reads the file as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    for subscriber in subscribers.only(*FIELDS).iterator(chunk_size=CHUNK_SIZE):
        writer.writerow(row(subscriber))
        if buffer.tell() >= BUFFER_SIZE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(subscribers: QuerySet[Subscriber]) -> StreamingHttpResponse:
    """Return subscribers as a streamed CSV download."""
    response = StreamingHttpResponse(csv_lines(subscribers), content_type="text/csv; charset=utf-8")
    filename = f"traffickingwatch-subscribers-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Personal data: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response
