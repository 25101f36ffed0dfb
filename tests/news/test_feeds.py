"""RSS 2.0 feeds: all news, one tag, one section; absolute links from SITE_URL."""

import xml.etree.ElementTree as ET

import pytest

from tests.factories import (
    ArticleFactory,
    ArticleWithImageFactory,
    DraftArticleFactory,
    ResourceCenterSectionFactory,
    ScheduledArticleFactory,
)

pytestmark = pytest.mark.django_db

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def channel(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert (root.tag, root.get("version")) == ("rss", "2.0")
    return root.find("channel")


def titles(feed: ET.Element) -> list[str]:
    return [item.findtext("title") for item in feed.iter("item")]


def test_the_news_feed_lists_published_articles_newest_first(client):
    newest, oldest = ArticleFactory.create_batch(2)
    DraftArticleFactory(title="A draft")
    ScheduledArticleFactory(title="Due tomorrow")

    assert titles(channel(client, "/news/feed/")) == [newest.title, oldest.title]


def test_the_news_feed_holds_the_latest_twenty_articles(client):
    ArticleFactory.create_batch(21)

    assert len(titles(channel(client, "/news/feed/"))) == 20


def test_feed_links_are_absolute_on_the_site_url_not_the_request_host(client, site_url):
    article = ArticleFactory()

    feed = channel(client, "/news/feed/")
    item = feed.find("item")

    assert feed.findtext("link") == f"{site_url}/news/"
    assert item.findtext("link") == f"{site_url}{article.get_absolute_url()}"
    assert item.findtext("guid") == f"{site_url}{article.get_absolute_url()}"
    atom_self = feed.find("{http://www.w3.org/2005/Atom}link")
    assert atom_self.get("href") == f"{site_url}/news/feed/"
    assert "testserver" not in ET.tostring(feed, encoding="unicode")


def test_a_feed_item_carries_the_whole_sanitized_body(client):
    body = "<p>First paragraph.</p><p>Second <a href='https://e.example'>link</a>.</p>"
    ArticleFactory(body=body + "<script>alert(1)</script>")

    item = channel(client, "/news/feed/").find("item")

    assert item.findtext(CONTENT) == (
        '<p>First paragraph.</p><p>Second <a href="https://e.example" '
        'rel="noopener noreferrer nofollow">link</a>.</p>'
    )


def test_a_feed_item_describes_the_article_with_its_standfirst(client):
    ArticleFactory(standfirst="Fourteen women freed.")

    assert channel(client, "/news/feed/").find("item").findtext("description") == (
        "Fourteen women freed."
    )


def test_a_feed_item_names_its_byline_section_and_tags(client):
    ArticleFactory(byline="Press office", tags=["Romania"])

    item = channel(client, "/news/feed/").find("item")

    assert "Press office" in item.findtext("author", "") + item.findtext(
        "{http://purl.org/dc/elements/1.1/}creator", ""
    )
    assert [category.text for category in item.iter("category")] == ["News Flash", "Romania"]


def test_a_feed_item_encloses_the_image_with_an_absolute_url_length_and_type(client, site_url):
    article = ArticleWithImageFactory()

    enclosure = channel(client, "/news/feed/").find("item").find("enclosure")

    assert enclosure.get("url") == f"{site_url}{article.image.url}"
    assert enclosure.get("length") == str(article.image.size)
    assert enclosure.get("type") == "image/jpeg"


def test_a_feed_item_without_an_image_has_no_enclosure(client):
    ArticleFactory()

    assert channel(client, "/news/feed/").find("item").find("enclosure") is None


def test_the_tag_feed_lists_only_articles_with_that_tag(client, site_url):
    tagged = ArticleFactory(tags=["Romania"])
    ArticleFactory(tags=["Spain"])

    feed = channel(client, "/news/feed/tag/romania/")

    assert titles(feed) == [tagged.title]
    assert feed.findtext("title") == "TraffickingWatch: news tagged “Romania”"
    assert feed.findtext("link") == f"{site_url}/news/?tag=romania"


def test_the_tag_feed_of_an_accented_tag_works(client):
    tagged = ArticleFactory(tags=["Częstochowa"])

    assert titles(channel(client, "/news/feed/tag/częstochowa/")) == [tagged.title]


def test_the_section_feed_lists_only_articles_of_that_section(client, site_url):
    pick = ArticleFactory(section=ResourceCenterSectionFactory())
    ArticleFactory()

    feed = channel(client, "/news/feed/section/european-resource-center/")

    assert titles(feed) == [pick.title]
    assert feed.findtext("link") == f"{site_url}/news/?section=european-resource-center"


@pytest.mark.parametrize(
    "url", ["/news/feed/tag/no-such-tag/", "/news/feed/section/no-such-section/"]
)
def test_the_feed_of_an_unknown_tag_or_section_answers_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query", [{"page": "abc"}, {"page": "0"}, {"tag": "%00"}])
def test_the_news_feed_ignores_query_parameters_it_does_not_take(client, query):
    ArticleFactory()

    assert client.get("/news/feed/", query).status_code == 200
