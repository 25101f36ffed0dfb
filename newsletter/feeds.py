"""RSS 2.0 feed of the newsletter archive: the latest sent issues."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import condition

from .models import Issue

FEED_ITEMS = 20


def absolute(path: str) -> str:
    """Return path as an absolute URL on SITE_URL, whatever host the request came in on."""
    return f"{settings.SITE_URL}{path}"


def archive_state(request) -> dict:
    """Return what changes whenever the archive does, in one aggregate query per request.

    The count, for an issue removed; the latest queue time, for one sent; the latest
    update, for one edited.
    """
    if not hasattr(request, "newsletter_archive_state"):
        request.newsletter_archive_state = Issue.objects.sent().aggregate(
            issues=Count("pk"), queued=Max("queued_at"), updated=Max("updated_at")
        )
    return request.newsletter_archive_state


def archive_etag(request) -> str:
    state = archive_state(request)
    return f"{state['issues']}-{state['queued']}-{state['updated']}"


def archive_last_modified(request):
    state = archive_state(request)
    return max(filter(None, [state["queued"], state["updated"]]), default=None)


class LatestIssuesFeed(Feed):
    description = _("The latest issues of the newsletter on trafficking in human beings.")

    def __call__(self, request, *args, **kwargs):
        # A feed reader polling an unchanged feed gets a 304 for one aggregate query.
        conditional = condition(etag_func=archive_etag, last_modified_func=archive_last_modified)
        return conditional(super().__call__)(request, *args, **kwargs)

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
