"""Draft → scheduled → published, for articles and resources alike.

Both models keep a `status` (draft/published) and a `published_at`; "scheduled" is not
stored: it is a published item whose time is still to come, which becomes public by
itself when the time passes (ArticleQuerySet.published, ResourceQuerySet.published).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DRAFT = "draft"
PUBLISHED = "published"


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


def state_of(item, now: datetime | None = None) -> PublicationState:
    """Return what the public sees of item at now: nothing yet, soon, or the page."""
    now = now or timezone.now()
    if item.status != PUBLISHED or item.published_at is None:
        return PublicationState.DRAFT
    if item.published_at > now:
        return PublicationState.SCHEDULED
    return PublicationState.PUBLISHED


def state_condition(state: str, now: datetime | None = None) -> Q:
    """Return the filter that keeps the items in state at now."""
    now = now or timezone.now()
    published = Q(status=PUBLISHED, published_at__isnull=False)
    return {
        PublicationState.DRAFT: ~published,
        PublicationState.SCHEDULED: published & Q(published_at__gt=now),
        PublicationState.PUBLISHED: published & Q(published_at__lte=now),
    }[PublicationState(state)]


def publish_now(queryset, now: datetime | None = None) -> int:
    """Make the items that are not public yet public now; return how many changed."""
    now = now or timezone.now()
    return queryset.exclude(state_condition(PublicationState.PUBLISHED, now)).update(
        status=PUBLISHED, published_at=now, updated_at=now
    )


def schedule(queryset, when: datetime) -> int:
    """Set the items to appear at when (published, with that time); return how many."""
    return queryset.update(status=PUBLISHED, published_at=when, updated_at=timezone.now())


@dataclass(frozen=True)
class CalendarEntry:
    title: str
    kind: str  # the model's verbose name: "article", "resource"
    published_at: datetime
    change_url: str


def calendar_models(user) -> list[type[models.Model]]:
    """Return the models with a publication time whose items user may view in the admin."""
    from news.models import Article
    from resources.models import Resource

    return [
        model
        for model in (Article, Resource)
        if user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")
    ]


def entries(model: type[models.Model], condition: Q, order: str) -> list[CalendarEntry]:
    opts = model._meta
    rows = (
        model.objects.filter(condition).order_by(order).values_list("pk", "title", "published_at")
    )
    return [
        CalendarEntry(
            title=title,
            kind=opts.verbose_name,
            published_at=published_at,
            change_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]),
        )
        for pk, title, published_at in rows
    ]


def calendar(
    models_: list[type[models.Model]],
    now: datetime | None = None,
    weeks_ahead: int = 4,
    weeks_back: int = 2,
) -> dict:
    """Return what is scheduled for the coming weeks, by day, and what was published lately.

    {"scheduled": [(date, [entries...]), ...], "published": [(date, [entries...]), ...],
    "until": datetime, "since": datetime}; days in the site's time zone, soonest first
    for the schedule, latest first for the published. One query per model and part.
    """
    now = now or timezone.now()
    until, since = now + timedelta(weeks=weeks_ahead), now - timedelta(weeks=weeks_back)
    scheduled_condition = state_condition(PublicationState.SCHEDULED, now) & Q(
        published_at__lte=until
    )
    published_condition = state_condition(PublicationState.PUBLISHED, now) & Q(
        published_at__gte=since
    )
    scheduled, published = [], []
    for model in models_:
        scheduled += entries(model, scheduled_condition, "published_at")
        published += entries(model, published_condition, "-published_at")
    return {
        "scheduled": by_day(sorted(scheduled, key=lambda entry: entry.published_at)),
        "published": by_day(sorted(published, key=lambda entry: entry.published_at, reverse=True)),
        "until": until,
        "since": since,
    }


def by_day(entries_: list[CalendarEntry]) -> list[tuple[date, list[CalendarEntry]]]:
    days: dict[date, list[CalendarEntry]] = {}
    for entry in entries_:
        days.setdefault(timezone.localdate(entry.published_at), []).append(entry)
    return list(days.items())
