"""Bulk import and export of resources in the admin (django-import-export): a dry run
first, then the whole file or nothing."""

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from resources.models import Author, Category, Country, Region, Resource
from tests.factories import AuthorFactory, CountryFactory, RegionFactory, ResourceFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "library_002.csv"
IMPORT_URL = "/admin/resources/resource/import/"
PROCESS_URL = "/admin/resources/resource/process_import/"
EXPORT_URL = "/admin/resources/resource/export/"
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # their places in ResourceAdmin.import_formats


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("marta", "marta@example.org", "x"))
    return client


def dry_run(client, name: str, content: bytes, file_format: str = CSV_FORMAT):
    upload = SimpleUploadedFile(name, content)
    response = client.post(IMPORT_URL, {"import_file": upload, "format": file_format})
    assert response.status_code == 200
    return response


def confirm(client, dry_run_response):
    form = dry_run_response.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(PROCESS_URL, {k: v for k, v in data.items() if v is not None})


def csv_of(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def fixture_rows() -> list[dict]:
    with FIXTURE.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_the_dry_run_of_the_002_page_lists_every_row_as_new_and_writes_nothing(staff):
    response = dry_run(staff, "library_002.csv", FIXTURE.read_bytes())

    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 10
    assert "Understanding Human Trafficking In Conflict" in response.content.decode()
    assert not Resource.objects.exists()
    assert not Category.objects.exists()


def test_the_002_page_typed_as_a_spreadsheet_imports_cleanly_with_its_taxonomy(staff):
    response = confirm(staff, dry_run(staff, "library_002.csv", FIXTURE.read_bytes()))

    assert response.status_code == 302
    assert Resource.objects.count() == 10
    assert set(Category.objects.values_list("name", flat=True)) == {
        "Guidance",
        "Report",
        "Research paper",
        "Training curriculum",
    }
    assert set(Region.objects.values_list("name", flat=True)) == {
        "Worldwide",
        "Middle East",
        "North Africa",
    }
    lebanon = Resource.objects.get(countries__name="Lebanon")
    assert lebanon.year == 2013
    assert lebanon.category.name == "Training curriculum"
    assert [a.name for a in lebanon.ordered_authors()] == ["Markéta Von Hagen"]
    conflict = Resource.objects.get(slug="understanding-human-trafficking-in-conflict")
    assert [a.sort_name for a in conflict.ordered_authors()] == [
        "Bigio, Jamille",
        "Vogelstein, Rachel",
    ]
    assert conflict.status == Resource.Status.PUBLISHED
    assert conflict.published_at is not None
    # The slug given in the file is kept; the others are made from the titles.
    assert Resource.objects.filter(slug="action-to-assist-and-protect-trafficked-persons").exists()
    # The names went into the search terms: the library finds it by its author.
    assert Resource.objects.search("Vogelstein").get() == conflict


def test_authors_countries_and_categories_are_matched_by_name_not_duplicated(staff):
    AuthorFactory(name="Jamille Bigio", sort_name="Bigio, Jamille")
    CountryFactory(name="Lebanon")
    RegionFactory(name="Worldwide")

    confirm(staff, dry_run(staff, "library_002.csv", FIXTURE.read_bytes()))

    assert Author.objects.filter(sort_name="Bigio, Jamille").count() == 1
    assert Country.objects.filter(name="Lebanon").count() == 1
    assert Region.objects.filter(name="Worldwide").count() == 1


def test_a_bad_year_in_row_3_shows_the_row_error_and_nothing_is_written(staff):
    rows = fixture_rows()
    rows[2]["year"] = "20l3"

    response = dry_run(staff, "broken.csv", csv_of(rows))

    result = response.context["result"]
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 3
    assert "year" in invalid.field_specific_errors
    assert response.context.get("confirm_form") is None
    assert "“20l3” is not a year" in response.content.decode()
    assert not Resource.objects.exists()
    assert not Category.objects.exists()
    assert not Author.objects.exists()


def test_a_year_out_of_range_and_an_unknown_status_are_row_errors(staff):
    rows = fixture_rows()[:2]
    rows[0]["year"] = "1850"
    rows[1]["status"] = "online"

    result = dry_run(staff, "broken.csv", csv_of(rows)).context["result"]

    assert [row.number for row in result.invalid_rows] == [1, 2]
    assert "draft" in str(result.invalid_rows[1].error_dict)
    assert not Resource.objects.exists()


def test_a_spreadsheet_that_is_not_one_answers_a_clear_message(staff):
    response = staff.post(
        IMPORT_URL,
        {
            "import_file": SimpleUploadedFile("photo.xlsx", b"\x89PNG not a spreadsheet"),
            "format": XLSX_FORMAT,
        },
    )
    assert response.status_code == 200
    assert not Resource.objects.exists()
    assert response.context["form"].errors or response.context.get("result") is None


def test_the_export_is_the_filtered_changelist(staff):
    lebanon = CountryFactory(name="Lebanon")
    ResourceFactory(title="In Lebanon", countries=[lebanon], year=2013)
    ResourceFactory(title="Elsewhere", year=2013)
    ResourceFactory(title="Older", year=2001)

    form = staff.get(EXPORT_URL + "?year=2013").context["form"]
    data = {name: "on" for name in form.fields if name.startswith("resourceresource_")}
    data.update(resource="0", format=CSV_FORMAT)
    response = staff.post(EXPORT_URL + "?year=2013", data)

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row["title"] for row in rows) == ["Elsewhere", "In Lebanon"]
    assert next(row for row in rows if row["title"] == "In Lebanon")["countries"] == "Lebanon"


