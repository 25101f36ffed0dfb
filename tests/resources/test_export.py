"""The CSV export of the library (`/resources/export.csv`): rows, encoding, safety, queries."""

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources.export import HEADER
from tests.factories import (
    AuthorFactory,
    CountryFactory,
    DraftResourceFactory,
    RegionFactory,
    ResourceFactory,
)
from tests.resources.test_params import PARAMETERS, VALUES

URL = "/resources/export.csv"
# With an empty cache: the next scheduled publication (for the ETag); then the resources
# with their category, and the names of their countries, regions and authors joined by the
# database (subqueries), read from a server-side cursor in chunks.
EXPORT_QUERIES = 2


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def rows(response) -> list[dict]:
    """Return the data rows of an export, as dicts keyed by the header."""
    text = content(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"country": ["country-a", "country-b"], "category": "category-p"},
        {"author": "author-l", "year_from": "2019"},
        {"q": "library resource", "region": "region-x", "sort": "title"},
        {"year": ["2018", "2021"], "sort": "year"},
    ],
)
def test_the_export_holds_exactly_the_rows_the_library_lists(client, library, params):
    page = client.get("/resources/", params).context["page_obj"]

    exported = [row["title"] for row in rows(client.get(URL, params))]

    assert len(exported) == page.paginator.count
    # The sixteen resources fit on one page of the library: the same titles, same order.
    assert exported == [card["title"] for card in page.object_list]


def test_the_export_holds_every_page_of_the_results(client, db):
    for n in range(25):
        ResourceFactory(title=f"Resource {n:02}")

    assert len(rows(client.get(URL))) == 25


def test_the_export_leaves_out_drafts(client, db):
    ResourceFactory(title="Published")
    DraftResourceFactory(title="Draft")

    assert [row["title"] for row in rows(client.get(URL))] == ["Published"]


@pytest.mark.parametrize("page", ["2", "0", "x"])
def test_the_export_ignores_the_page_parameter(client, library, page):
    """The export is every page; the download link is the same from any page of the library."""
    response = client.get(URL, {"page": page})

    assert response.status_code == 200
    assert len(rows(response)) == len(library)


def test_the_export_lists_the_authors_in_citation_order(client, db):
    ResourceFactory(authors=[AuthorFactory(name="Zora Zed"), AuthorFactory(name="Abel Aa")])

    assert rows(client.get(URL))[0]["authors"] == "Zora Zed; Abel Aa"


def test_the_export_joins_countries_and_regions(client, db):
    ResourceFactory(
        countries=[CountryFactory(name="Lebanon"), CountryFactory(name="Jordan")],
        regions=[RegionFactory(name="Middle East")],
    )

    row = rows(client.get(URL))[0]

    assert (row["countries"], row["regions"]) == ("Jordan; Lebanon", "Middle East")


def test_accents_are_intact_in_the_export(client, db):
    ResourceFactory(
        title="Trafficking in Częstochowa and Łódź",
        countries=[CountryFactory(name="Côte d’Ivoire")],
        authors=[AuthorFactory(name="Markéta von Hagen")],
    )

    row = rows(client.get(URL))[0]

    assert row["title"] == "Trafficking in Częstochowa and Łódź"
    assert (row["countries"], row["authors"]) == ("Côte d’Ivoire", "Markéta von Hagen")


def test_the_export_starts_with_a_utf8_byte_order_mark_for_excel(client, db):
    ResourceFactory()

    assert content(client.get(URL)).startswith(b"\xef\xbb\xbfti")


def test_the_export_has_a_header_row(client, db):
    ResourceFactory()

    text = content(client.get(URL)).decode("utf-8-sig")

    assert next(csv.reader(io.StringIO(text))) == HEADER


def test_the_links_of_the_export_are_absolute_on_the_site_url(client, db, settings):
    settings.SITE_URL = "https://traffickingwatch.example"
    ResourceFactory(slug="a-guide", file="resources/2024/a-guide.pdf")

    row = rows(client.get(URL))[0]

    assert row["url"] == "https://traffickingwatch.example/resources/a-guide/"
    assert row["file_url"] == "https://traffickingwatch.example/media/resources/2024/a-guide.pdf"


@pytest.mark.parametrize(
    "title",
    [
        '=HYPERLINK("https://evil.example","Click")',
        "+1+2",
        "-2+3",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(client, db, title):
    ResourceFactory(title=title, summary="=cmd|' /C calc'!A0")

    row = rows(client.get(URL))[0]

    assert (row["title"], row["summary"]) == (f"'{title}", "'=cmd|' /C calc'!A0")


def test_the_export_is_an_attachment_named_with_the_date(client, db, time_machine):
    time_machine.move_to("2026-03-08 12:00Z")

    response = client.get(URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="traffickingwatch-resources-2026-03-08.csv"'
    )


def test_the_export_is_streamed(client, db):
    ResourceFactory()

    assert client.get(URL).streaming


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("country", "no-such-country"),
        ("author", "Not a slug!"),
        ("year", "20x9"),
        ("year_to", "-2020"),
        ("sort", "newest"),
        ("q", "x" * 201),
    ],
)
def test_an_invalid_value_answers_400_naming_the_parameter(client, db, parameter, value):
    response = client.get(URL, {parameter: value})

    assert response.status_code == 400
    assert f"The parameter “{parameter}” is not valid" in response.content.decode()


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.dictionaries(st.sampled_from(PARAMETERS), st.lists(VALUES, max_size=3), max_size=6))
def test_no_combination_of_parameters_ever_gets_a_500(client, query):
    response = client.get(URL, query)
    if response.streaming:
        content(response)  # the rows are read while streaming: an error would surface here

    assert response.status_code in {200, 400}


@pytest.mark.parametrize("count", [3, 30])
def test_the_export_makes_as_many_queries_for_30_resources_as_for_3(
    client, db, count, django_assert_num_queries
):
    """Guards against a query per resource for its category, countries, regions or authors."""
    authors = [AuthorFactory(), AuthorFactory()]
    countries = [CountryFactory(), CountryFactory()]
    for _ in range(count):
        ResourceFactory(authors=authors, countries=countries, regions=[RegionFactory()])

    with django_assert_num_queries(EXPORT_QUERIES):
        assert len(rows(client.get(URL))) == count


def test_the_library_links_to_the_export_of_its_current_results(client, library):
    response = client.get("/resources/", {"country": "country-a", "sort": "title", "page": "1"})

    assert (
        'href="/resources/export.csv?country=country-a&amp;sort=title"' in response.content.decode()
    )
