from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import DetailView
from taggit.models import Tag

from trafficwatch.params import object_by_slug, paginate

from .models import Article, Section

ARTICLES_PER_PAGE = 20


class PublishedArticleMixin:
    def get_queryset(self):
        return Article.objects.published().select_related("section", "source")


@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.published().select_related("section", "source")
    section = object_by_slug(
        request, "section", Section.objects.all(), _("There is no section with that name.")
    )
    if section:
        articles = articles.filter(section=section)
    tag = object_by_slug(request, "tag", Tag.objects.all(), _("There is no tag with that name."))
    if tag:
        articles = articles.filter(tags=tag)
    context = {
        "page_obj": paginate(request, articles, ARTICLES_PER_PAGE),
        "section": section,
        "tag": tag,
    }
    return render(request, "news/article_list.html", context)


class ArticleDetailView(PublishedArticleMixin, DetailView):
    model = Article

    def get_queryset(self):
        return super().get_queryset().prefetch_related("tags")
