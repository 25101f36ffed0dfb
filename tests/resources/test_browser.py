"""The library in a real browser: tick a facet, apply, search, remove a chip; no JavaScript needed."""

import pytest
from playwright.sync_api import expect

from tests.factories import CategoryFactory, CountryFactory, RegionFactory, ResourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
}


@pytest.fixture
def library():
    lebanon = CountryFactory(name="Lebanon", slug="lebanon")
    guide = CategoryFactory(name="Guide", slug="guide")
    report = CategoryFactory(name="Report", slug="report")
    ResourceFactory(
        title="Identifying trafficked persons in Lebanon",
        summary="A curriculum for frontline staff on identifying victims of trafficking.",
        countries=[lebanon],
        regions=[RegionFactory(name="Middle East", slug="middle-east")],
        category=guide,
        year=2013,
    )
    ResourceFactory(
        title="Shelters for survivors in Lebanon",
        summary="How shelters care for survivors.",
        countries=[lebanon],
        category=report,
        year=2019,
    )
    ResourceFactory(
        title="Labour exploitation in agriculture",
        summary="Trafficking for forced labour on farms.",
        countries=[CountryFactory(name="Spain", slug="spain")],
        category=guide,
        year=2020,
    )


@pytest.fixture
def page_without_javascript(browser, live_server):
    """A browser tab with JavaScript off: the library must work as a plain form."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    yield context.new_page()
    context.close()


def settle(page) -> None:
    """Wait until library.js has put the last results in place (at once without it)."""
    page.wait_for_selector("[data-library]:not([aria-busy])", state="attached")


def result_titles(page) -> list[str]:
    return page.locator(".resource-list .resource__title").all_inner_texts()


@pytest.mark.parametrize("tab", ["page", "page_without_javascript"])
def test_a_visitor_filters_searches_and_removes_a_filter(request, library, tab):
    page = request.getfixturevalue(tab)
    page.goto("/resources/")
    assert page.get_by_role("status").inner_text().startswith("3 resources")

    page.get_by_role("group", name="Country").get_by_label("Lebanon").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/resources/?*country=lebanon*")
    settle(page)
    assert sorted(result_titles(page)) == [
        "Identifying trafficked persons in Lebanon",
        "Shelters for survivors in Lebanon",
    ]
    assert page.get_by_role("group", name="Country").get_by_label("Lebanon").is_checked()

    page.get_by_label("Search the library").fill("trafficking")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**q=trafficking*")
    settle(page)
    assert result_titles(page) == ["Identifying trafficked persons in Lebanon"]
    assert page.locator(".resource__snippet mark").first.inner_text().lower() == "trafficking"

    page.get_by_role("link", name="Remove filter Country: Lebanon").click()
    page.wait_for_url(lambda url: "country=" not in url)
    settle(page)
    assert sorted(result_titles(page)) == [
        "Identifying trafficked persons in Lebanon",
        "Labour exploitation in agriculture",
    ]


def test_the_filtered_library_has_no_wcag_2_aa_violations_that_axe_can_find(page, axe, library):
    page.goto("/resources/?country=lebanon&q=survivors&year_from=2010")

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


def test_an_empty_search_has_no_wcag_2_aa_violations_that_axe_can_find(page, axe, library):
    page.goto("/resources/?q=trafickng")

    results = axe.run(page, options=WCAG_AA)

    assert page.get_by_role("link", name="trafficking").is_visible()
    assert results.violations_count == 0, results.generate_report()


def test_the_filter_panel_does_not_scroll_sideways_on_a_320_px_phone(page, library):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/resources/?country=lebanon")

    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_with_javascript_a_ticked_facet_updates_the_results_and_the_url_in_place(page, library):
    page.goto("/resources/")
    page.evaluate("window.notReloaded = true")

    page.get_by_role("group", name="Category").get_by_label("Report").check()

    page.wait_for_url("**/resources/?*category=report*")
    assert result_titles(page) == ["Shelters for survivors in Lebanon"]
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("[data-library-status]").inner_text() == "1 resource"


def test_with_javascript_the_back_button_restores_the_previous_results(page, library):
    page.goto("/resources/")
    page.get_by_role("group", name="Category").get_by_label("Report").check()
    page.wait_for_url("**category=report*")

    page.go_back()

    page.wait_for_url(lambda url: "category=" not in url)
    expect(page.locator(".resource-list .resource")).to_have_count(3)
    assert not page.get_by_role("group", name="Category").get_by_label("Report").is_checked()


def head_feed_url(page) -> str:
    return page.locator(
        'head link[rel="alternate"][type="application/rss+xml"][href^="/resources/feed/"]'
    ).get_attribute("href")


def test_with_javascript_the_feed_link_in_the_head_follows_the_filters(page, library):
    page.goto("/resources/")
    page.get_by_role("group", name="Category").get_by_label("Report").check()
    page.wait_for_url("**category=report*")
    settle(page)
    assert "category=report" in head_feed_url(page)
    page.get_by_label("Search the library").fill("shelters care")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**q=shelters*")
    settle(page)

    in_place = head_feed_url(page)
    page.reload()

    assert head_feed_url(page) == in_place
    assert in_place.startswith("/resources/feed/?")
    assert {"q=shelters+care", "category=report"} <= set(in_place.split("?")[1].split("&"))


def test_with_javascript_the_back_button_restores_the_feed_link_too(page, library):
    page.goto("/resources/")
    page.get_by_role("group", name="Category").get_by_label("Report").check()
    page.wait_for_url("**category=report*")
    settle(page)

    page.go_back()

    # A locator, not wait_for_function: the Content-Security-Policy forbids eval().
    expect(page.locator(".resource-list .resource")).to_have_count(3)
    assert head_feed_url(page) == "/resources/feed/"
