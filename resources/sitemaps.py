from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from .models import Resource


class ResourceSitemap(Sitemap):
    limit = 5000  # URLs per sitemap page
    changefreq = "monthly"

    def items(self):
        return Resource.objects.published().only("slug", "updated_at")

    def lastmod(self, resource: Resource):
        return resource.updated_at

    def get_latest_lastmod(self):
        # One aggregate instead of Django's default, which calls lastmod() on every row.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]
