from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from .models import Issue


class IssueSitemap(Sitemap):
    limit = 5000  # URLs per sitemap page
    changefreq = "yearly"  # a sent issue does not change

    def items(self):
        return Issue.objects.sent().only("slug", "updated_at")

    def lastmod(self, issue: Issue):
        return issue.updated_at

    def get_latest_lastmod(self):
        # One aggregate instead of Django's default, which calls lastmod() on every row.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]
