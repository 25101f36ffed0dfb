"""The site's own pages: home, the error pages, and what the home page makes a browser load."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import RequestFactory

from tests.factories import ArticleFactory, DraftArticleFactory, ScheduledArticleFactory
from trafficwatch.views import permission_denied, server_error

ASSET_BUDGET = 60 * 1024  # bytes of CSS + JS on the home page; fonts and images excluded
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
# A url() or @import in CSS that points at another origin.
CSS_EXTERNAL = re.compile(r"""(url\(\s*["']?|@import\s+["']?)\s*(https?:)?//""", re.IGNORECASE)
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "icon"}


class AssetParser(HTMLParser):
    """Collect what a page makes the browser fetch: stylesheets, scripts, fonts, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.fetched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        rels = set((attributes.get("rel") or "").lower().split())
        if tag == "link" and rels & LOADING_RELS:
            self.fetched.append(attributes.get("href") or "")
            if "stylesheet" in rels:
                self.stylesheets.append(attributes.get("href") or "")
        if tag == "script" and attributes.get("src"):
            self.fetched.append(attributes["src"])
            self.scripts.append(attributes["src"])


def home_assets(client) -> AssetParser:
    parser = AssetParser()
    parser.feed(client.get("/").content.decode())
    return parser


def static_file(url: str) -> Path:
    path = urlsplit(url).path
    assert path.startswith(settings.STATIC_URL), f"{url} is not served from {settings.STATIC_URL}"
    found = finders.find(path.removeprefix(settings.STATIC_URL))
    assert found, f"{url} is not a file in the static folders"
    return Path(found)


@pytest.mark.django_db
def test_the_home_page_lists_the_latest_five_news_flash_teasers_newest_first(client):
    # The factory publishes each new article an hour before the previous one.
    articles = ArticleFactory.create_batch(6)

    html = client.get("/").content.decode()

    positions = [html.find(f">{article.title}</a>") for article in articles[:5]]
    assert -1 not in positions
    assert positions == sorted(positions)
    assert f">{articles[5].title}</a>" not in html


@pytest.mark.django_db
def test_the_home_page_leaves_out_draft_and_future_news_flash_articles(client):
    ArticleFactory(title="Published today")
    DraftArticleFactory(title="Still a draft")
    ScheduledArticleFactory(title="Due tomorrow")

    html = client.get("/").content.decode()

    assert "Published today" in html
    assert "Still a draft" not in html
    assert "Due tomorrow" not in html


@pytest.mark.django_db
def test_the_header_marks_the_section_of_the_current_page(client):
    html = client.get("/resources/").content.decode()

    assert '<a href="/resources/" aria-current="page">' in html
    assert '<a href="/news/" aria-current' not in html


@pytest.mark.django_db
def test_the_header_marks_the_section_of_a_page_inside_it(client):
    article = ArticleFactory()

    html = client.get(article.get_absolute_url()).content.decode()

    assert '<a href="/news/" aria-current="true">' in html


@pytest.mark.django_db
def test_the_400_page_names_the_invalid_parameter_and_links_to_the_page_without_it(client):
    response = client.get("/news/?page=abc")

    html = response.content.decode()
    assert response.status_code == 400
    assert "The parameter “page” is not valid:" in html
    assert 'href="/news/"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status"), [("/news/?page=abc", 400), ("/news/no-such-article/", 404)]
)
def test_error_pages_use_the_site_layout(client, url, status):
    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == status
    assert 'class="skip-link" href="#main"' in html
    assert 'class="newsletter-signup"' in html


def test_the_403_page_uses_the_site_layout():
    request = RequestFactory().get("/admin/secret/")

    response = permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    assert 'class="skip-link" href="#main"' in response.content.decode()


@pytest.mark.django_db
def test_the_500_page_uses_the_site_layout_without_querying_the_database(
    django_assert_num_queries,
):
    """A 500 may be the database failing: its page must not need the database."""
    request = RequestFactory().get("/")

    with django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    assert 'class="skip-link" href="#main"' in response.content.decode()


@pytest.mark.django_db
def test_a_database_outage_met_outside_a_view_answers_the_friendly_503(
    django_assert_num_queries,
):
    """The 503 middleware sees only views' errors; one raised in a middleware reaches
    handler500, which must still say "try again soon", not "something broke"."""
    request = RequestFactory().get("/")

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        with django_assert_num_queries(0):
            response = server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"]


@pytest.mark.django_db
def test_the_css_and_javascript_of_the_home_page_weigh_under_60_kb(client):
    assets = home_assets(client)

    files = [static_file(url) for url in assets.stylesheets + assets.scripts]

    assert assets.stylesheets
    assert sum(file.stat().st_size for file in files) < ASSET_BUDGET


@pytest.mark.django_db
def test_the_home_page_loads_no_stylesheet_script_font_or_icon_from_another_site(client):
    assets = home_assets(client)

    assert assets.fetched
    assert [url for url in assets.fetched if EXTERNAL.match(url)] == []


@pytest.mark.django_db
def test_the_stylesheets_of_the_home_page_import_nothing_from_another_site(client):
    stylesheets = [static_file(url) for url in home_assets(client).stylesheets]

    for stylesheet in stylesheets:
        assert CSS_EXTERNAL.search(stylesheet.read_text()) is None, stylesheet
