import logging
import sys

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve

from news.cache import news
from news.models import Article
from resources.cache import library
from resources.models import Resource

from .middleware import DATABASE_DOWN, database_unavailable
from .page_cache import cache_anonymous_page
from .params import InvalidParameter

logger = logging.getLogger(__name__)

NEWS_FLASH_SECTION = "news-flash"
RESOURCE_CENTER_SECTION = "european-resource-center"


@require_safe
@cache_anonymous_page(news, library)
def home(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.published().select_related("section", "source")
    context = {
        "news_flash": articles.in_section(NEWS_FLASH_SECTION)[:5],
        "resource_center_picks": articles.in_section(RESOURCE_CENTER_SECTION)[:4],
        "newest_resources": Resource.objects.published()
        .select_related("category")
        .prefetch_related("countries")
        .order_by("-published_at", "-pk")[:5],
    }
    return render(request, "home.html", context)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the app and its database answer, 503 when the database does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Health check: the database does not answer: %s", error)
        connection.close_if_unusable_or_obsolete()
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /newsletter/confirm/",
        "Disallow: /newsletter/unsubscribe/",
        # Result pages of any words anyone typed: endless, thin, and the content is
        # already listed in the sitemap.
        "Disallow: /search/",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Serve an uploaded file, in development and tests only (trafficwatch/urls.py)."""
    # MEDIA_ROOT is read per request: tests point it at a temporary folder.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page; it names the parameter when the cause is an InvalidParameter."""
    context = {}
    if isinstance(exception, InvalidParameter):
        context = {"parameter": exception.parameter, "message": exception.message}
    return render(request, "400.html", context, status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No database queries and no request context: the error may be the database itself.
    # A database that is down, met outside a view (in a middleware), is the friendly 503.
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable(request)
    return render(request, "500.html", status=500)
