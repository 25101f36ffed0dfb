"""What the admin's front page shows staff: the work waiting for them.

Each card is there only for users who may see its part of the site: an Editor sees the
drafts and the schedule, not the subscribers.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from . import publishing
from .publishing import PublicationState

LATEST_DRAFTS = 5


@dataclass(frozen=True)
class DraftEntry:
    title: str
    kind: str
    updated_at: datetime
    change_url: str


def cards(user, now: datetime | None = None) -> dict:
    """Return {card name: its figures} for the cards user may see."""
    now = now or timezone.now()
    result = {}
    editorial = publishing.calendar_models(user)
    if editorial:
        result["drafts"] = drafts(editorial)
        result["scheduled"] = publishing.by_day(scheduled_this_week(editorial, now))
    if apps.is_installed("links") and user.has_perm("links.view_linkcheck"):
        result["dead_links"] = dead_links()
    if user.has_perm("newsletter.view_subscriber"):
        result["subscribers"] = subscriber_counts()
    if user.has_perm("newsletter.view_issue"):
        result["last_issue"] = last_issue()
    return result


def drafts(models_) -> dict:
    """Return the number of drafts and the latest edited few, articles and resources."""
    condition = publishing.state_condition(PublicationState.DRAFT)
    count, latest = 0, []
    for model in models_:
        opts = model._meta
        count += model.objects.filter(condition).count()
        rows = (
            model.objects.filter(condition)
            .order_by("-updated_at")
            .values_list("pk", "title", "updated_at")[:LATEST_DRAFTS]
        )
        latest += [
            DraftEntry(
                title=title,
                kind=opts.verbose_name,
                updated_at=updated_at,
                change_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]),
            )
            for pk, title, updated_at in rows
        ]
    latest.sort(key=lambda entry: entry.updated_at, reverse=True)
    return {"count": count, "latest": latest[:LATEST_DRAFTS]}


def scheduled_this_week(models_, now: datetime) -> list[publishing.CalendarEntry]:
    condition = publishing.state_condition(PublicationState.SCHEDULED, now) & Q(
        published_at__lte=now + timedelta(days=7)
    )
    scheduled = []
    for model in models_:
        scheduled += publishing.entries(model, condition, "published_at")
    return sorted(scheduled, key=lambda entry: entry.published_at)


def dead_links() -> dict:
    """Return the number of outbound links found dead and a few of them (links app)."""
    from links.models import LinkCheck

    dead = LinkCheck.objects.dead()
    return {
        "count": dead.count(),
        "latest": list(dead.order_by("-last_checked_at", "url")[:LATEST_DRAFTS]),
        "changelist_url": reverse("admin:links_linkcheck_changelist")
        + f"?status__exact={LinkCheck.Status.DEAD}",
    }


def subscriber_counts() -> dict:
    from newsletter.models import Subscriber

    return Subscriber.objects.aggregate(
        pending=Count("pk", filter=Q(status=Subscriber.Status.PENDING)),
        confirmed=Count("pk", filter=Q(status=Subscriber.Status.CONFIRMED)),
    )


def last_issue() -> dict | None:
    """Return the issue sent last and its deliveries per status, or None before the first."""
    from newsletter.models import Delivery, Issue
    from newsletter.sending import progress

    issue = Issue.objects.sent().order_by("-queued_at").first()
    if issue is None:
        return None
    counts = progress(issue)
    return {
        "issue": issue,
        "figures": [(Delivery.Status(status).label, count) for status, count in counts.items()],
        "total": sum(counts.values()),
    }
