from django.contrib.sitemaps import Sitemap

from .models import Article


class ArticleSitemap(Sitemap):
    limit = 5000  # URLs per sitemap page
    changefreq = "weekly"

    def items(self):
        return Article.objects.published().only("slug", "updated_at")

    def lastmod(self, article: Article):
        return article.updated_at
