"""Whole public pages cached for anonymous visitors, and conditional GET for feeds and exports.

A page is cached under the generations (trafficwatch/cache.py) of every part of the site it
shows: any change to one of them replaces its token, so the next request builds the page
afresh, and a scheduled item coming due ends the generation by itself. Only what is the
same for every anonymous visitor is cached: no signed-in user (they carry the session
cookie: staff see preview banners), no shared preview link, no page that used the session
or the CSRF token or set a cookie, nothing but a 200.

The cache sits inside the view, so the middleware still runs on a cached page: the
security headers and the CSP are computed for each response, never replayed.

Feeds and the CSV export answer If-None-Match and If-Modified-Since (django's condition())
from the same generations, without a query in the usual case.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.views.decorators.http import condition

from .cache import FRAGMENT_TIMEOUT, Generation, current_tokens
from .preview import TOKEN_PARAMETER

PAGE_TIMEOUT = FRAGMENT_TIMEOUT
# Cookies that make a page someone's own: a session (signed in, or messages in it) and
# messages waiting to be shown (django.contrib.messages' cookie storage).
PERSONAL_COOKIES = ("messages",)
RECENT_PAGES = 64  # pages each process also keeps in its own memory


class RecentPages:
    """The pages this process served last, by cache key, for at most PAGE_TIMEOUT.

    A key names one page under one set of generation tokens, and a page under given tokens
    never changes: a copy here cannot be stale, it only saves fetching and unpickling the
    page from Redis on every request. Only the tokens are read from the shared cache.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.pages: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self.lock = threading.Lock()  # gunicorn's threads share it

    def get(self, key: str) -> tuple | None:
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            self.pages.move_to_end(key)
            return entry[1]

    def put(self, key: str, page: tuple) -> None:
        with self.lock:
            self.pages[key] = (time.monotonic() + PAGE_TIMEOUT, page)
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


recent_pages = RecentPages(RECENT_PAGES)


def digest(*parts: object) -> str:
    text = "\n".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def is_anonymous_read(request: HttpRequest) -> bool:
    """Say whether the page this request asks for is the same for every anonymous visitor."""
    if request.method not in ("GET", "HEAD") or TOKEN_PARAMETER in request.GET:
        return False
    cookies = (settings.SESSION_COOKIE_NAME, *PERSONAL_COOKIES)
    return not any(name in request.COOKIES for name in cookies)


def is_shareable(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Say whether response, as the view made it, may be replayed to any anonymous visitor."""
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")  # preview.mark_private() and the like
        and not (session is not None and session.accessed)
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )


def page_key(request: HttpRequest, generations: tuple[Generation, ...], vary_on) -> str:
    # Tokens first, before any row is read (Generation.fragment_key says why). The date,
    # for the footer's year and anything else that turns with the calendar.
    tokens = ":".join(current_tokens(generations))
    headers = [request.headers.get(name, "") for name in vary_on]
    parts = (request.build_absolute_uri(), getattr(request, "LANGUAGE_CODE", ""), *headers)
    return f"page:{tokens}:{timezone.localdate().isoformat()}:{digest(*parts)}"


def store(key: str, response: HttpResponseBase) -> None:
    headers = [(name, value) for name, value in response.items()]
    page = (response.status_code, headers, response.content)
    cache.set(key, page, PAGE_TIMEOUT)
    recent_pages.put(key, page)


def cached_page(key: str) -> tuple | None:
    page = recent_pages.get(key)
    if page is None:
        page = cache.get(key)
        if page is not None:
            recent_pages.put(key, page)
    return page


def replay(cached: tuple) -> HttpResponse:
    status, headers, content = cached
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def cache_anonymous_page(*generations: Generation, vary_on: tuple[str, ...] = ()):
    """Cache the view's page for anonymous visitors under these generations' tokens.

    vary_on names the request headers the view answers differently to (its Vary header).
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
            if not is_anonymous_read(request):
                return view(request, *args, **kwargs)
            key = page_key(request, generations, vary_on)
            cached = cached_page(key)
            if cached is not None:
                return replay(cached)
            response = view(request, *args, **kwargs)

            def store_if_shareable(rendered: HttpResponseBase) -> None:
                if is_shareable(request, rendered):
                    store(key, rendered)

            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.add_post_render_callback(store_if_shareable)
            else:
                store_if_shareable(response)
            return response

        return wrapped

    return decorator


def since(generation: Generation) -> datetime:
    """Return when generation's current token began, to the second: its Last-Modified.

    HTTP dates count whole seconds, so each new token begins at least a second after the
    one before: a change made in the same second as the last one still moves the date, and
    If-Modified-Since never hides it.
    """
    token = generation.current()
    key = f"{generation.name}:since:{token}"
    began = cache.get(key)
    if began is None:
        latest_key = f"{generation.name}:latest-since"
        now = timezone.now().replace(microsecond=0)
        latest = cache.get(latest_key)
        candidate = max(now, latest + timedelta(seconds=1)) if latest else now
        # add(): if another process got there first, its date is the one everybody uses.
        cache.add(key, candidate, timeout=None)
        began = cache.get(key, candidate)
        cache.set(latest_key, began, timeout=None)
    return began


def conditional_on(*generations: Generation, daily: bool = False):
    """Decorate a view to answer 304 while none of these generations has changed.

    daily: the response also changes with the date (an export named after the day).
    """

    def etag(request: HttpRequest, *args, **kwargs) -> str:
        tokens = [generation.current() for generation in generations]
        day = timezone.localdate().isoformat() if daily else ""
        return digest(request.get_full_path(), day, *tokens)

    def last_modified(request: HttpRequest, *args, **kwargs) -> datetime:
        latest = max(since(generation) for generation in generations)
        if daily:
            midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
            latest = max(latest, midnight)
        return latest

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def with_our_date(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            # A feed dates itself by its newest item, which an unpublished or deleted one
            # does not move: the date that answers If-Modified-Since must be the one sent.
            if response.has_header("Last-Modified"):
                del response["Last-Modified"]
            return response

        return condition(etag_func=etag, last_modified_func=last_modified)(with_our_date)

    return decorator
