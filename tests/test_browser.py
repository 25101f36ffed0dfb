"""What a reader does in a real browser: look around, navigate, use a keyboard, a phone."""

import io
import os
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import SCREENSHOT_DIR
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CountryFactory,
    RegionFactory,
    ResourceCenterSectionFactory,
    ResourceFactory,
    SourceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every WCAG 2.0, 2.1 and 2.2 success criterion at levels A and AA that axe checks.
WCAG_AA = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
}


@dataclass
class Content:
    news_flash: list
    pick: object
    resources: list


@pytest.fixture
def content() -> Content:
    source = SourceFactory(name="Eurojust", home_page="https://www.eurojust.europa.eu/")
    news_flash = [
        ArticleFactory(
            title="Criminal network dismantled in Spain and Romania",
            standfirst="Police in two countries freed 14 women.",
            source=source,
            source_url="https://www.eurojust.europa.eu/news/example",
            byline="Press office",
            body="<p>Spanish and Romanian police dismantled a network.</p>"
            "<blockquote><p>Victims come first.</p></blockquote>",
        ),
        ArticleFactory(title="New Balkan route for migrants causes alarm"),
        ArticleFactory(title="Red Cross warns against violence at the border"),
    ]
    news_flash[0].tags.add("Sexual exploitation", "Romania")
    pick = ArticleFactory(
        title="Summit on protecting children online", section=ResourceCenterSectionFactory()
    )
    resources = [
        ResourceFactory(
            title="Training curriculum on identifying trafficked persons",
            countries=[CountryFactory(name="Lebanon", slug="lebanon")],
            regions=[RegionFactory(name="Middle East", slug="middle-east")],
            authors=[AuthorFactory(name="Markéta von Hagen", sort_name="Von Hagen, Markéta")],
            publisher="ICMPD",
            external_url="https://www.icmpd.org/example",
            year=2013,
        ),
        ResourceFactory(title="Yearbook on illegal migration", year=2012),
    ]
    return Content(news_flash=news_flash, pick=pick, resources=resources)


def test_the_home_page_shows_news_flash_teasers_and_the_newest_resources(page, content):
    page.goto("/")

    for article in content.news_flash:
        assert page.get_by_role("link", name=article.title).is_visible()
    assert page.get_by_text("Police in two countries freed 14 women.").is_visible()
    for resource in content.resources:
        assert page.get_by_role("link", name=resource.title).is_visible()


def test_the_header_navigation_leads_to_the_news_and_then_to_the_library(page, content):
    page.goto("/")
    main_navigation = page.get_by_role("navigation", name="Main")

    main_navigation.get_by_role("link", name="News", exact=True).click()
    page.wait_for_url("**" + reverse("news:article-list"))
    assert page.get_by_role("heading", level=1).inner_text() == "News"

    main_navigation.get_by_role("link", name="Resources", exact=True).click()
    page.wait_for_url("**" + reverse("resources:resource-list"))
    assert page.get_by_role("heading", level=1).inner_text() == "Resource library"


PAGES = {
    "home": lambda content: "/",
    "news list": lambda content: reverse("news:article-list"),
    "article": lambda content: content.news_flash[0].get_absolute_url(),
    "resource list": lambda content: reverse("resources:resource-list"),
    "resource": lambda content: content.resources[0].get_absolute_url(),
    "not found": lambda content: "/news/no-such-article/",
}


@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_no_wcag_2_aa_violations_that_axe_can_find(page, axe, content, name):
    page.goto(PAGES[name](content))

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


def test_the_skip_link_appears_on_keyboard_focus_and_moves_focus_to_the_content(page, content):
    page.goto("/")
    skip_link = page.get_by_role("link", name="Skip to main content")
    hidden_box = skip_link.bounding_box()

    page.keyboard.press("Tab")
    page.wait_for_function("() => getComputedStyle(document.activeElement).transform === 'none'")
    shown_box = skip_link.bounding_box()
    page.keyboard.press("Enter")

    assert hidden_box["y"] + hidden_box["height"] <= 0
    assert shown_box["y"] >= 0 and shown_box["height"] >= 24
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("name", ["home", "article"])
def test_the_page_does_not_scroll_sideways_on_a_320_px_phone(page, content, name):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(PAGES[name](content))

    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_screenshots_of_the_home_page_for_the_readme(page, tmp_path):
    """Shoot docs/home.png and docs/home-phone.png from the demo content.

    They are rewritten only when missing or with UPDATE_SCREENSHOTS=1, so that a test
    run does not change files in the checkout for the dates in them alone.
    """
    call_command("loaddemo", stdout=io.StringIO())
    update = os.environ.get("UPDATE_SCREENSHOTS") == "1"
    target = {}
    for name in ("home.png", "home-phone.png"):
        wanted = SCREENSHOT_DIR / name
        target[name] = wanted if update or not wanted.exists() else tmp_path / name
        target[name].parent.mkdir(parents=True, exist_ok=True)

    page.goto("/")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=target["home.png"])
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=target["home-phone.png"])

    assert all(path.stat().st_size > 10_000 for path in target.values())
