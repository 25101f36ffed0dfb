"""RSS 2.0 feeds of the news: all articles, one tag, one section."""

import io

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from trafficwatch.page_cache import conditional_on

from .cache import news
from .models import Article, Section

FEED_ITEMS = 20


def absolute(path: str) -> str:
    """Return path as an absolute URL on SITE_URL, whatever host the request came in on."""
    return f"{settings.SITE_URL}{path}"


class FullContentRssFeed(Rss201rev2Feed):
    """RSS 2.0 with the whole article in content:encoded; the teaser stays the description.

    https://www.rssboard.org/rss-profile#namespace-elements-content-encoded
    """

    def rss_attributes(self) -> dict:
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def write(self, outfile, encoding: str) -> None:
        # The XML writer writes each tag and text apart, and the response keeps every write
        # as a chunk of its own (900 a feed): written to a buffer, the feed is one chunk.
        buffer = io.StringIO()
        super().write(buffer, encoding)
        outfile.write(buffer.getvalue().encode(encoding))

    def add_item_elements(self, handler, item: dict) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_encoded"):
            handler.addQuickElement("content:encoded", item["content_encoded"])


class LatestArticlesFeed(Feed):
    feed_type = FullContentRssFeed
    description = _("The latest news on trafficking in human beings.")

    def __call__(self, request, *args, **kwargs):
        # A feed reader polling an unchanged feed gets a 304, without a query.
        return conditional_on(news)(super().__call__)(request, *args, **kwargs)

    def title(self, obj=None) -> str:
        return _("%(site)s: latest news") % {"site": settings.SITE_NAME}

    def link(self, obj=None) -> str:
        return absolute(reverse("news:article-list"))

    def feed_url(self, obj=None) -> str:
        return absolute(reverse("news:feed"))

    def articles(self, obj=None):
        return Article.objects.published()

    def items(self, obj=None):
        return self.articles(obj).select_related("section", "source").with_tags()[:FEED_ITEMS]

    def item_title(self, article: Article) -> str:
        return article.title

    def item_description(self, article: Article) -> str:
        return article.standfirst or article.teaser

    def item_link(self, article: Article) -> str:
        return absolute(article.get_absolute_url())

    def item_guid(self, article: Article) -> str:
        return absolute(article.get_absolute_url())

    def item_pubdate(self, article: Article):
        return article.published_at

    def item_updateddate(self, article: Article):
        return article.updated_at

    def item_author_name(self, article: Article) -> str:
        return article.byline or (article.source.name if article.source else "")

    def item_categories(self, article: Article) -> list[str]:
        return [article.section.name, *(tag.name for tag in article.tag_list)]

    def item_enclosures(self, article: Article) -> list[Enclosure]:
        if not article.image:
            return []
        return [
            Enclosure(
                url=absolute(article.image.url),
                # RSS wants a length; 0 says "unknown" for an image set without an upload.
                length=str(article.image_bytes or 0),
                mime_type=article.image_type,
            )
        ]

    def item_extra_kwargs(self, article: Article) -> dict:
        # The body was sanitized against the allowlist when it was saved.
        return {"content_encoded": article.body}


class TagFeed(LatestArticlesFeed):
    def get_object(self, request, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag: Tag) -> str:
        return _("%(site)s: news tagged “%(tag)s”") % {"site": settings.SITE_NAME, "tag": tag.name}

    def description(self, tag: Tag) -> str:
        return _("The latest news tagged “%(tag)s”.") % {"tag": tag.name}

    def link(self, tag: Tag) -> str:
        return absolute(f"{reverse('news:article-list')}?tag={tag.slug}")

    def feed_url(self, tag: Tag) -> str:
        return absolute(reverse("news:tag-feed", kwargs={"slug": tag.slug}))

    def articles(self, tag: Tag):
        return Article.objects.published().tagged(tag)


class SectionFeed(LatestArticlesFeed):
    def get_object(self, request, slug: str) -> Section:
        return get_object_or_404(Section, slug=slug)

    def title(self, section: Section) -> str:
        return _("%(site)s: %(section)s") % {"site": settings.SITE_NAME, "section": section.name}

    def description(self, section: Section) -> str:
        return section.description or _("The latest news in %(section)s.") % {
            "section": section.name
        }

    def link(self, section: Section) -> str:
        return absolute(f"{reverse('news:article-list')}?section={section.slug}")

    def feed_url(self, section: Section) -> str:
        return absolute(reverse("news:section-feed", kwargs={"slug": section.slug}))

    def articles(self, section: Section):
        return Article.objects.published().filter(section=section)
