"""Per-client-address rate limit for sign-ups, counted in Django's cache."""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from trafficwatch.client import client_address

# SIGNUP_RATE_LIMIT as in CONTRACT.md: "N/m" (per minute) or "N/h" (per hour).
RATE_PATTERN = re.compile(r"([0-9]{1,9})/([mh])")
WINDOW_SECONDS = {"m": 60, "h": 60 * 60}
CACHE_KEY_PREFIX = "newsletter:signup-rate:"


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds


@lru_cache(maxsize=8)
def parse_rate(value: str) -> Rate:
    """Return the Rate that "10/m" or "3/h" describes, or raise ImproperlyConfigured."""
    match = RATE_PATTERN.fullmatch(value.strip())
    if match is None or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"SIGNUP_RATE_LIMIT must look like 10/m or 3/h (a positive number of sign-ups "
            f"per minute or per hour), not {value!r}."
        )
    return Rate(limit=int(match[1]), window=WINDOW_SECONDS[match[2]])


def signup_rate() -> Rate:
    """Return the configured sign-up rate (read at each use so tests can override it)."""
    value = settings.SIGNUP_RATE_LIMIT
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"SIGNUP_RATE_LIMIT must be a string, not {value!r}.")
    return parse_rate(value)


def allow_signup(request: HttpRequest) -> bool:
    """Count this attempt against the client's address; False once it is over the limit."""
    rate = signup_rate()
    # A keyed hash: a valid key for every cache backend, and no address readable in the
    # cache (a plain SHA-256 of an IPv4 address is reversed by trying all 2**32 of them).
    address = client_address(request).encode(errors="replace")
    key = CACHE_KEY_PREFIX + salted_hmac(CACHE_KEY_PREFIX, address, algorithm="sha256").hexdigest()
    # A fixed window that opens with the first attempt: add() sets the expiry only once.
    cache.add(key, 0, timeout=rate.window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(key, 1, timeout=rate.window)
        count = 1
    return count <= rate.limit
