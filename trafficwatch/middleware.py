"""Security headers on every response (CSP, Permissions-Policy, CORP); the 503 page."""

import logging
from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# What the 503 page asks clients (and crawlers) to wait before trying again.
RETRY_AFTER_SECONDS = 60

# Django's admin sets styles inline (a <style> in the change list, style attributes from
# its widgets' scripts) and frames the newsletter preview (newsletter/issue_admin.py);
# its scripts are all files. Only staff pages get this; public pages stay strict.
ADMIN_POLICY_UPDATE = {
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "frame-src": ["'self'"],
}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's allowances under the admin's URL."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if parts.update is None and request.path.startswith(reverse("admin:index")):
            parts.update = ADMIN_POLICY_UPDATE
        return parts


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """Return the Permissions-Policy header for {feature: allowed origins}; [] denies."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PolicyHeadersMiddleware:
    """Add Permissions-Policy and Cross-Origin-Resource-Policy, unless a view set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.permissions_policy = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        response.headers.setdefault(
            "Cross-Origin-Resource-Policy", settings.CROSS_ORIGIN_RESOURCE_POLICY
        )
        return response


class DatabaseUnavailableMiddleware:
    """Answer the friendly 503 page when the database cannot be reached during a view.

    Django opens a fresh connection on the next request (CONN_HEALTH_CHECKS), so the site
    recovers by itself once the database is back. Errors raised outside views (in other
    middleware) reach handler500 (trafficwatch/views.py), which answers this same 503 for them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, DATABASE_DOWN):
            return None
        logger.error("The database is unavailable: %s", exception)
        return database_unavailable(request)


DATABASE_DOWN = (OperationalError, InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """Return the friendly 503 page; it needs no database."""
    response = render(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
