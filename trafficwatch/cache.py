"""Cache generations: fragments keyed by a token that every change to their data replaces.

Any change to what a part of the site shows replaces that part's generation, so the keys of
everything cached before stop being asked for and the next request computes afresh: never
stale, nothing to delete by pattern. The generation is a random token, not a counter: if
the cache evicts it, the new one cannot be mistaken for an old one whose fragments are
still cached.

Content published with a future publication time appears without any change being saved,
so a generation also records the next such time (next_change) and is replaced once it passes.
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

FRAGMENT_TIMEOUT = 60 * 60  # seconds: fragments of unchanged data age out after an hour


def next_scheduled_publication(model) -> datetime | None:
    """Return the earliest publication time still in the future among model's published
    rows (Article, Resource: a `status` with Status.PUBLISHED, a `published_at`), if any."""
    # Written out: every page asks for its generation, and when it is not cached, building
    # this aggregate with the ORM took longer than running it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(published_at) FROM {model._meta.db_table}"
            " WHERE status = %s AND published_at > %s",
            [model.Status.PUBLISHED.value, timezone.now()],
        )
        return cursor.fetchone()[0]


class Generation:
    def __init__(self, name: str, *, next_change: Callable[[], datetime | None]):
        self.name = name
        self.key = f"{name}:generation"
        self.next_change = next_change

    def current(self) -> str:
        """Return the current token, starting a new one if none is cached or it expired."""
        return self.live_token(cache.get(self.key)) or self.start()

    @staticmethod
    def live_token(cached: tuple[str, datetime | None] | None) -> str | None:
        """Return the token of a cached (token, expires) pair unless it expired."""
        if cached is None:
            return None
        token, expires = cached
        return token if expires is None or timezone.now() < expires else None

    def start(self) -> str:
        """Start a new generation and return its token."""
        token = secrets.token_hex(8)
        cache.set(self.key, (token, self.next_change()), timeout=None)
        return token

    def invalidate(self) -> None:
        """Start a new generation now, and again when the current transaction commits.

        Now, so the request making the change sees it; after the commit too, because a
        request that read the old rows in between may have cached them under the
        generation of now.
        """
        cache.delete(self.key)
        transaction.on_commit(lambda: cache.delete(self.key))

    def fragment_key(self, name: str, parameters: object, current: str) -> str:
        """Return the cache key of a fragment named name for these (JSON-able) parameters.

        current is current(), read once per request and before any row the fragment shows:
        a change committed in between then lands under a generation already replaced.
        """
        encoded = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.blake2b(encoded.encode(), digest_size=16).hexdigest()
        return f"{self.name}:{current}:{name}:{digest}"


def current_tokens(generations: tuple[Generation, ...]) -> list[str]:
    """Return each generation's current(), in one round trip to the cache while all live."""
    found = cache.get_many([generation.key for generation in generations])
    return [
        generation.live_token(found.get(generation.key)) or generation.start()
        for generation in generations
    ]
