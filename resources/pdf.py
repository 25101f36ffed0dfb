"""The text of uploaded PDFs, for the library's search (Resource.file_text)."""

import logging

from django.db import transaction
from django_tasks import task
from pypdf import PdfReader

from .models import Resource

logger = logging.getLogger(__name__)

# Characters of a file's text kept for the search: a few hundred pages of a report. A
# 2,000-page annex would otherwise make rows of megabytes for words ranked last anyway.
MAX_TEXT_LENGTH = 200_000


def extract_text(file) -> str:
    """Return the text of the PDF in file (binary file object or path), or "" if unreadable.

    At most MAX_TEXT_LENGTH characters, without NUL characters (PostgreSQL refuses them).
    A broken, encrypted or non-PDF file logs a warning.
    """
    parts, length = [], 0
    try:
        reader = PdfReader(file)
        # Many PDFs are "encrypted" with an empty password only, to forbid printing.
        if reader.is_encrypted and not reader.decrypt(""):
            logger.warning("No text extracted from %s: the PDF needs a password.", _name(file))
            return ""
        for page in reader.pages:
            text = page.extract_text() or ""
            parts.append(text)
            length += len(text) + 1
            if length >= MAX_TEXT_LENGTH:
                break
    # pypdf raises about anything on a damaged file (PdfReadError, but also KeyError,
    # ValueError, TypeError, RecursionError...), and an upload may be anything at all.
    except Exception as error:
        logger.warning("No text extracted from %s: %r", _name(file), error)
        return ""
    return "\n".join(parts).replace("\x00", "")[:MAX_TEXT_LENGTH]


def _name(file) -> str:
    return str(getattr(file, "name", file))


@task()
def extract_file_text(resource_id: int, file_name: str) -> None:
    """Store the text of the resource's file, unless the file was replaced meanwhile."""
    resource = Resource.objects.filter(pk=resource_id, file=file_name).only("file").first()
    if resource is None:
        return
    try:
        with resource.file.open("rb") as file:
            text = extract_text(file)
    except OSError as error:
        logger.warning("No text extracted from %s: %r", file_name, error)
        text = ""
    # update(), not save(): the text is for the search, not an edit (updated_at stays).
    Resource.objects.filter(pk=resource_id, file=file_name).update(file_text=text)


def file_changed(resource: Resource) -> None:
    """Forget the text of the resource's previous file; extract the new one's after the commit.

    Call it where a file is uploaded or removed (the admin's save_model).
    """
    Resource.objects.filter(pk=resource.pk).update(file_text="")
    if resource.file:
        pk, name = resource.pk, resource.file.name
        # robust: the resource is saved by then; a queue that fails is logged, not a 500.
        transaction.on_commit(lambda: extract_file_text.enqueue(pk, name), robust=True)
