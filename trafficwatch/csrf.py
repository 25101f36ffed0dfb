"""Cross-site request forgery protection without a cookie, for the public forms.

Visitors may read the site on a device someone else watches, so an anonymous reader gets
no cookie (issue "Safety of vulnerable visitors"), and Django's CSRF token needs one. The
public forms (newsletter sign-up and confirmation) are instead protected as Go 1.25's
net/http CrossOriginProtection does (https://words.filippo.io/csrf/): every browser since
2023 sends Sec-Fetch-Site, and every browser since 2020 sends Origin with a POST, so a
POST that a browser says comes from another site is refused. A request with neither
header is not a browser following a forged form (curl, a test client): it could send
anything anyway. The worst a forged sign-up could do is a confirmation email.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.urls import get_callable
from django.views.decorators.csrf import csrf_exempt

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def cross_origin_reason(request: HttpRequest) -> str | None:
    """Return why this request is a cross-origin write to refuse, or None to accept it."""
    if request.method in SAFE_METHODS:
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site in {"same-origin", "none"}:
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        if fetch_site is None:
            return None
        return f"the browser says this form was sent from a {fetch_site} page."
    if origin == own_origin(request) or origin in settings.CSRF_TRUSTED_ORIGINS:
        return None
    return f"the form was sent from {origin}, another site."


def own_origin(request: HttpRequest) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{request.scheme}://{host}"


def cross_origin_protected(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Exempt view from the CSRF cookie and token; refuse cross-origin POSTs instead."""

    @csrf_exempt
    @wraps(view)
    def protected(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The test client's switch for Django's own check (Client(enforce_csrf_checks=...)).
        if not getattr(request, "_dont_enforce_csrf_checks", False):
            reason = cross_origin_reason(request)
            if reason is not None:
                return get_callable(settings.CSRF_FAILURE_VIEW)(request, reason=reason)
        return view(request, *args, **kwargs)

    return protected
