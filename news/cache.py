"""The news lists' cache generation (trafficwatch/cache.py says how; news/signals.py
replaces it on every change to articles, their tags or sections)."""

from datetime import datetime

from django.db import connection
from django.utils import timezone

from trafficwatch.cache import FRAGMENT_TIMEOUT, Generation

__all__ = ["FRAGMENT_TIMEOUT", "news"]


def next_publication() -> datetime | None:
    """Return the earliest article publication time still in the future, if any."""
    from .models import Article

    # Written out: every page of the news asks for the generation, and when it is not
    # cached, building this aggregate with the ORM took longer than running it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(published_at) FROM {Article._meta.db_table}"
            " WHERE status = %s AND published_at > %s",
            [Article.Status.PUBLISHED.value, timezone.now()],
        )
        return cursor.fetchone()[0]


news = Generation("news", next_change=next_publication)
