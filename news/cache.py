"""The news lists' cache generation (trafficwatch/cache.py says how; news/signals.py
replaces it on every change to articles, their tags or sections)."""

from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from trafficwatch.cache import FRAGMENT_TIMEOUT, Generation

__all__ = ["FRAGMENT_TIMEOUT", "news"]


def next_publication() -> datetime | None:
    """Return the earliest article publication time still in the future, if any."""
    from .models import Article

    scheduled = Article.objects.filter(
        status=Article.Status.PUBLISHED, published_at__gt=timezone.now()
    )
    return scheduled.aggregate(first=Min("published_at"))["first"]


news = Generation("news", next_change=next_publication)
