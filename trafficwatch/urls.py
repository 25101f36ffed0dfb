from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from news.sitemaps import ArticleSitemap
from newsletter.sitemaps import IssueSitemap
from resources.sitemaps import ResourceSitemap

from . import search, views
from .sitemaps import StaticPageSitemap

admin.site.site_header = _("TraffickingWatch administration")
admin.site.site_title = _("TraffickingWatch admin")
admin.site.index_title = _("Site administration")

sitemaps = {
    "pages": StaticPageSitemap,
    "news": ArticleSitemap,
    "resources": ResourceSitemap,
    "newsletter": IssueSitemap,
}

urlpatterns = [
    path("", views.home, name="home"),
    path("news/", include("news.urls")),
    path("resources/", include("resources.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("search/", search.search, name="search"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    # An index of sitemap pages: one sitemap of 100,000 URLs takes seconds to render.
    path("sitemap.xml", sitemap_views.index, {"sitemaps": sitemaps}, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": sitemaps},
        name="django.contrib.sitemaps.views.sitemap",
    ),
]

if settings.DEBUG or settings.TESTING:
    # Uploaded images (articles' featured images) in development and tests only; a
    # deployment serves MEDIA_ROOT from its web server or object storage (README).
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", views.media, name="media"),
    ]

handler400 = "trafficwatch.views.bad_request"
handler403 = "trafficwatch.views.permission_denied"
handler404 = "trafficwatch.views.page_not_found"
handler500 = "trafficwatch.views.server_error"
