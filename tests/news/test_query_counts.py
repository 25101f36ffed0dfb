"""Query counts of the news pages and feeds, pinned with several articles and tags each.

The same count with 2 articles of 3 tags as with 6 articles of 5 tags: an N+1 would show.
"""

import pytest

from tests.factories import ArticleFactory, ArticleWithImageFactory, SourceFactory

# With an empty cache: the next scheduled publication (news/cache.py), the count for the
# paginator, the page of articles with section and source.
LIST_QUERIES = 3
# Once the count is cached, another page of the list (not yet cached itself): the rows alone.
CACHED_COUNT_QUERIES = 1
# The same page again, for anyone anonymous: served whole from the cache.
CACHED_PAGE_QUERIES = 0
# The tag (or section) named in the query string, then as above.
FILTERED_LIST_QUERIES = 1 + LIST_QUERIES
# With an empty cache: the next scheduled publication, the article with section, source
# and its neighbours, its tags, the related articles.
ARTICLE_QUERIES = 4
# With an empty cache: the next scheduled publication (for the ETag), the articles with
# section and source, their tags.
FEED_QUERIES = 3
# As above, and the tag (or section) of the feed.
FILTERED_FEED_QUERIES = 4

SIZES = {"few": (2, 3), "many": (6, 5)}  # (articles, tags on each)


@pytest.fixture(params=SIZES.values(), ids=SIZES.keys())
def articles(request, db) -> list:
    count, tag_count = request.param
    source = SourceFactory()
    tags = ["romania", "eurojust", "labour", "spain", "agriculture"][:tag_count]
    return [
        (ArticleWithImageFactory if index % 2 else ArticleFactory)(source=source, tags=tags)
        for index in range(count)
    ]


def test_the_news_list_queries_do_not_grow_with_articles_or_tags(
    client, articles, django_assert_num_queries
):
    """Guards against a query per article for its section, source or image."""
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get("/news/").status_code == 200


def test_the_news_list_counts_once_per_change_to_the_news(
    client, articles, django_assert_num_queries
):
    """Guards the cached count: another page must not count 50,000 articles again."""
    client.get("/news/")
    with django_assert_num_queries(CACHED_COUNT_QUERIES):
        assert client.get("/news/", {"page": 1}).status_code == 200


@pytest.mark.parametrize("url", ["/news/", "/news/?tag=romania", "ARTICLE"])
def test_a_second_anonymous_visit_to_a_news_page_makes_no_query(
    client, articles, django_assert_num_queries, url
):
    url = articles[1].get_absolute_url() if url == "ARTICLE" else url
    first = client.get(url)
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content


@pytest.mark.parametrize("query", [{"tag": "romania"}, {"section": "news-flash"}])
def test_a_filtered_news_list_queries_do_not_grow_with_articles_or_tags(
    client, articles, django_assert_num_queries, query
):
    """Guards against a query per article on the tag and section pages."""
    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        assert client.get("/news/", query).status_code == 200


def test_an_article_page_queries_do_not_grow_with_its_tags_or_related_articles(
    client, articles, django_assert_num_queries
):
    """Guards against a query per tag, per related article (its source) or per neighbour."""
    with django_assert_num_queries(ARTICLE_QUERIES):
        assert client.get(articles[1].get_absolute_url()).status_code == 200


def test_the_news_feed_queries_do_not_grow_with_articles_or_tags(
    client, articles, django_assert_num_queries
):
    """Guards against a query per item for its tags (categories), section or source."""
    with django_assert_num_queries(FEED_QUERIES):
        assert client.get("/news/feed/").status_code == 200


@pytest.mark.parametrize("url", ["/news/feed/tag/romania/", "/news/feed/section/news-flash/"])
def test_a_tag_or_section_feed_queries_do_not_grow_with_articles_or_tags(
    client, articles, django_assert_num_queries, url
):
    """Guards against a query per item in the feeds of a tag or a section."""
    with django_assert_num_queries(FILTERED_FEED_QUERIES):
        assert client.get(url).status_code == 200
