from django.contrib.sitemaps import Sitemap

from .models import Resource


class ResourceSitemap(Sitemap):
    limit = 5000  # URLs per sitemap page
    changefreq = "monthly"

    def items(self):
        return Resource.objects.published().only("slug", "updated_at")

    def lastmod(self, resource: Resource):
        return resource.updated_at
