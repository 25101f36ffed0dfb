"""The address of the client behind the proxies we trust (rate limits, audit)."""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Return the client's IP address: X-Forwarded-For read from the right, past our proxies.

    gunicorn does not rewrite REMOTE_ADDR: behind a load balancer it is the balancer's
    address for everybody. Only a request that comes from a trusted proxy
    (FORWARDED_ALLOW_IPS) has its X-Forwarded-For read, and only up to the first address
    that is not a trusted proxy: what the client itself wrote further left is not believed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if remote not in settings.TRUSTED_PROXIES:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for candidate in reversed([part.strip() for part in forwarded.split(",")]):
        if not _is_ip(candidate):
            break
        if candidate not in settings.TRUSTED_PROXIES:
            return candidate
    return remote


def _is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True
