"""Query counts per page, pinned with two or more rows so an N+1 shows (STYLE.md)."""

import pytest

from resources import facet_index
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CountryFactory,
    RegionFactory,
    ResourceCenterSectionFactory,
    ResourceFactory,
    SourceFactory,
)

# With an empty cache: the next scheduled article and resource (they end the cache
# generations the page is cached under, trafficwatch/page_cache.py), News Flash, Resource
# Center picks, newest resources, their countries.
HOME_QUERIES = 6
# With an empty cache: the next scheduled publication (it ends the cache generation,
# news/cache.py), the count for the paginator, the page of articles with section and
# source joined. Once cached, the count makes no query.
NEWS_LIST_QUERIES = 3
# With an empty cache: the next scheduled publication, the article with section, source
# and its neighbours (subqueries), its tags, the related articles.
ARTICLE_QUERIES = 4
# With an empty cache (each test starts with one): the next scheduled publication (it ends
# the cache generation, resources/cache.py), the library's version (the count and every
# facet's counts come from the facet index, resources/facet_index.py), the ids of the
# page's resources, their cards with category, countries, regions and authors
# (ResourceQuerySet.cards()). Once cached, the counts make no query: 3. The first request
# after a change of the library reads it into the index: one query more, once per process
# (the tests build it first).
RESOURCE_LIST_QUERIES = 4
# A search by relevance: the version comes with the matches and their ranks, and the
# page's cards are read from those (no query for the page's ids).
RESOURCE_SEARCH_QUERIES = 3
# With an empty cache: the next scheduled publication, the resource with category, then
# countries, regions, authors; the related resources.
RESOURCE_QUERIES = 6
# Any of these pages a second time, for anyone anonymous: served whole from the cache.
CACHED_PAGE_QUERIES = 0


@pytest.fixture
def content(db):
    source = SourceFactory(name="Eurojust")
    articles = [ArticleFactory(source=source) for _ in range(3)]
    for article in articles:
        article.tags.add("eurojust", "romania")
    ArticleFactory(section=ResourceCenterSectionFactory(), source=source)
    ArticleFactory(section=ResourceCenterSectionFactory())
    authors = [AuthorFactory(), AuthorFactory()]
    resources = [
        ResourceFactory(
            authors=authors,
            countries=[CountryFactory(), CountryFactory()],
            regions=[RegionFactory(), RegionFactory()],
        )
        for _ in range(3)
    ]
    return {"article": articles[0], "resource": resources[0]}


def test_home_page_queries_do_not_grow_with_the_teasers(client, content, django_assert_num_queries):
    """Guards against a query per teaser (section, source) or per resource (countries)."""
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get("/").status_code == 200


def test_news_list_queries_do_not_grow_with_the_articles(
    client, content, django_assert_num_queries
):
    """Guards against a query per article for its section or source."""
    with django_assert_num_queries(NEWS_LIST_QUERIES):
        assert client.get("/news/").status_code == 200


def test_article_page_queries_do_not_grow_with_its_tags(client, content, django_assert_num_queries):
    """Guards against a query per tag."""
    with django_assert_num_queries(ARTICLE_QUERIES):
        assert client.get(content["article"].get_absolute_url()).status_code == 200


def test_resource_list_queries_do_not_grow_with_the_resources(
    client, content, django_assert_num_queries
):
    """Guards against a query per resource for its countries, regions, authors or category."""
    facet_index.current()
    with django_assert_num_queries(RESOURCE_LIST_QUERIES):
        assert client.get("/resources/").status_code == 200


def test_resource_page_queries_do_not_grow_with_its_authors(
    client, content, django_assert_num_queries
):
    """Guards against a query per author or country."""
    with django_assert_num_queries(RESOURCE_QUERIES):
        assert client.get(content["resource"].get_absolute_url()).status_code == 200


@pytest.mark.parametrize("page", ["/", "/news/", "article", "/resources/", "resource"])
def test_a_second_anonymous_visit_to_a_public_page_makes_no_query(
    client, content, django_assert_num_queries, page
):
    url = content[page].get_absolute_url() if page in content else page
    first = client.get(url)
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
