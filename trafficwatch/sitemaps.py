from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class StaticPageSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return [
            "home",
            "news:article-list",
            "resources:resource-list",
            "newsletter:subscribe",
            "newsletter:issues",
        ]

    def location(self, item: str) -> str:
        return reverse(item)
