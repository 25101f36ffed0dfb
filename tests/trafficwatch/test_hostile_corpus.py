"""The XSS corpus through every rich-text field and every public parameter.

Nothing executable may reach a page: no script but the site's own, no event handler, no
javascript:/data: URL, no frame, object, base, refresh or foreign form. Each test loops over
the whole corpus so the run takes seconds, and names the payload that got through.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from news.models import Article
from newsletter.messages import render_issue
from newsletter.models import Issue
from tests.factories import (
    ArticleFactory,
    ArticleWithImageFactory,
    ConfirmedSubscriberFactory,
    CountryFactory,
    ResourceCenterSectionFactory,
    ResourceFactory,
)
from tests.newsletter.factories import SentIssueFactory
from tests.xss_corpus import PAYLOADS

pytestmark = pytest.mark.django_db

URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "cite", "background", "poster",
    "xlink:href", "srcset", "dynsrc", "lowsrc", "codebase",
}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# Browsers ignore these in a URL before they read its scheme ("jav\tascript:").
URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f]")
NEVER_ON_A_PAGE = {
    "iframe", "frame", "frameset", "object", "embed", "base", "applet", "isindex",
    # Raw-text and foreign-content tricks (mutation XSS): the site writes none of them.
    "style", "math", "noscript", "xmp", "template", "noembed", "plaintext", "listing",
}  # fmt: skip
# <link> relations that load something into the page: only the site's own files.
LOADING_LINKS = {"stylesheet", "import", "preload", "modulepreload", "prefetch"}


class ExecutableFinder(HTMLParser):
    """Walks a page (attribute values come unescaped) and lists what a browser could run."""

    def __init__(self, email: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.email = email  # An email's HTML is styled inline: its style attributes are its own.
        self.found: list[str] = []
        self.forms: list[str] = []
        self._json_ld: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            if values.get("type") == "application/ld+json":
                self._json_ld = []
            elif not values.get("src", "").startswith("/static/"):
                self.found.append(f"<script {values}>")
        if tag in NEVER_ON_A_PAGE:
            self.found.append(f"<{tag}>")
        if tag == "meta" and values.get("http-equiv", "").lower() in {"refresh", "set-cookie"}:
            self.found.append(f"<meta http-equiv={values['http-equiv']}>")
        loads = LOADING_LINKS & set(values.get("rel", "").lower().split())
        if tag == "link" and loads and not values.get("href", "").startswith("/static/"):
            self.found.append(f"<link {values}>")
        if tag == "form":
            self.forms.append(values.get("action", ""))
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and not self.email:  # No page styles inline; the CSP forbids it.
                self.found.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES:
                url = URL_IGNORED.sub("", value).lower()
                if url.startswith(DANGEROUS_SCHEMES):
                    self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if self._json_ld is not None:
            self._json_ld.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._json_ld is not None:
            text = "".join(self._json_ld)
            self._json_ld = None
            try:
                json.loads(text)
            except ValueError:
                self.found.append(f"JSON-LD broken open: {text[:80]!r}")


def executable_parts(html: str, email: bool = False) -> tuple[list[str], list[str]]:
    """Return what could run in html, and the actions of its forms."""
    finder = ExecutableFinder(email)
    finder.feed(html)
    finder.close()
    return finder.found, finder.forms


def assert_nothing_executable(html: str, forms: list[str], payload: str, where: str) -> None:
    found, page_forms = executable_parts(html)
    assert not found, f"{where}: {payload!r} left {found}"
    assert page_forms == forms, f"{where}: {payload!r} added a form: {page_forms}"


def fetch(client, url: str, marker: str = "", **params):
    response = client.get(url, params)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    html = response.content.decode()
    assert marker in html, f"{url} did not show the edited content (stale cache?)"
    return html


def forms_on(client, url: str) -> list[str]:
    return executable_parts(client.get(url).content.decode())[1]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    "html",
    [
        '<p onclick="x()">',
        '<a href="jav&#x09;ascript:x()">',
        '<a href=" data:text/html,x">',
        "<script>x()</script>",
        '<script src="https://evil.example/x.js"></script>',
        '<script type="application/ld+json">{"a": "</script><script>x()</script>',
        "<iframe srcdoc=x>",
        '<meta http-equiv="refresh" content="0;url=/">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        "<math><mtext><table><mglyph><style>",
        '<p style="color: red">',
    ],
)
def test_the_checker_itself_catches_what_could_run(html):
    assert executable_parts(html)[0]


def test_the_checker_accepts_the_sites_own_scripts():
    html = '<script src="/static/js/library.js" defer></script>'
    html += '<script type="application/ld+json">{"@type": "Article"}</script>'
    assert executable_parts(html) == ([], [])


def test_the_sanitizer_leaves_nothing_executable_in_any_payload_it_stores():
    article = ArticleFactory()
    issue = SentIssueFactory()

    for number, payload in enumerate(PAYLOADS):
        article.body = f"<p>before {number}</p>{payload}<p>after</p>"
        article.save()
        issue.introduction = article.body
        issue.save()

        for stored in (
            Article.objects.get(pk=article.pk).body,
            Issue.objects.get(pk=issue.pk).introduction,
        ):
            found, forms = executable_parts(stored)
            assert not found, f"{payload!r} stored as {stored!r}"
            assert not forms, f"{payload!r} stored a form: {stored!r}"
            assert "<style" not in stored.lower() and "style=" not in stored.lower()


def test_no_payload_in_an_article_body_runs_on_any_page_that_shows_it(client):
    section = ResourceCenterSectionFactory()
    article = ArticleWithImageFactory(section=section, tags=["Labour"])
    pages = [
        article.get_absolute_url(),
        "/",
        reverse("news:article-list"),
        reverse("news:article-list") + "?tag=labour",
        reverse("search"),
    ]
    forms = {url: forms_on(client, url) for url in pages}

    for number, payload in enumerate(PAYLOADS):
        marker = f"hostile{number}x"
        article.body = f"<p>{marker}</p>{payload}"
        article.save()

        detail = fetch(client, article.get_absolute_url(), marker)
        assert_nothing_executable(detail, forms[pages[0]], payload, "article")
        for url in pages[1:4]:
            html = fetch(client, url)
            assert_nothing_executable(html, forms[url], payload, url)
        found = fetch(client, reverse("search"), marker, q=marker)
        assert_nothing_executable(found, forms[reverse("search")], payload, "search")


def test_no_payload_in_a_plain_text_field_is_rendered_as_markup(client):
    """Titles, standfirsts, captions and summaries are text: shown escaped, never parsed."""
    article = ArticleWithImageFactory()
    resource = ResourceFactory(countries=[CountryFactory()])
    article_forms = forms_on(client, article.get_absolute_url())
    resource_forms = forms_on(client, resource.get_absolute_url())
    library_forms = forms_on(client, reverse("resources:resource-list"))

    for number, payload in enumerate(PAYLOADS):
        if "\x00" in payload:
            continue  # The admin's form fields refuse NUL before it reaches the model.
        marker = f"hostile{number}x"
        article.title = article.standfirst = article.byline = f"{marker} {payload}"
        article.image_caption = article.image_credit = f"{marker} {payload}"
        article.save()
        resource.title = resource.summary = resource.publisher = f"{marker} {payload}"
        resource.save()

        html = fetch(client, article.get_absolute_url(), marker)
        assert_nothing_executable(html, article_forms, payload, "article")
        html = fetch(client, resource.get_absolute_url(), marker)
        assert_nothing_executable(html, resource_forms, payload, "resource")
        html = fetch(client, reverse("resources:resource-list"), marker)
        assert_nothing_executable(html, library_forms, payload, "library")


def test_no_payload_in_an_issue_introduction_or_a_name_runs_in_the_archive_or_the_email(client):
    issue = SentIssueFactory()
    reader = ConfirmedSubscriberFactory()
    detail_url = reverse("newsletter:issue", args=[issue.slug])
    list_url = reverse("newsletter:issues")
    detail_forms = forms_on(client, detail_url)
    list_forms = forms_on(client, list_url)

    for number, payload in enumerate(PAYLOADS):
        marker = f"hostile{number}x"
        issue.introduction = f"<p>{marker}</p>{payload}"
        issue.save()

        html = fetch(client, detail_url, marker)
        assert_nothing_executable(html, detail_forms, payload, "issue")
        html = fetch(client, list_url)
        assert_nothing_executable(html, list_forms, payload, "archive")
        if "\x00" not in payload:  # The sign-up form refuses NUL in a name.
            reader.name = payload
        email = render_issue(Issue.objects.get(pk=issue.pk), reader).html
        assert marker in email
        found, forms = executable_parts(email, email=True)
        assert not found and not forms, f"email: {payload!r} left {found} {forms}"


RAW = re.compile(r"[<>\"']")


def assert_escaped(response, payload: str, where: str, forms: list[str]) -> None:
    assert response.status_code in {200, 400}, f"{where}: {payload!r} got {response.status_code}"
    html = response.content.decode()
    if RAW.search(payload):
        assert payload not in html, f"{where}: {payload!r} appears unescaped"
    assert_nothing_executable(html, forms, payload, where)


PARAMETERS = [
    ("resources:resource-list", "q"),
    ("resources:resource-list", "country"),
    ("resources:resource-list", "region"),
    ("resources:resource-list", "category"),
    ("resources:resource-list", "author"),
    ("resources:resource-list", "year"),
    ("resources:resource-list", "year_from"),
    ("resources:resource-list", "year_to"),
    ("resources:resource-list", "sort"),
    ("resources:resource-list", "page"),
    ("search", "q"),
    ("search", "page"),
    ("news:article-list", "tag"),
    ("news:article-list", "section"),
    ("news:article-list", "page"),
]


@pytest.mark.parametrize(("url_name", "parameter"), PARAMETERS)
def test_every_payload_in_a_public_parameter_comes_back_escaped(client, url_name, parameter):
    ResourceFactory(title="Identifying trafficking victims")
    ArticleFactory(title="Trafficking network dismantled")
    url = reverse(url_name)
    # A 400 page has no filter form: each status is compared with its own clean page.
    forms = {200: forms_on(client, url), 400: forms_on(client, url + "?page=0")}

    for payload in PAYLOADS:
        response = client.get(url, {parameter: payload})
        assert_escaped(response, payload, f"{url}?{parameter}=", forms.get(response.status_code))


@pytest.mark.parametrize("field", ["name", "email"])
def test_every_payload_in_the_sign_up_form_comes_back_escaped(client, settings, field):
    settings.SIGNUP_RATE_LIMIT = "1000/m"
    url = reverse("newsletter:subscribe")
    forms = forms_on(client, url)

    for number, payload in enumerate(PAYLOADS):
        data = {"email": f"reader{number}@example.org", "name": "Reader", "consent": "on"}
        data[field] = payload
        response = client.post(url, data)
        if response.status_code == 303:
            assert response["Location"] == reverse("newsletter:subscribe-thanks")
            continue
        assert_escaped(response, payload, f"subscribe {field}", forms)
