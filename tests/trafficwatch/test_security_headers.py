"""Every kind of response carries the security headers (issue "Production hardening")."""

import base64
import hashlib
import json
import re

import pytest
from django.urls import path

from newsletter.tokens import make_confirmation_token, make_unsubscribe_token
from tests.factories import ArticleFactory, ResourceFactory, SubscriberFactory
from tests.newsletter.factories import SentIssueFactory
from tests.processes import test_database_url
from tests.trafficwatch.test_settings import PRODUCTION_ENV, run_python
from trafficwatch import urls as site_urls

pytestmark = pytest.mark.django_db

PUBLIC_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
DENIED_FEATURES = ["camera", "microphone", "geolocation", "browsing-topics", "payment", "usb"]


def boom(request):
    raise RuntimeError("a bug")


# This module doubles as a URLconf with a view that fails, to see the 500 page's headers.
urlpatterns = [path("boom/", boom), *site_urls.urlpatterns]
handler400 = site_urls.handler400
handler404 = site_urls.handler404
handler500 = site_urls.handler500


def policy(header: str) -> dict[str, str]:
    """Return the Content-Security-Policy header as {directive: sources}."""
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: (values[0] if values else "") for name, *values in directives}


@pytest.fixture
def content():
    article = ArticleFactory(slug="border-report")
    resource = ResourceFactory(slug="victim-guide")
    SentIssueFactory(slug="spring", articles=[article], resources=[resource])
    return SubscriberFactory()


def public_urls(subscriber) -> dict[str, str]:
    return {
        "home": "/",
        "news list": "/news/",
        "article": "/news/border-report/",
        "news feed": "/news/feed/",
        "library": "/resources/",
        "library with filters": "/resources/?year=2020&sort=title",
        "resource": "/resources/victim-guide/",
        "resource export": "/resources/export.csv",
        "resource feed": "/resources/feed/",
        "search": "/search/?q=report",
        "sign-up": "/newsletter/subscribe/",
        "sign-up thanks": "/newsletter/subscribe/thanks/",
        "confirmation": f"/newsletter/confirm/{make_confirmation_token(subscriber)}/",
        "unsubscribe": f"/newsletter/unsubscribe/{make_unsubscribe_token(subscriber)}/",
        "issue archive": "/newsletter/issues/",
        "issue": "/newsletter/issues/spring/",
        "issue feed": "/newsletter/issues/feed/",
        "not found": "/no-such-page/",
        "bad request": "/resources/?year=20x9",
        "health": "/healthz",
        "robots": "/robots.txt",
        "sitemap": "/sitemap.xml",
        "static file": "/static/css/site.css",
        "static script": "/static/js/quick-exit.js",
        "font": "/static/fonts/source-sans-3-latin-wght-normal.woff2",
    }


def all_responses(client, subscriber) -> dict:
    return {name: client.get(url) for name, url in public_urls(subscriber).items()}


def test_every_public_response_has_the_strict_content_security_policy(client, content):
    for name, response in all_responses(client, content).items():
        assert response.status_code < 500, name
        assert policy(response["Content-Security-Policy"]) == PUBLIC_POLICY, name


def test_no_public_response_allows_inline_or_eval_script(client, content):
    for name, response in all_responses(client, content).items():
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header, name
        assert "unsafe-eval" not in header, name


def test_every_public_response_has_the_other_security_headers(client, content):
    for name, response in all_responses(client, content).items():
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name
        assert response["Cross-Origin-Resource-Policy"] == "same-origin", name
        features = response["Permissions-Policy"].split(", ")
        for feature in DENIED_FEATURES:
            assert f"{feature}=()" in features, (name, feature)


def test_pages_may_not_be_framed_by_any_site(client, content):
    for name, response in all_responses(client, content).items():
        if response["Content-Type"].startswith("text/html"):
            assert response["X-Frame-Options"] == "DENY", name


def test_the_statuses_of_the_checked_responses_are_the_expected_ones(client, content):
    statuses = {name: r.status_code for name, r in all_responses(client, content).items()}

    assert statuses.pop("not found") == 404
    assert statuses.pop("bad request") == 400
    assert set(statuses.values()) == {200}, statuses


