"""Checking outbound links: what the published articles and resources point to.

The verdict, per URL (documented in the README's "Staff" section):
- 2xx after redirects: working.
- 404, 410 and the other 4xx: dead at once (the page is gone), except
- 401, 403 and 429: "refuses automatic checks": many sites answer robots so while the
  page works in a browser; never marked dead, shown apart for staff to look at.
- 5xx, a timeout, a refused or reset connection: dead when the next check fails too
  (FAILURES_BEFORE_DEAD); one failure may be the other site's bad minute.
- A name that does not resolve (DNS) or an address that is not http(s): dead at once.
"""

import socket
import ssl
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import LinkCheck

FAILURES_BEFORE_DEAD = 2
# Overridable in settings; polite by default: a few requests at a time, named.
DEFAULT_TIMEOUT = 10  # seconds per request
DEFAULT_CONCURRENCY = 4
DEFAULT_USER_AGENT = "TraffickingWatch-LinkCheck/1.0 (checks the links of our library once a day)"
BLOCKING_STATUSES = {401, 403, 429}
# Servers that refuse or break HEAD: ask again with GET.
HEAD_REFUSED_STATUSES = {400, 403, 404, 405, 406, 429, 500, 501, 502, 503}


@dataclass(frozen=True)
class Outcome:
    http_status: int | None
    error: str = ""
    # "ok", "dead", "blocked" or "transient" (dead after FAILURES_BEFORE_DEAD in a row).
    verdict: str = "ok"


def published_urls() -> set[str]:
    """Return every outbound URL of the published articles and resources."""
    from news.models import Article
    from resources.models import Resource

    articles = (
        Article.objects.published().exclude(source_url="").values_list("source_url", flat=True)
    )
    resources = (
        Resource.objects.published().exclude(external_url="").values_list("external_url", flat=True)
    )
    return set(articles) | set(resources)


def _request(url: str, method: str) -> int:
    request = urllib.request.Request(
        url,
        method=method,
        headers={"User-Agent": getattr(settings, "LINKCHECK_USER_AGENT", DEFAULT_USER_AGENT)},
    )
    try:
        with urllib.request.urlopen(
            request, timeout=getattr(settings, "LINKCHECK_TIMEOUT", DEFAULT_TIMEOUT)
        ) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def classify_status(status: int) -> Outcome:
    if status < 400:
        return Outcome(status)
    if status in BLOCKING_STATUSES:
        return Outcome(status, f"HTTP {status}", "blocked")
    if status >= 500:
        return Outcome(status, f"HTTP {status}", "transient")
    return Outcome(status, f"HTTP {status}", "dead")


def check_url(url: str) -> Outcome:
    """Ask url with HEAD, then GET if HEAD was refused; return the verdict. No database."""
    if not url.lower().startswith(("http://", "https://")):
        return Outcome(None, "Not an http(s) address", "dead")
    try:
        status = _request(url, "HEAD")
        if status in HEAD_REFUSED_STATUSES:
            status = _request(url, "GET")
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, socket.gaierror):
            return Outcome(None, f"Name not found: {reason}", "dead")
        if isinstance(reason, ssl.SSLError | ssl.CertificateError):
            return Outcome(None, f"Certificate problem: {reason}", "transient")
        return Outcome(None, str(reason), "transient")
    except TimeoutError:
        return Outcome(None, "Timed out", "transient")
    except (OSError, ValueError) as error:
        # A reset connection, a malformed answer or address (http.client.InvalidURL).
        return Outcome(None, str(error) or error.__class__.__name__, "transient")
    return classify_status(status)


def record(check: LinkCheck, outcome: Outcome) -> None:
    check.http_status = outcome.http_status
    check.last_error = outcome.error[:500]
    check.last_checked_at = timezone.now()
    if outcome.verdict == "ok":
        check.failures = 0
        check.status = LinkCheck.Status.OK
    elif outcome.verdict == "blocked":
        check.failures = 0
        check.status = LinkCheck.Status.BLOCKED
    else:
        check.failures += 1
        if outcome.verdict == "dead" or check.failures >= FAILURES_BEFORE_DEAD:
            check.status = LinkCheck.Status.DEAD
        else:
            check.status = LinkCheck.Status.FAILING
    check.save()


def check_all(checks: list[LinkCheck]) -> dict[str, int]:
    """Check these links, a few at a time; record each verdict; return the count per status."""
    concurrency = getattr(settings, "LINKCHECK_CONCURRENCY", DEFAULT_CONCURRENCY)
    # Requests in threads; the database is written from this thread only.
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = pool.map(check_url, [check.url for check in checks])
        for check, outcome in zip(checks, outcomes, strict=True):
            record(check, outcome)
    counts: dict[str, int] = {}
    for check in checks:
        counts[check.status] = counts.get(check.status, 0) + 1
    return counts


def recheck(queryset) -> dict[str, int]:
    """Check the links of queryset now (the admin's "check again")."""
    return check_all(list(queryset.order_by("url")))


def check_links() -> dict[str, int]:
    """Check every published outbound URL; return the number of links per status.

    The requests run LINKCHECK_CONCURRENCY at a time. URLs no longer linked from anything
    published are forgotten.
    """
    urls = published_urls()
    with transaction.atomic():
        LinkCheck.objects.exclude(url__in=urls).delete()
        known = set(LinkCheck.objects.values_list("url", flat=True))
        LinkCheck.objects.bulk_create(
            [LinkCheck(url=url) for url in urls - known], ignore_conflicts=True
        )
    return check_all(list(LinkCheck.objects.filter(url__in=urls).order_by("url")))
