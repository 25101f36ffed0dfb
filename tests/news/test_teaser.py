"""The teaser partial reads precomputed values (Article.card): its HTML must not change."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.template import engines
from django.template.loader import get_template
from django.utils import translation

from news.models import Article, Section, Source
from tests.factories import ArticleFactory, ArticleWithImageFactory, SourceFactory

pytestmark = pytest.mark.django_db

# includes/article_teaser.html as it was, reading the article's attributes in the template.
REFERENCE = Path(__file__).with_name("teaser_reference.html")
OPTIONS = [
    {"level": 2, "show_section": True},
    {"level": 3},
    {"level": 3, "compact": True},
    {},
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_teaser_renders_what_it_did_before_the_card(media):
    ArticleWithImageFactory(source=SourceFactory(name="Eurojust & Co <AP>"), standfirst="Lead")
    ArticleWithImageFactory(title='Quotes "and" <tags>', teaser="Short & sweet")
    ArticleFactory(source=SourceFactory(name="OSCE"), teaser="Text", standfirst="Lead")
    ArticleFactory()
    reference = engines["django"].from_string(REFERENCE.read_text())
    teaser = get_template("includes/article_teaser.html")
    articles = Article.objects.select_related("section", "source")
    assert any(article.image_renditions for article in articles)

    for article in articles:
        for options in OPTIONS:
            context = {"article": article, **options}
            assert teaser.render(context) == reference.render(context)


def test_the_card_gives_the_teaser_its_links_and_dates(media):
    article = ArticleWithImageFactory(slug="raid-in-spain")

    card = article.card

    assert card["url"] == "/news/raid-in-spain/"
    assert card["published_iso"] == reference_render(article, '{{ a.published_at|date:"c" }}')
    assert card["published_date"] == reference_render(
        article, '{{ a.published_at|date:"DATE_FORMAT" }}'
    )
    assert card["image_srcset"] == article.image_srcset != ""
    assert article.section.news_url == f"/news/?section={article.section.slug}"


def reference_render(article: Article, source: str) -> str:
    return engines["django"].from_string(source).render({"a": article})


def test_the_teaser_tag_renders_what_including_the_partial_does(media):
    ArticleWithImageFactory(source=SourceFactory(name="Eurojust & Co <AP>"), standfirst="Lead")
    ArticleFactory(title='Quotes "and" <tags>', teaser="Short & sweet")
    included = engines["django"].from_string(
        '{% include "includes/article_teaser.html" with level=level show_section=show_section'
        " compact=compact %}"
    )
    tag = engines["django"].from_string(
        "{% load news %}{% article_teaser article level=level show_section=show_section"
        " compact=compact %}"
    )

    for article in Article.objects.select_related("section", "source"):
        for options in [{"level": 2, "show_section": True}, {"level": 3, "compact": True}]:
            context = {"article": article, "show_section": False, "compact": False, **options}
            # Twice: the second rendering is the one kept from the first.
            assert tag.render(context) == included.render(context)
            assert tag.render(context) == included.render(context)


def test_a_teaser_shows_its_source_and_section_as_they_are_now():
    article = ArticleFactory(source=SourceFactory(name="Reuters"))
    teaser = engines["django"].from_string(
        "{% load news %}{% article_teaser article show_section=True %}"
    )
    assert "Reuters" in teaser.render({"article": article})

    Source.objects.filter(pk=article.source_id).update(name="AP")
    Section.objects.filter(pk=article.section_id).update(name="Briefs")
    article = Article.objects.select_related("section", "source").get(pk=article.pk)

    html = teaser.render({"article": article})
    assert "Source: AP" in html
    assert ">Briefs</a>" in html


def test_a_teaser_is_dated_in_the_language_of_the_page():
    article = ArticleFactory(published_at=datetime(2025, 3, 14, 12, tzinfo=UTC))
    teaser = engines["django"].from_string("{% load news %}{% article_teaser article %}")

    with translation.override("en"):
        english = teaser.render({"article": article})
    with translation.override("fr"):
        french = teaser.render({"article": article})

    assert "March" in english
    assert "mars" in french
