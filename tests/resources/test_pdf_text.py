"""The text of uploaded PDFs: extracted on upload in the admin, found by the library search."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources import pdf
from resources.models import Resource
from tests.factories import ResourceFactory

from .pdf_helpers import pdf_with_text

pytestmark = pytest.mark.django_db

ADD = "/admin/resources/resource/add/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def resource_form(**fields) -> dict:
    return {
        "title": "Annual report",
        "slug": "annual-report",
        "summary": "What the network did this year.",
        "year": "2021",
        "language": "English",
        "status": "published",
        "published_at_0": "2021-01-01",
        "published_at_1": "10:00:00",
        "authorships-TOTAL_FORMS": "0",
        "authorships-INITIAL_FORMS": "0",
        **fields,
    }


def save_in_admin(admin_client, django_capture_on_commit_callbacks, url=ADD, **fields):
    """Post the admin form as staff do, running what waits for the commit (the extraction)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, resource_form(**fields))
    assert response.status_code == 302, response.content.decode()
    return response


def library_titles(client, q: str) -> list[str]:
    response = client.get("/resources/", {"q": q})
    return [card["title"] for card in response.context["page_obj"].object_list]


def test_a_word_found_only_in_the_uploaded_pdf_finds_the_resource(
    admin_client, client, django_capture_on_commit_callbacks
):
    file = upload("report.pdf", pdf_with_text("Cases of debt bondage in Málaga farms."))

    save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)

    assert library_titles(client, "bondage") == ["Annual report"]
    assert library_titles(client, "malaga") == ["Annual report"]


def test_the_snippet_of_a_hit_in_the_pdf_comes_from_the_pdf(
    admin_client, client, django_capture_on_commit_callbacks
):
    file = upload("report.pdf", pdf_with_text("Cases of debt bondage in Málaga farms."))
    save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)

    html = client.get("/resources/", {"q": "bondage"}).content.decode()

    assert "Cases of debt <mark>bondage</mark> in Málaga farms" in html


def test_the_snippet_comes_from_the_summary_when_the_summary_has_the_words_too(client):
    ResourceFactory(
        title="Shelters",
        summary="A shelter for survivors of bondage.",
        file_text="Bondage in the appendix of the report.",
    )

    html = client.get("/resources/", {"q": "bondage"}).content.decode()

    assert "shelter for survivors of <mark>bondage</mark>" in html
    assert "appendix" not in html


def test_a_title_matches_before_a_word_in_the_pdf(client):
    ResourceFactory(title="Annual report", summary="", file_text="Forced begging in cities.")
    ResourceFactory(title="Forced begging", summary="")

    assert library_titles(client, "begging") == ["Forced begging", "Annual report"]


def test_a_corrupt_pdf_is_saved_without_text_and_the_admin_does_not_fail(
    admin_client, django_capture_on_commit_callbacks, caplog
):
    file = upload("broken.pdf", b"%PDF-1.4\nthis is not really a PDF at all")

    with caplog.at_level(logging.WARNING, logger="resources.pdf"):
        save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)

    resource = Resource.objects.get(slug="annual-report")
    assert resource.file.name.endswith(".pdf")
    assert resource.file_text == ""
    assert "No text extracted from" in caplog.text


def test_a_file_that_is_not_a_pdf_gives_no_text(
    admin_client, django_capture_on_commit_callbacks, caplog
):
    file = SimpleUploadedFile("notes.docx", b"PK\x03\x04 a zip archive", content_type="")

    with caplog.at_level(logging.WARNING, logger="resources.pdf"):
        save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)

    assert Resource.objects.get(slug="annual-report").file_text == ""
    assert "notes" in caplog.text


def test_a_pdf_locked_with_a_password_gives_no_text_and_a_warning(caplog):
    locked = pdf_with_text("Confidential words", password="s3cret")

    with caplog.at_level(logging.WARNING, logger="resources.pdf"):
        text = pdf.extract_text(upload("locked.pdf", locked))

    assert text == ""
    assert "needs a password" in caplog.text


def test_a_pdf_protected_with_an_empty_password_gives_its_text():
    protected = pdf_with_text("Printing forbidden, reading allowed", password="")

    assert pdf.extract_text(upload("protected.pdf", protected)).strip() == (
        "Printing forbidden, reading allowed"
    )