def test_an_xlsx_export_imported_again_changes_nothing(staff):
    first, second = AuthorFactory(name="Rachel Vogelstein"), AuthorFactory(name="Jamille Bigio")
    ResourceFactory(
        title="Understanding Human Trafficking In Conflict",
        authors=[first, second],
        countries=[CountryFactory(name="Lebanon")],
        regions=[RegionFactory(name="Middle East")],
    )
    ResourceFactory(title="Hope For the Future", external_url="https://example.org/hope.pdf")

    form = staff.get(EXPORT_URL).context["form"]
    data = {name: "on" for name in form.fields if name.startswith("resourceresource_")}
    data.update(resource="0", format=XLSX_FORMAT)
    exported = staff.post(EXPORT_URL, data)
    assert exported["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )

    result = dry_run(staff, "library.xlsx", exported.content, XLSX_FORMAT).context["result"]

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 2
    assert result.totals["new"] == result.totals["update"] == 0


def test_the_same_authors_in_another_order_is_an_update(staff):
    first, second = AuthorFactory(name="Rachel Vogelstein"), AuthorFactory(name="Jamille Bigio")
    resource = ResourceFactory(title="Conflict", authors=[first, second])
    row = {
        "title": "Conflict",
        "slug": resource.slug,
        "authors": f"{second.sort_name}; {first.sort_name}",
    }

    response = confirm(staff, dry_run(staff, "order.csv", csv_of([row])))

    assert response.status_code == 302
    assert [a.pk for a in Resource.objects.get(pk=resource.pk).ordered_authors()] == [
        second.pk,
        first.pk,
    ]


def test_staff_who_may_not_publish_import_drafts_only(client):
    from django.contrib.auth.models import Group

    writer = User.objects.create_user("writer", is_staff=True)
    writer.user_permissions.set(
        Group.objects.get(name="Editor").permissions.exclude(codename__startswith="publish_")
    )
    client.force_login(writer)

    result = dry_run(client, "library_002.csv", FIXTURE.read_bytes()).context["result"]

    assert result.has_validation_errors()
    assert len(result.invalid_rows) == 10


def test_a_newsletter_manager_cannot_import_resources(client):
    from django.contrib.auth.models import Group

    manager = User.objects.create_user("manager", is_staff=True)
    manager.groups.add(Group.objects.get(name="Newsletter manager"))
    client.force_login(manager)

    assert client.get(IMPORT_URL).status_code == 403
