"""Filtering the library: OR within a facet, AND across facets, and the counts beside options."""

import pytest

from resources.filters import FACETS as LIBRARY_FACETS
from tests.factories import AuthorFactory, CountryFactory, DraftResourceFactory, ResourceFactory

FACETS = ["country", "region", "category", "author", "year"]
FILTER_SETS = [
    {},
    {"country": ["country-a"]},
    {"country": ["country-a", "country-b"], "category": ["category-p"]},
    {"region": ["region-x"], "author": ["author-l"], "year": ["2019", "2020"]},
    {"country": ["country-c"], "year_from": "2019"},
    {"author": ["author-m", "author-n"], "year_to": "2019", "region": ["region-y"]},
]


def matches(record, params: dict, *, without: str | None = None) -> bool:
    """Whether a record passes every filter of params but `without` (plain Python)."""
    for facet in FACETS:
        if (
            facet != without
            and params.get(facet)
            and not getattr(record, facet) & set(params[facet])
        ):
            return False
    year = int(next(iter(record.year)))
    if "year_from" in params and year < int(params["year_from"]):
        return False
    return not ("year_to" in params and year > int(params["year_to"]))


def expected_counts(library, params: dict, facet: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in library:
        if matches(record, params, without=facet):
            for value in getattr(record, facet):
                counts[value] = counts.get(value, 0) + 1
    return counts


def shown_counts(response, facet: str) -> dict[str, int]:
    (panel,) = [panel for panel in response.context["facets"] if panel.parameter == facet]
    return {option.value: option.count for option in panel.options + panel.more}


def titles(response) -> set[str]:
    return {card["title"] for card in response.context["page_obj"].object_list}


@pytest.mark.parametrize("params", FILTER_SETS)
def test_the_results_are_the_resources_matching_every_facet(client, library, params):
    expected = {record.resource.title for record in library if matches(record, params)}

    response = client.get("/resources/", params)

    assert response.status_code == 200
    assert titles(response) == expected
    assert response.context["page_obj"].paginator.count == len(expected)


@pytest.mark.parametrize("params", FILTER_SETS)
@pytest.mark.parametrize("facet", FACETS)
def test_each_option_counts_the_results_it_gives_with_the_other_facets_applied(
    client, library, params, facet
):
    expected = expected_counts(library, params, facet)
    chosen = set(params.get(facet, []))

    shown = shown_counts(client.get("/resources/", params), facet)

    assert {value: count for value, count in shown.items() if count} == expected
    assert {value for value, count in shown.items() if not count} <= chosen


def test_values_of_one_facet_are_or_ed(client, library):
    response = client.get("/resources/", {"country": ["country-a", "country-b"]})

    assert titles(response) == {
        r.resource.title for r in library if r.country & {"country-a", "country-b"}
    }


def test_different_facets_are_and_ed(client, library):
    response = client.get("/resources/", {"country": "country-a", "category": "category-p"})

    assert titles(response) == {
        r.resource.title for r in library if "country-a" in r.country and "category-p" in r.category
    }


def test_a_resource_with_two_chosen_countries_is_listed_once(client, library):
    both = [r for r in library if r.country >= {"country-a", "country-b"}]

    response = client.get("/resources/", {"country": ["country-a", "country-b"]})

    assert both
    listed = [card["title"] for card in response.context["page_obj"].object_list]
    assert len(listed) == len(set(listed))


def test_the_year_range_is_inclusive(client, library):
    response = client.get("/resources/", {"year_from": "2019", "year_to": "2020"})

    assert {card["year"] for card in response.context["page_obj"].object_list} == {2019, 2020}


def test_an_option_with_no_results_is_hidden(client, library):
    CountryFactory(name="Country without resources", slug="country-empty")

    html = client.get("/resources/").content.decode()

    assert "Country without resources" not in html


def test_a_chosen_option_with_no_results_stays_shown_and_checked(client, library):
    CountryFactory(name="Country without resources", slug="country-empty")

    html = client.get("/resources/", {"country": "country-empty"}).content.decode()

    assert (
        'id="country-country-empty" name="country" value="country-empty" checked>'
        '<label for="country-country-empty">Country without resources '
        '<span class="facet__count">(0)</span>'
    ) in html


def test_the_count_is_shown_beside_each_option(client, library):
    count = sum(1 for r in library if "country-a" in r.country)

    html = client.get("/resources/").content.decode()

    assert f'Country a <span class="facet__count">({count})</span>' in html


def test_chosen_options_are_checked(client, library):
    html = client.get("/resources/", {"category": "category-q"}).content.decode()

    assert 'name="category" value="category-q" checked>' in html
    assert 'name="category" value="category-p">' in html


def test_drafts_are_neither_listed_nor_counted(client, library):
    DraftResourceFactory(title="Draft resource", countries=[CountryFactory(slug="country-a")])
    count = sum(1 for r in library if "country-a" in r.country)

    response = client.get("/resources/")

    assert "Draft resource" not in titles(response)
    assert shown_counts(response, "country")["country-a"] == count


def test_the_total_count_is_announced_politely(client, library):
    html = client.get("/resources/", {"year": "2018"}).content.decode()

    count = sum(1 for r in library if "2018" in r.year)
    assert f'<p class="results__count" role="status">{count} resources' in html


def test_each_active_filter_is_a_chip_linking_to_the_library_without_it(client, library):
    response = client.get("/resources/", {"country": ["country-a", "country-b"], "year": "2019"})

    chips = {chip.label: chip.remove_url for chip in response.context["chips"]}
    assert chips == {
        "Country: Country a": "/resources/?country=country-b&year=2019",
        "Country: Country b": "/resources/?country=country-a&year=2019",
        "Year: 2019": "/resources/?country=country-a&country=country-b",
    }


def test_removing_a_chip_drops_the_page_number(client, library):
    response = client.get("/resources/", {"country": "country-a", "page": "1"})

    (chip,) = response.context["chips"]
    assert chip.remove_url == "/resources/"


def test_clear_all_links_to_the_unfiltered_library(client, library):
    html = client.get("/resources/", {"country": "country-a"}).content.decode()

    assert '<a class="chips__clear" href="/resources/">Clear all</a>' in html


def test_long_facets_show_the_largest_options_and_the_rest_behind_show_all(client, db):
    countries = [CountryFactory(name=f"Land {n:02}", slug=f"land-{n}") for n in range(12)]
    for n, country in enumerate(countries):
        for _ in range(n % 3 + 1):
            ResourceFactory(countries=[country])

    response = client.get("/resources/")

    (panel,) = [panel for panel in response.context["facets"] if panel.parameter == "country"]
    assert len(panel.options) == 8
    assert [option.count for option in panel.options] == [3, 3, 3, 3, 2, 2, 2, 2]
    assert len(panel.more) == 4
    assert '<details class="facet__more">' in response.content.decode()


def test_a_chosen_option_of_a_long_facet_stays_in_view(client, db):
    countries = [CountryFactory(name=f"Land {n:02}", slug=f"land-{n}") for n in range(12)]
    for n, country in enumerate(countries):
        for _ in range(n + 1):
            ResourceFactory(countries=[country])

    response = client.get("/resources/", {"country": "land-0"})

    (panel,) = [panel for panel in response.context["facets"] if panel.parameter == "country"]
    assert panel.options[0].value == "land-0"
    assert panel.options[0].selected


def test_pagination_links_keep_every_filter(client, db):
    country = CountryFactory(slug="paged")
    ResourceFactory.create_batch(21, countries=[country], year=2020)

    html = client.get("/resources/", {"country": "paged", "year": "2020"}).content.decode()

    assert 'href="?country=paged&amp;year=2020&amp;page=2"' in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-year", ["B 2021", "A 2020", "C 2019"]),
        ("year", ["C 2019", "A 2020", "B 2021"]),
        ("title", ["A 2020", "B 2021", "C 2019"]),
    ],
)
def test_the_sort_parameter_orders_the_results(client, db, sort, expected):
    for title in ["A 2020", "B 2021", "C 2019"]:
        ResourceFactory(title=title, year=int(title[-4:]))

    response = client.get("/resources/", {"sort": sort})

    assert [card["title"] for card in response.context["page_obj"].object_list] == expected


