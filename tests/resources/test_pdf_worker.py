"""The PDF text with real processes: the admin queues the extraction in PostgreSQL and a
separate `manage.py db_worker` process fills the text the library then searches."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from resources.models import Resource
from tests.processes import DATABASE_BACKEND, logged_db_worker, wait_for, worker_environment

from .pdf_helpers import pdf_with_text

# Committed for real: the worker reads the rows over its own connection.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db_worker(settings, tmp_path):
    """Queue tasks in PostgreSQL and run a real `manage.py db_worker` process on them."""
    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}
    log = tmp_path / "db_worker.log"
    with logged_db_worker(worker_environment(), log) as worker:
        yield worker, log


@pytest.fixture
def uploaded_files():
    """Remove the files the test uploads: the worker reads the project's MEDIA_ROOT."""
    yield
    for resource in Resource.objects.exclude(file=""):
        resource.file.delete(save=False)


def test_the_worker_process_extracts_the_text_the_library_then_finds(
    admin_client, client, db_worker, uploaded_files
):
    worker, log = db_worker
    file = SimpleUploadedFile(
        "report.pdf", pdf_with_text("Debt bondage in Málaga farms."), "application/pdf"
    )
    response = admin_client.post(
        "/admin/resources/resource/add/",
        {
            "title": "Annual report",
            "slug": "annual-report",
            "language": "English",
            "status": "published",
            "published_at_0": "2021-01-01",
            "published_at_1": "10:00:00",
            "authorships-TOTAL_FORMS": "0",
            "authorships-INITIAL_FORMS": "0",
            "file": file,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert DBTaskResult.objects.get().task_path == "resources.pdf.extract_file_text"

    wait_for(
        lambda: Resource.objects.filter(file_text__contains="bondage").exists(),
        worker=worker,
        log=log,
        what="text",
    )

    found = client.get("/resources/", {"q": "bondage"}).context["page_obj"].object_list
    assert [card["title"] for card in found] == ["Annual report"]
    assert DBTaskResult.objects.get().worker_ids  # extracted by the worker, not the web side
