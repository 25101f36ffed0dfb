"""The news lists' cache generation (trafficwatch/cache.py says how; news/signals.py
replaces it on every change to articles, their tags or sections)."""

from datetime import datetime

from trafficwatch.cache import FRAGMENT_TIMEOUT, Generation, next_scheduled_publication

__all__ = ["FRAGMENT_TIMEOUT", "news"]


def next_publication() -> datetime | None:
    """Return the earliest article publication time still in the future, if any."""
    from .models import Article

    return next_scheduled_publication(Article)


news = Generation("news", next_change=next_publication)
