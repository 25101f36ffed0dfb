"""The public news pages: the list with its filters, one article, and what they link to."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    ArticleWithImageFactory,
    DraftArticleFactory,
    ResourceCenterSectionFactory,
    ScheduledArticleFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def meta(html: str, prop: str) -> str | None:
    """Return the content of <meta property="prop"> in html, unescaped."""
    found = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', html)
    return unescape(found.group(1)) if found else None


def structured_data(html: str) -> dict:
    (script,) = JSON_LD.findall(html)
    return json.loads(script)


# The list


def test_the_news_list_shows_published_articles_newest_first(client):
    newest, middle, oldest = ArticleFactory.create_batch(3)

    html = client.get("/news/").content.decode()

    positions = [html.index(f">{article.title}</a>") for article in (newest, middle, oldest)]
    assert positions == sorted(positions)


def test_the_news_list_shows_twenty_articles_a_page(client):
    ArticleFactory.create_batch(21)

    first = client.get("/news/").content.decode()
    second = client.get("/news/", {"page": 2}).content.decode()

    assert first.count('class="teaser__title"') == 20
    assert second.count('class="teaser__title"') == 1


def test_the_news_list_leaves_out_drafts_and_scheduled_articles(client):
    ArticleFactory(title="Out today")
    DraftArticleFactory(title="Still a draft")
    ScheduledArticleFactory(title="Due tomorrow")

    html = client.get("/news/").content.decode()

    assert "Out today" in html
    assert "Still a draft" not in html
    assert "Due tomorrow" not in html


def test_the_tag_filter_shows_only_articles_with_that_tag_under_a_heading_naming_it(client):
    ArticleFactory(title="Tagged one", tags=["Romania"])
    ArticleFactory(title="Another story", tags=["Spain"])

    html = client.get("/news/", {"tag": "romania"}).content.decode()

    assert "<h1>News tagged “Romania”</h1>" in html
    assert "Tagged one" in html
    assert "Another story" not in html


def test_the_section_filter_shows_only_its_articles_under_a_heading_naming_it(client):
    ArticleFactory(title="A pick", section=ResourceCenterSectionFactory())
    ArticleFactory(title="A flash")

    html = client.get("/news/", {"section": "european-resource-center"}).content.decode()

    assert "<h1>News: European Resource Center</h1>" in html
    assert "A pick" in html
    assert "A flash" not in html


def test_a_tag_with_accented_letters_has_a_list_page(client):
    ArticleFactory(title="Raid in Częstochowa", tags=["Częstochowa"])

    response = client.get("/news/", {"tag": "częstochowa"})

    assert response.status_code == 200
    assert "Raid in Częstochowa" in response.content.decode()


def test_a_tag_page_links_to_the_feed_of_that_tag(client):
    ArticleFactory(tags=["Romania"])

    html = client.get("/news/", {"tag": "romania"}).content.decode()

    assert (
        '<link rel="alternate" type="application/rss+xml" '
        'title="TraffickingWatch: news tagged “Romania”" href="/news/feed/tag/romania/">'
    ) in html
    assert 'class="feed-link" href="/news/feed/tag/romania/"' in html


def test_a_section_page_links_to_the_feed_of_that_section(client):
    ArticleFactory(section=ResourceCenterSectionFactory())

    html = client.get("/news/", {"section": "european-resource-center"}).content.decode()

    assert 'href="/news/feed/section/european-resource-center/"' in html


def test_every_page_names_the_news_feed_for_feed_readers(client):
    html = client.get("/").content.decode()

    assert 'type="application/rss+xml"' in html
    assert 'href="/news/feed/"' in html


def test_an_article_with_an_image_shows_it_in_the_list(client):
    article = ArticleWithImageFactory()

    html = client.get("/news/").content.decode()

    assert f'src="{article.image.url}" alt="{article.image_alt}" width="1200" height="675"' in html


# One article


def test_an_article_page_shows_its_title_standfirst_date_and_byline(client):
    article = ArticleFactory(
        title="Network dismantled",
        standfirst="Police in two countries freed 14 women.",
        byline="Press office",
        published_at=timezone.make_aware(timezone.datetime(2026, 3, 14, 10, 0)),
    )

    html = client.get(article.get_absolute_url()).content.decode()

    assert '<h1 id="article-title" class="article__title">Network dismantled</h1>' in html
    assert "Police in two countries freed 14 women." in html
    assert '<time datetime="2026-03-14T10:00:00+01:00">March 14, 2026</time>' in html
    assert "By Press office" in html


def test_an_article_page_credits_its_source_and_links_to_the_original(client):
    article = ArticleFactory(
        source=SourceFactory(name="Eurojust"),
        source_url="https://www.eurojust.europa.eu/news/network",
    )

    html = client.get(article.get_absolute_url()).content.decode()

    assert re.search(
        r'Source:\s*<a href="https://www.eurojust.europa.eu/news/network" rel="noopener">Eurojust',
        html,
    )
    assert "Read more from Eurojust" in html


def test_an_article_page_shows_the_image_with_its_caption_credit_and_licence(client):
    article = ArticleWithImageFactory()

    html = client.get(article.get_absolute_url()).content.decode()

    assert f'<img src="{article.image.url}" alt="{article.image_alt}"' in html
    assert "A shelter run by La Strada in Warsaw." in html
    assert "Image: mockup design by rawpixel.com on Freepik" in html
    assert (
        '<a href="https://www.freepik.com/legal/terms-of-use" rel="license noopener">'
        "Freepik licence</a>"
    ) in html


def test_the_image_of_an_article_is_served(client):
    article = ArticleWithImageFactory()

    response = client.get(article.image.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_an_article_page_links_its_tags_to_their_lists(client):
    article = ArticleFactory(tags=["Romania", "Labour exploitation"])

    html = client.get(article.get_absolute_url()).content.decode()

    assert '<a class="tag" href="/news/?tag=romania">Romania</a>' in html
    assert '<a class="tag" href="/news/?tag=labour-exploitation">Labour exploitation</a>' in html


def test_an_article_page_lists_related_articles_most_shared_tags_first(client):
    article = ArticleFactory(tags=["romania", "eurojust"])
    ArticleFactory(title="Shares one", tags=["romania"])
    ArticleFactory(title="Shares two", tags=["romania", "eurojust"])
    ArticleFactory(title="Shares none", tags=["spain"])

    html = client.get(article.get_absolute_url()).content.decode()
    related = html[html.index('id="related-heading"') :]

    assert related.index("Shares two") < related.index("Shares one")
    assert "Shares none" not in related


def test_an_article_page_links_to_the_previous_and_next_articles(client):
    newer, article, older = ArticleFactory.create_batch(3)

    html = client.get(article.get_absolute_url()).content.decode()

    assert f'<a rel="prev" href="{older.get_absolute_url()}">' in html
    assert f'<a rel="next" href="{newer.get_absolute_url()}">' in html


def test_previous_and_next_skip_drafts_and_scheduled_articles(client):
    article = ArticleFactory()
    DraftArticleFactory(slug="a-draft", published_at=article.published_at + timedelta(minutes=1))
    ScheduledArticleFactory(slug="a-scheduled-one")

    html = client.get(article.get_absolute_url()).content.decode()

    assert "a-draft" not in html
    assert "a-scheduled-one" not in html
    assert 'rel="next"' not in html


@pytest.mark.parametrize("factory", [DraftArticleFactory, ScheduledArticleFactory])
def test_drafts_and_scheduled_articles_answer_404_to_the_public(client, factory):
    article = factory()

    assert client.get(article.get_absolute_url()).status_code == 404


# Metadata for other sites: Open Graph and schema.org


def test_an_article_page_has_open_graph_metadata_with_absolute_urls(client, site_url):
    article = ArticleWithImageFactory(title="Network dismantled", standfirst="14 women freed.")

    html = client.get(article.get_absolute_url()).content.decode()

    assert meta(html, "og:type") == "article"
    assert meta(html, "og:title") == "Network dismantled"
    assert meta(html, "og:description") == "14 women freed."
    assert meta(html, "og:url") == f"{site_url}{article.get_absolute_url()}"
    assert meta(html, "og:image") == f"{site_url}{article.image.url}"
    assert meta(html, "og:image:alt") == article.image_alt


def test_an_article_page_describes_itself_as_a_news_article(client, site_url):
    article = ArticleWithImageFactory(
        title="Network dismantled", byline="Press office", tags=["Romania"]
    )

    data = structured_data(client.get(article.get_absolute_url()).content.decode())

    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Network dismantled"
    assert data["datePublished"] == article.published_at.isoformat()
    assert data["dateModified"] == article.updated_at.isoformat()
    assert data["author"] == [{"@type": "Person", "name": "Press office"}]
    assert data["publisher"]["name"] == "TraffickingWatch"
    assert data["image"] == [f"{site_url}{article.image.url}"]
    assert data["mainEntityOfPage"]["@id"] == f"{site_url}{article.get_absolute_url()}"
    assert data["keywords"] == ["Romania"]


def test_the_source_is_the_author_of_an_article_without_a_byline(client):
    article = ArticleFactory(source=SourceFactory(name="Eurojust", home_page="https://e.example"))

    data = structured_data(client.get(article.get_absolute_url()).content.decode())

    assert data["author"] == [
        {"@type": "Organization", "name": "Eurojust", "url": "https://e.example"}
    ]


HOSTILE_TITLE = '</script><script>alert(1)</script> "quoted" & <b>bold</b>'


def test_a_hostile_title_cannot_break_out_of_the_json_ld(client):
    article = ArticleFactory(title=HOSTILE_TITLE)

    html = client.get(article.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert structured_data(html)["headline"] == HOSTILE_TITLE


def test_a_hostile_title_is_escaped_in_the_open_graph_metadata(client):
    article = ArticleFactory(title=HOSTILE_TITLE)

    html = client.get(article.get_absolute_url()).content.decode()

    assert meta(html, "og:title") == HOSTILE_TITLE
    assert "<b>bold</b>" not in html
