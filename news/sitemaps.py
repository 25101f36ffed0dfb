from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from .models import Article


class ArticleSitemap(Sitemap):
    limit = 5000  # URLs per sitemap page
    changefreq = "weekly"

    def items(self):
        return Article.objects.published().only("slug", "updated_at")

    def lastmod(self, article: Article):
        return article.updated_at

    def get_latest_lastmod(self):
        # One aggregate instead of Django's default, which calls lastmod() on every row.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]
