"""In Chromium: every page runs under the strict policy, and nothing loads from elsewhere."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from newsletter.tokens import make_confirmation_token, make_unsubscribe_token
from tests.factories import (
    ArticleWithImageFactory,
    AuthorFactory,
    CategoryFactory,
    ResourceFactory,
    SubscriberFactory,
)
from tests.newsletter.factories import SentIssueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Injected through the DevTools protocol before any script of the page: not itself
# subject to the page's policy. It records each violation the browser reports.
LISTEN_FOR_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
      `(${event.sourceFile}:${event.lineNumber})`,
  );
});
"""
# Reports are dispatched as tasks: wait one turn of the event loop before reading them.
READ_VIOLATIONS = "() => new Promise((done) => setTimeout(() => done(window.__violations), 50))"


class Watch:
    """What a browser tab did: policy violations, console complaints, requests."""

    def __init__(self, page, live_server):
        self.page = page
        self.host = urlsplit(live_server.url).netloc
        self.violations: list[str] = []
        self.console: list[str] = []
        self.requests: list[str] = []
        page.add_init_script(LISTEN_FOR_VIOLATIONS)
        page.on("console", self._console)
        page.on("request", lambda request: self.requests.append(request.url))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Permissions-Policy" in text:
            self.console.append(text)

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self.collect()

    def collect(self) -> None:
        self.violations += [
            f"{self.page.url}: {violation}" for violation in self.page.evaluate(READ_VIOLATIONS)
        ]

    def other_hosts(self) -> list[str]:
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != self.host
        ]


@pytest.fixture
def watch(page, live_server) -> Watch:
    return Watch(page, live_server)


@pytest.fixture
def site(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    article = ArticleWithImageFactory(slug="shelter-opens", tags=["Labour exploitation"])
    report = CategoryFactory(name="Report", slug="report")
    resource = ResourceFactory(
        slug="curriculum",
        title="Training curriculum on identifying trafficked persons",
        category=report,
        authors=[AuthorFactory(name="Anna Ng", sort_name="Ng, Anna")],
    )
    ResourceFactory(title="Yearbook on illegal migration", category=CategoryFactory())
    SentIssueFactory(slug="spring", articles=[article], resources=[resource])
    subscriber = SubscriberFactory()
    return {
        "home": "/",
        "news list": "/news/",
        "news by tag": "/news/?tag=labour-exploitation",
        "article": "/news/shelter-opens/",
        "library": "/resources/",
        "library search": "/resources/?q=curriculum",
        "resource": "/resources/curriculum/",
        "site search": "/search/?q=trafficking",
        "sign-up": "/newsletter/subscribe/",
        "sign-up thanks": "/newsletter/subscribe/thanks/",
        "confirmation": f"/newsletter/confirm/{make_confirmation_token(subscriber)}/",
        "unsubscribe": f"/newsletter/unsubscribe/{make_unsubscribe_token(subscriber)}/",
        "issue archive": "/newsletter/issues/",
        "issue": "/newsletter/issues/spring/",
        "not found": "/no-such-page/",
        "bad request": "/resources/?year=20x9",
    }


def test_no_public_page_violates_the_content_security_policy(watch, site):
    for url in site.values():
        watch.visit(url)

    assert watch.violations == []
    assert watch.console == []


def test_no_public_page_requests_anything_from_another_host(watch, site):
    for url in site.values():
        watch.visit(url)

    assert watch.other_hosts() == []
    assert any(url.endswith(".woff2") for url in watch.requests)  # the font did load
    assert any("/media/" in url for url in watch.requests)  # and the article's image


def test_the_library_updates_in_place_under_the_policy(watch, site):
    watch.visit("/resources/")
    watch.page.evaluate("window.notReloaded = true")

    watch.page.get_by_role("group", name="Category").get_by_label("Report").check()
    watch.page.wait_for_url("**/resources/?*category=report*")
    watch.page.wait_for_load_state("networkidle")
    watch.collect()

    assert watch.page.evaluate("window.notReloaded") is True  # library.js did the work
    assert watch.violations == []
    assert watch.console == []
    assert watch.other_hosts() == []


def test_the_copy_citation_button_works_under_the_policy(watch, site):
    watch.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    watch.visit("/resources/curriculum/")

    watch.page.get_by_role("button", name="Copy citation").click()
    watch.page.get_by_text("Copied", exact=True).wait_for(state="attached")
    watch.collect()

    assert "Training curriculum" in watch.page.evaluate("navigator.clipboard.readText()")
    assert watch.violations == []
    assert watch.console == []


def test_the_admin_works_under_its_own_policy(watch, site, live_server, admin_user):
    client = Client()
    client.force_login(admin_user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    watch.page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )
    issue = SentIssueFactory()

    for url in (
        "/admin/",
        "/admin/news/article/",
        "/admin/news/article/add/",
        f"/admin/newsletter/issue/{issue.pk}/preview/",
    ):
        watch.visit(url)

    assert watch.violations == []


def test_an_inline_script_or_a_foreign_image_would_be_blocked_and_noticed(watch, site):
    """Guards the zero above: the policy is enforced and the listener does hear it."""
    watch.visit("/")

    watch.page.evaluate(
        """document.body.insertAdjacentHTML("beforeend",
          '<img src="https://tracker.example/pixel.gif" alt="">' +
          '<button onclick="window.ran = true" id="inline">x</button>')"""
    )
    watch.page.click("#inline")
    watch.collect()

    assert watch.page.evaluate("window.ran") is None
    assert sorted(v.split(" blocked ")[0].split(": ")[-1] for v in watch.violations) == [
        "img-src",
        "script-src-attr",
    ]
    # The recorder hears the attempt (Chromium reports it before the policy blocks it).
    assert watch.other_hosts() == ["https://tracker.example/pixel.gif"]
