"""A visitor reading on a watched device: no cookies, a quick exit, nothing stored about them."""

import hashlib
import re

import pytest
from django.core.cache import cache
from django.test import Client

from newsletter.models import Subscriber
from newsletter.tokens import make_confirmation_token
from tests.factories import SubscriberFactory
from tests.trafficwatch.test_security_headers import content, public_urls

pytestmark = pytest.mark.django_db

__all__ = ["content"]  # the fixture, shared with the security headers' tests

SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
CROSS_SITE = {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}
SIGN_UP = {"email": "reader@example.org", "consent": "on", "next": "/news/"}


@pytest.fixture
def browser_client():
    """A client that checks forgery as strictly as production does."""
    return Client(enforce_csrf_checks=True, headers=SAME_ORIGIN)


def test_no_public_page_sets_a_cookie_for_an_anonymous_reader(client, content):
    for name, url in public_urls(content).items():
        response = client.get(url)

        assert not response.cookies, name
        assert "Set-Cookie" not in response, name


def test_the_library_updated_in_place_sets_no_cookie_either(client, content):
    response = client.get("/resources/?sort=title", headers={"X-Library-Partial": "1"})

    assert response.status_code == 200
    assert not response.cookies


def test_signing_up_from_the_footer_works_without_any_cookie(browser_client):
    page = browser_client.get("/news/")
    assert not page.cookies

    response = browser_client.post("/newsletter/subscribe/", SIGN_UP)

    assert response.status_code == 303
    assert Subscriber.objects.get().email == "reader@example.org"
    assert not browser_client.cookies


def test_a_sign_up_forged_by_another_site_is_refused(browser_client):
    response = browser_client.post("/newsletter/subscribe/", SIGN_UP, headers=CROSS_SITE)

    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_a_sign_up_from_a_page_of_another_origin_is_refused_even_without_fetch_metadata(
    browser_client,
):
    response = browser_client.post(
        "/newsletter/subscribe/",
        SIGN_UP,
        headers={"Origin": "http://attacker.example", "Sec-Fetch-Site": ""},
    )

    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_a_same_site_page_on_another_subdomain_cannot_sign_up_either(browser_client):
    response = browser_client.post(
        "/newsletter/subscribe/",
        SIGN_UP,
        headers={"Origin": "http://blog.testserver", "Sec-Fetch-Site": "same-site"},
    )

    assert response.status_code == 403


def test_a_confirmation_forged_by_another_site_is_refused(browser_client):
    subscriber = SubscriberFactory()
    url = f"/newsletter/confirm/{make_confirmation_token(subscriber)}/"

    forged = browser_client.post(url, headers=CROSS_SITE)
    subscriber.refresh_from_db()
    assert forged.status_code == 403
    assert subscriber.status == Subscriber.Status.PENDING

    pressed = browser_client.post(url)
    subscriber.refresh_from_db()
    assert pressed.status_code == 303
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_a_subscriber_record_keeps_no_ip_address(browser_client):
    address = "203.0.113.77"
    browser_client.post("/newsletter/subscribe/", SIGN_UP, REMOTE_ADDR=address)

    row = Subscriber.objects.values().get()
    assert set(row) == {
        "id",
        "email",
        "name",
        "status",
        "consent_text",
        "consented_at",
        "source_page",
        "created_at",
        "updated_at",
        "confirmed_at",
        "unsubscribed_at",
        "wants_newsletter",
        "wants_resource_digest",
        "wants_news_digest",
        "digest_frequency",
    }
    assert address not in " ".join(str(value) for value in row.values())


def test_the_sign_up_rate_limit_keeps_no_readable_address_in_the_cache(browser_client):
    address = "203.0.113.78"
    plain_hash = hashlib.sha256(address.encode()).hexdigest()

    browser_client.post("/newsletter/subscribe/", SIGN_UP, REMOTE_ADDR=address)

    keys = " ".join(cache._cache)  # the local-memory cache's keys
    assert "newsletter:signup-rate:" in keys
    assert address not in keys
    assert plain_hash not in keys


def test_every_page_starts_with_a_leave_this_site_link(client, content):
    for name, url in public_urls(content).items():
        response = client.get(url)
        if not response["Content-Type"].startswith("text/html"):
            continue
        html = response.text

        exit_link = re.search(r"<a [^>]*data-quick-exit[^>]*>", html)
        assert exit_link, name
        assert 'href="https://www.bbc.co.uk/weather"' in exit_link[0], name
        assert 'rel="noreferrer"' in exit_link[0], name
        assert html.index("data-quick-exit") < html.index('<header class="site-header"'), name
        assert "press the Shift key three times" in html, name


def test_no_page_loads_anything_from_another_host(client, content):
    for name, url in public_urls(content).items():
        response = client.get(url)
        if not response["Content-Type"].startswith("text/html"):
            continue

        tags = re.findall(r"<(?:script|img|iframe|source|link)\b[^>]*>", response.text)
        # <link rel="canonical"> and rel="alternate" name addresses; they load nothing.
        loaded = [
            re.search(r'\b(?:src|href)="([^"]+)"', tag)[1]
            for tag in tags
            if re.search(r'\b(?:src|href)="', tag)
            and not re.search(r'rel="(canonical|alternate)"', tag)
        ]
        external = [src for src in loaded if re.match(r"(https?:)?//", src)]
        assert external == [], name
