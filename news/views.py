from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import DetailView
from taggit.models import Tag

from trafficwatch import preview
from trafficwatch.html import json_ld_script
from trafficwatch.page_cache import cache_anonymous_page
from trafficwatch.params import object_by_slug, paginate

from .cache import FRAGMENT_TIMEOUT, news
from .models import Article, Section

ARTICLES_PER_PAGE = 20
RELATED_ARTICLES = 4


class PublishedArticleMixin:
    def get_queryset(self):
        return Article.objects.published().select_related("section", "source")


@require_safe
@cache_anonymous_page(news)
def article_list(request: HttpRequest) -> HttpResponse:
    # The teasers show no body: leaving it out spares reading and decoding 20 of them.
    articles = Article.objects.published().select_related("section", "source").defer("body")
    section = object_by_slug(
        request, "section", Section.objects.all(), _("There is no section with that name.")
    )
    if section:
        articles = articles.filter(section=section)
    tag = object_by_slug(request, "tag", Tag.objects.all(), _("There is no tag with that name."))
    if tag:
        articles = articles.tagged(tag)
    context = {
        "page_obj": paginate(
            request, articles, ARTICLES_PER_PAGE, count=cached_count(section, tag)
        ),
        "section": section,
        "tag": tag,
    }
    return render(request, "news/article_list.html", context)


def cached_count(section: Section | None, tag: Tag | None) -> int:
    """Return how many articles the list of this section and tag shows, counted once per
    change to the news.

    The COUNT(*) of a popular tag or of all news at 50,000 articles costs more than the
    page of rows itself; news/signals.py replaces the generation on every change, and it
    expires by itself when a scheduled article comes due.
    """
    generation = news.current()
    filters = {"section": section and section.pk, "tag": tag and tag.pk}
    key = news.fragment_key("count", filters, generation)
    count = cache.get(key)
    if count is None:
        count = Article.objects.count_published(section=section, tag=tag)
        cache.set(key, count, FRAGMENT_TIMEOUT)
    return count


@method_decorator(cache_anonymous_page(news), name="dispatch")
class ArticleDetailView(PublishedArticleMixin, DetailView):
    model = Article
    preview = None

    def get_queryset(self):
        return super().get_queryset().with_neighbours().with_tags()

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # Not public: staff and holders of a shared link see it with a banner.
            queryset = Article.objects.select_related("section", "source")
            try:
                self.object, self.preview = preview.preview_of(
                    request, queryset.with_neighbours().with_tags(), kwargs["slug"]
                )
            except preview.PreviewLinkExpired:
                return preview.expired_response(request)
            response = self.render_to_response(self.get_context_data(object=self.object))
            return preview.mark_private(response)

    def get_context_data(self, **kwargs) -> dict:
        article = self.object
        return super().get_context_data(
            preview=self.preview,
            related_articles=Article.objects.related_to(article, limit=RELATED_ARTICLES),
            absolute_url=f"{settings.SITE_URL}{article.get_absolute_url()}",
            image_url=f"{settings.SITE_URL}{article.image.url}" if article.image else "",
            structured_data=json_ld_script(structured_data(article)),
            **kwargs,
        )


def structured_data(article: Article) -> dict:
    """Return the schema.org NewsArticle that describes article to search engines."""
    url = f"{settings.SITE_URL}{article.get_absolute_url()}"
    publisher = {"@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL}
    if article.byline:
        author = {"@type": "Person", "name": article.byline}
    elif article.source:
        author = {"@type": "Organization", "name": article.source.name}
        if article.source.home_page:
            author["url"] = article.source.home_page
    else:
        author = publisher
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.standfirst or article.teaser,
        "datePublished": article.published_at.isoformat(),
        "dateModified": article.updated_at.isoformat(),
        "author": [author],
        "publisher": publisher,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "articleSection": article.section.name,
        "keywords": [tag.name for tag in article.tag_list],
    }
    if article.image:
        data["image"] = [f"{settings.SITE_URL}{article.image.url}"]
    if article.source_url:
        data["isBasedOn"] = article.source_url
    return data