@pytest.mark.urls(__name__)
def test_the_server_error_page_has_the_security_headers_too(client):
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == 500
    assert policy(response["Content-Security-Policy"]) == PUBLIC_POLICY
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_admin_gets_inline_styles_but_no_inline_scripts(client):
    response = client.get("/admin/login/")

    admin_policy = policy(response["Content-Security-Policy"])
    assert admin_policy["script-src"] == "'self'"
    assert admin_policy["style-src"] == "'self' 'unsafe-inline'"
    assert admin_policy["frame-ancestors"] == "'none'"
    assert admin_policy["default-src"] == "'none'"


def test_the_email_preview_keeps_its_own_sandboxed_policy(admin_client):
    issue = SentIssueFactory()

    response = admin_client.get(f"/admin/newsletter/issue/{issue.pk}/preview/email/")

    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert header.startswith("sandbox; default-src 'none'")
    assert "script-src" not in header
    assert policy(header)["frame-ancestors"] == "'self'"


def test_the_health_check_json_is_not_sniffed_or_embeddable(client):
    response = client.get("/healthz")

    assert json.loads(response.content)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


# With an https SITE_URL, as in production: a fresh process with the production
# environment, talking to the test database, signs in to the admin over https.
PRODUCTION_SIGN_IN = """
import django, json
django.setup()
from django.test import Client
host = "traffickingwatch.example"
browser = Client(headers={"Host": host, "Origin": "https://" + host})
page = browser.get("/admin/login/", secure=True)
token = page.cookies["csrftoken"].value
signed_in = browser.post(
    "/admin/login/?next=/admin/",
    {"username": "staff", "password": "a long staff password", "csrfmiddlewaretoken": token},
    secure=True,
)
home = browser.get("/", secure=True)
plain = browser.get("/", headers={"Host": host})
cookies = {}
for response in (page, signed_in):
    for name, morsel in response.cookies.items():
        cookies[name] = {key: morsel[key] for key in ("secure", "httponly", "samesite")}
print(json.dumps({
    "status": signed_in.status_code,
    "cookies": cookies,
    "hsts": home.get("Strict-Transport-Security"),
    "csp": home["Content-Security-Policy"],
    "plain": [plain.status_code, plain.get("Location")],
}))
"""


@pytest.fixture
def production(django_user_model):
    django_user_model.objects.create_superuser(
        "staff", "staff@example.org", "a long staff password"
    )
    # PYTEST_VERSION: static files from the finders, as no collectstatic ran.
    result = run_python(
        PRODUCTION_SIGN_IN,
        **{**PRODUCTION_ENV, "DATABASE_URL": test_database_url()},
        PYTEST_VERSION="1",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_an_https_site_sets_secure_http_only_same_site_cookies(production):
    assert production["status"] == 302
    session = production["cookies"]["sessionid"]
    csrf = production["cookies"]["csrftoken"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert csrf == {"secure": True, "httponly": True, "samesite": "Lax"}


@pytest.mark.django_db(transaction=True)
def test_an_https_site_sends_hsts_upgrades_requests_and_redirects_plain_http(production):
    assert production["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "upgrade-insecure-requests" in policy(production["csp"])
    assert production["plain"] == [301, "https://traffickingwatch.example/"]


def test_every_public_page_answers_head_as_it_answers_get(client, content):
    """Link checkers, monitors and caches ask with HEAD: a 405 would report the site broken."""
    for name, url in public_urls(content).items():
        got = client.get(url)
        head = client.head(url)
        assert head.status_code == got.status_code, name
        body = b"".join(head.streaming_content) if head.streaming else head.content
        assert body == b"", name
        assert head["Content-Type"] == got["Content-Type"], name


SCRIPT_TAG = re.compile(r"<script\b[^>]*>")


def test_every_script_of_a_public_page_carries_the_integrity_hash_of_its_file(client, content):
    """Subresource Integrity: the browser runs a script only if its bytes match the hash."""
    checked = set()
    for name, response in all_responses(client, content).items():
        if not response["Content-Type"].startswith("text/html"):
            continue
        for tag in SCRIPT_TAG.findall(response.content.decode()):
            if "src=" not in tag:
                continue  # JSON-LD data, not code
            src = re.search(r'src="([^"]+)"', tag)[1]
            integrity = re.search(r'integrity="sha384-([^"]+)"', tag)
            assert integrity, (name, tag)
            script = b"".join(client.get(src).streaming_content)
            assert base64.b64encode(hashlib.sha384(script).digest()).decode() == integrity[1]
            checked.add(src)
    assert len(checked) >= 3  # the quick exit, the library and the citation scripts
