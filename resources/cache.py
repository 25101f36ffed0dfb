"""The library's cache generation: every cached library fragment is keyed by it
(trafficwatch/cache.py says how; resources/signals.py replaces it on every change)."""

from datetime import datetime

from trafficwatch.cache import FRAGMENT_TIMEOUT, Generation, next_scheduled_publication

__all__ = ["FRAGMENT_TIMEOUT", "GENERATION_KEY", "fragment_key", "generation", "invalidate"]


def next_publication() -> datetime | None:
    """Return the earliest resource publication time still in the future, if any."""
    from .models import Resource

    return next_scheduled_publication(Resource)


library = Generation("resources:library", next_change=next_publication)
GENERATION_KEY = library.key
generation = library.current
invalidate = library.invalidate
fragment_key = library.fragment_key