def test_the_newest_years_come_first_without_a_sort(client, db):
    ResourceFactory(title="Older", year=2001)
    ResourceFactory(title="Newer", year=2022)

    response = client.get("/resources/")

    assert [card["title"] for card in response.context["page_obj"].object_list] == [
        "Newer",
        "Older",
    ]


def test_the_author_facet_lists_at_most_the_hundred_largest_authors(client, db):
    (author_facet,) = [facet for facet in LIBRARY_FACETS if facet.parameter == "author"]
    authors = [AuthorFactory(name=f"Writer {n:03}", slug=f"writer-{n}") for n in range(101)]
    ResourceFactory(authors=authors)
    ResourceFactory(authors=authors[:1])

    response = client.get("/resources/")

    (panel,) = [panel for panel in response.context["facets"] if panel.parameter == "author"]
    assert panel.total == author_facet.limit == 100
    assert panel.options[0].label == "Writer 000"
    assert panel.truncated
    assert "search for a name to find others" in response.content.decode()


def test_the_years_stay_newest_first_behind_show_all(client, db):
    for year in range(2000, 2013):
        ResourceFactory(year=year)

    response = client.get("/resources/")

    (panel,) = [panel for panel in response.context["facets"] if panel.parameter == "year"]
    assert [option.value for option in panel.options + panel.more] == [
        str(year) for year in range(2012, 1999, -1)
    ]
