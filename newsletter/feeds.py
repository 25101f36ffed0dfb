"""RSS 2.0 feed of the newsletter archive: the latest sent issues."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from trafficwatch.page_cache import conditional_on

from .cache import issues
from .models import Issue

FEED_ITEMS = 20


def absolute(path: str) -> str:
    """Return path as an absolute URL on SITE_URL, whatever host the request came in on."""
    return f"{settings.SITE_URL}{path}"


class LatestIssuesFeed(Feed):
    description = _("The latest issues of the newsletter on trafficking in human beings.")

    def __call__(self, request, *args, **kwargs):
        # A feed reader polling an unchanged feed gets a 304 without a query; a deleted
        # issue moves the date too (the newest issue's date would not).
        return conditional_on(issues)(super().__call__)(request, *args, **kwargs)

    def title(self) -> str:
        return _("%(site)s: newsletter") % {"site": settings.SITE_NAME}

    def link(self) -> str:
        return absolute(reverse("newsletter:issues"))

    def feed_url(self) -> str:
        return absolute(reverse("newsletter:issues-feed"))

    def items(self):
        return Issue.objects.sent()[:FEED_ITEMS]

    def item_title(self, issue: Issue) -> str:
        return issue.subject

    def item_description(self, issue: Issue) -> str:
        # The introduction was sanitized against the allowlist when it was saved.
        return issue.introduction

    def item_link(self, issue: Issue) -> str:
        return absolute(issue.get_absolute_url())

    def item_guid(self, issue: Issue) -> str:
        return absolute(issue.get_absolute_url())

    def item_pubdate(self, issue: Issue):
        return issue.queued_at

    def item_updateddate(self, issue: Issue):
        return issue.updated_at
