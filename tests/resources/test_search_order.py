"""A search's page of results, read from the facet index's ranking of the matches, is the
page the ORM's ordering gives (resources/facet_index.py Ranking, LibraryQuery.cards())."""

import random

import pytest
from django.core.cache import cache
from django.http import QueryDict

from resources import facet_index
from resources.filters import LibraryQuery
from resources.views import RESOURCES_PER_PAGE, published_resources
from tests.factories import CountryFactory, DraftResourceFactory, ResourceFactory
from tests.trafficwatch.test_query_counts import RESOURCE_SEARCH_QUERIES

pytestmark = pytest.mark.django_db

# Titles that tie, differ only in case or accents, or sort differently by byte and by
# collation: the page must order them as PostgreSQL does.
TITLES = ["Labour", "labour", "Łódź study", "Lodz study", "Zeal", "zeal", "Éclair", "eclair", "A"]
SUMMARIES = [
    "Trafficking for labour.",
    "Trafficking, trafficking and labour exploitation.",
    "Labour inspections.",
    "Trafficking.",
]


@pytest.fixture
def library(db):
    choose = random.Random(4)
    albania, moldova = CountryFactory(slug="albania"), CountryFactory(slug="moldova")
    for _ in range(70):
        ResourceFactory(
            title=choose.choice(TITLES),
            summary=choose.choice(SUMMARIES),
            year=choose.choice([None, 2018, 2019, 2019, 2020]),
            countries=choose.choice([[], [albania], [moldova], [albania, moldova]]),
        )
    DraftResourceFactory(title="Labour", summary="Trafficking for labour.")


def orm_page(query: LibraryQuery, number: int) -> list[str]:
    """Return the URLs of the page's resources in the order the ORM gives."""
    start = (number - 1) * RESOURCES_PER_PAGE
    ordered = query.ordered(published_resources())[start : start + RESOURCES_PER_PAGE]
    return [resource.get_absolute_url() for resource in ordered]


def ranked_page(query: LibraryQuery, number: int) -> list[str]:
    index, matches, ranks = facet_index.search(query.q, ranked=True)
    start = (number - 1) * RESOURCES_PER_PAGE
    ranking = index.ranking(query, matches, ranks)
    return [card["url"] for card in query.cards(start, start + RESOURCES_PER_PAGE, ranking)]


def test_the_ranked_page_is_the_page_the_database_orders(library):
    for q in ("trafficking", "labour", "trafficking or inspections", "zeal"):
        for filters in ("", "country=albania", "country=moldova&year=2019", "year_to=2019"):
            query = LibraryQuery.from_params(QueryDict(f"q={q}&{filters}"))
            for number in (1, 2, 3, 4):
                expected = orm_page(query, number)
                assert ranked_page(query, number) == expected, (q, filters, number)


def test_the_library_pages_a_search_as_the_database_orders_it(client, library):
    for sort in ("relevance", "-year", "year", "title"):
        query = LibraryQuery.from_params(QueryDict(f"q=labour&sort={sort}"))
        for number in (1, 2, 3):
            cache.clear()  # counted afresh: the search's matches come ranked
            response = client.get("/resources/", {"q": "labour", "sort": sort, "page": number})
            shown = [card["url"] for card in response.context["page_obj"].object_list]
            assert shown == orm_page(query, number), (sort, number)


def test_a_search_pages_by_relevance_when_its_counts_come_from_the_cache(client, library):
    """Page 2 after page 1: the counts are cached, so no ranking comes with them."""
    query = LibraryQuery.from_params(QueryDict("q=labour"))
    for number in (1, 2, 3):
        response = client.get("/resources/", {"q": "labour", "page": number})
        shown = [card["url"] for card in response.context["page_obj"].object_list]
        assert shown == orm_page(query, number), number


def test_a_search_has_no_page_past_its_last(client, library):
    total = LibraryQuery(q="labour").resources(published_resources()).count()
    last = -(-total // RESOURCES_PER_PAGE)

    assert client.get("/resources/", {"q": "labour", "page": last + 1}).status_code == 404
    response = client.get("/resources/", {"q": "labour", "page": last})
    assert response.context["page_obj"].paginator.count == total
    assert len(response.context["page_obj"].object_list) == total - (last - 1) * RESOURCES_PER_PAGE


def test_a_search_by_relevance_reads_again_only_the_rows_that_can_be_on_its_page(
    client, library, django_assert_num_queries
):
    """Guards against the page's query finding and ranking every match a second time."""
    facet_index.current()  # built as by an earlier request
    with django_assert_num_queries(RESOURCE_SEARCH_QUERIES) as captured:
        client.get("/resources/", {"q": "trafficking"})
    searches = [query["sql"] for query in captured if "websearch_to_tsquery" in query["sql"]]
    assert len(searches) == 2  # the matches with their ranks, then the page
    assert "unnest(" in searches[1]  # the page's candidates, not a search of every row
