"""The library page and the detail page: query counts, links between them, the snippet filter."""

import pytest

from resources import facet_index
from resources.models import HIGHLIGHT_START, HIGHLIGHT_STOP
from resources.templatetags.library import highlight
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CountryFactory,
    RegionFactory,
    ResourceFactory,
)
from tests.trafficwatch.test_query_counts import RESOURCE_LIST_QUERIES, RESOURCE_SEARCH_QUERIES

# The page (RESOURCE_LIST_QUERIES) and one query per facet parameter to validate its slugs.
FILTERED_LIST_QUERIES = RESOURCE_LIST_QUERIES + 2
# The next scheduled publication (resources/cache.py), the library's version with the
# search's matches (one query: the counts come from resources/facet_index.py), the
# near-miss suggestion (an empty page needs no query).
EMPTY_SEARCH_QUERIES = 1 + 1 + 1


@pytest.fixture
def resources(db):
    authors = [AuthorFactory(name="Shared Author", slug="shared-author"), AuthorFactory()]
    lebanon = CountryFactory(name="Lebanon", slug="lebanon")
    middle_east = RegionFactory(name="Middle East", slug="middle-east")
    guide = CategoryFactory(name="Guide", slug="guide")
    return [
        ResourceFactory(
            title=f"Guide on trafficking {n}",
            authors=authors,
            countries=[lebanon, CountryFactory()],
            regions=[middle_east, RegionFactory()],
            category=guide,
            year=2013,
        )
        for n in range(3)
    ]


def test_the_filtered_library_queries_do_not_grow_with_resources_or_options(
    client, resources, django_assert_num_queries
):
    """Guards against a query per facet option or per resource; facets count in the database."""
    facet_index.current()  # built as by an earlier request
    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        response = client.get("/resources/", {"country": "lebanon", "category": "guide"})
    assert response.context["page_obj"].paginator.count == 3


def test_a_search_adds_no_query(client, resources, django_assert_num_queries):
    """Guards against the rank or the snippets being fetched per resource."""
    facet_index.current()  # built as by an earlier request
    with django_assert_num_queries(RESOURCE_SEARCH_QUERIES):
        response = client.get("/resources/", {"q": "trafficking"})
    assert response.context["page_obj"].paginator.count == 3


def test_a_search_with_no_result_adds_one_query_for_the_suggestion(
    client, resources, django_assert_num_queries
):
    """Guards against a query per word of the search in the near-miss suggestion."""
    facet_index.current()  # built as by an earlier request
    with django_assert_num_queries(EMPTY_SEARCH_QUERIES):
        response = client.get("/resources/", {"q": "trafickng guidd lebanno"})
    assert response.context["suggestion"] == "trafficking guide lebanon"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("category", "guide"),
        ("year", "2013"),
        ("country", "lebanon"),
        ("region", "middle-east"),
        ("author", "shared-author"),
    ],
)
def test_the_links_of_the_detail_page_open_the_library_filtered_by_them(
    client, resources, name, value
):
    ResourceFactory(title="Unrelated resource", year=2001)
    link = f"/resources/?{name}={value}"

    html = client.get(resources[0].get_absolute_url()).content.decode()
    response = client.get(link)

    assert f'href="{link}"' in html
    assert response.status_code == 200
    assert {card["title"] for card in response.context["page_obj"].object_list} == {
        r.title for r in resources
    }


def test_the_library_links_its_own_stylesheet(client, db):
    assert 'href="/static/css/library.css"' in client.get("/resources/").content.decode()


def test_the_home_page_does_not_load_the_library_stylesheet(client, db):
    assert "library.css" not in client.get("/").content.decode()


def test_the_highlight_filter_escapes_the_text_and_marks_the_hits():
    snippet = f"a &lt;b> {HIGHLIGHT_START}hit{HIGHLIGHT_STOP} & more"

    assert highlight(snippet) == "a &lt;b&gt; <mark>hit</mark> &amp; more"


def test_the_highlight_filter_drops_an_unpaired_mark():
    assert highlight(f"{HIGHLIGHT_START}<i>open") == "&lt;i&gt;open"


def test_the_partial_holds_only_the_filters_and_the_results(client, resources):
    response = client.get("/resources/", {"country": "lebanon"}, headers={"X-Library-Partial": "1"})

    html = response.content.decode()
    assert html.lstrip().startswith('<form class="library__filters form"')
    assert "<html" not in html
    assert 'class="results"' in html


def test_the_page_and_the_partial_are_cached_apart(client, resources):
    assert "X-Library-Partial" in client.get("/resources/")["Vary"]