def test_replacing_the_file_replaces_the_text(
    admin_client, client, django_capture_on_commit_callbacks
):
    first = upload("first.pdf", pdf_with_text("Orphanage trafficking"))
    save_in_admin(admin_client, django_capture_on_commit_callbacks, file=first)
    resource = Resource.objects.get(slug="annual-report")

    second = upload("second.pdf", pdf_with_text("Sham marriages"))
    save_in_admin(
        admin_client,
        django_capture_on_commit_callbacks,
        url=f"/admin/resources/resource/{resource.pk}/change/",
        file=second,
    )

    assert library_titles(client, "marriage") == ["Annual report"]
    assert library_titles(client, "orphanage") == []


def test_removing_the_file_removes_its_text_from_the_search(
    admin_client, client, django_capture_on_commit_callbacks
):
    file = upload("report.pdf", pdf_with_text("Orphanage trafficking"))
    save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)
    resource = Resource.objects.get(slug="annual-report")

    save_in_admin(
        admin_client,
        django_capture_on_commit_callbacks,
        url=f"/admin/resources/resource/{resource.pk}/change/",
        **{"file-clear": "on"},
    )

    assert library_titles(client, "orphanage") == []


def test_saving_without_a_new_file_keeps_the_text(
    admin_client, client, django_capture_on_commit_callbacks
):
    file = upload("report.pdf", pdf_with_text("Orphanage trafficking"))
    save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)
    resource = Resource.objects.get(slug="annual-report")

    save_in_admin(
        admin_client,
        django_capture_on_commit_callbacks,
        url=f"/admin/resources/resource/{resource.pk}/change/",
        title="Annual report 2021",
    )

    assert library_titles(client, "orphanage") == ["Annual report 2021"]


def test_the_admin_shows_the_length_of_the_text_not_the_text(
    admin_client, django_capture_on_commit_callbacks
):
    file = upload("report.pdf", pdf_with_text("Orphanage trafficking"))
    save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)
    resource = Resource.objects.get(slug="annual-report")

    html = admin_client.get(f"/admin/resources/resource/{resource.pk}/change/").content.decode()

    assert "22 characters, searchable in the library." in html
    assert 'name="file_text"' not in html
    assert "Orphanage" not in html


def test_the_text_is_cut_at_the_limit(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_TEXT_LENGTH", 10)

    text = pdf.extract_text(upload("report.pdf", pdf_with_text("trafficking victims")))

    assert text == "traffickin"


def test_nul_characters_in_a_pdf_do_not_stop_the_upload_or_the_search(
    admin_client, client, django_capture_on_commit_callbacks
):
    file = upload("report.pdf", pdf_with_text("Debt\x00bondage"))

    save_in_admin(admin_client, django_capture_on_commit_callbacks, file=file)

    assert library_titles(client, "debtbondage") == ["Annual report"]


def test_a_word_deep_in_a_long_pdf_text_is_shown_marked_in_the_snippet(client):
    filler = "Chapter on migration routes and border procedures. " * 3500
    ResourceFactory(
        title="Annual report",
        summary="",
        file_text=f"{filler}Orphanage tourism is described in the annex. {filler}",
    )

    html = client.get("/resources/", {"q": "orphanage tourism"}).content.decode()

    assert "<mark>Orphanage</mark> <mark>tourism</mark> is described" in html


def test_search_words_with_regular_expression_characters_are_taken_literally(client):
    ResourceFactory(
        title="Annual report", summary="", file_text="Read example.org/report?id=7 online."
    )

    assert library_titles(client, "example.org/report?id=7") == ["Annual report"]


@pytest.fixture
def resource_with_file_text(db):
    return ResourceFactory(
        title="Annual report",
        summary="",
        file_text="Trafficking (forced labour) in C++ shops? See example.org/a?b=[1]* and Częstochowa.",
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=60) | st.sampled_from(["(", "[1]*", "a?b=", "c++", "\\", "***="]))
def test_no_search_of_file_text_ever_gets_a_500(client, resource_with_file_text, q):
    response = client.get("/resources/", {"q": f"trafficking {q}"})

    assert response.status_code in {200, 400}
