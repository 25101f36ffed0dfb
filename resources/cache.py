"""The library's cache generation: every cached library fragment is keyed by it
(trafficwatch/cache.py says how; resources/signals.py replaces it on every change)."""

from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from trafficwatch.cache import FRAGMENT_TIMEOUT, Generation

__all__ = ["FRAGMENT_TIMEOUT", "GENERATION_KEY", "fragment_key", "generation", "invalidate"]


def next_publication() -> datetime | None:
    """Return the earliest resource publication time still in the future, if any."""
    from .models import Resource

    scheduled = Resource.objects.filter(
        status=Resource.Status.PUBLISHED, published_at__gt=timezone.now()
    )
    return scheduled.aggregate(first=Min("published_at"))["first"]


library = Generation("resources:library", next_change=next_publication)
GENERATION_KEY = library.key
generation = library.current
invalidate = library.invalidate
fragment_key = library.fragment_key
