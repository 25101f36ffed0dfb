"""The site search in a real browser: the header box on every page, the results page."""

import pytest

from tests.factories import ArticleFactory, CategoryFactory, ResourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
}


@pytest.fixture
def content():
    ArticleFactory(
        title="Shelters reopen in Częstochowa",
        standfirst="Two shelters for survivors of trafficking open again.",
        body="<p>The city funds both for three years.</p>",
    )
    ArticleFactory(title="Elections", body="<p>Nothing to do with it.</p>")
    ResourceFactory(
        title="Minimum standards for shelters",
        summary="What a shelter for survivors must offer.",
        category=CategoryFactory(name="Guide", slug="guide"),
        year=2019,
    )


@pytest.fixture
def page_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    yield context.new_page()
    context.close()


def hit_titles(page) -> list[str]:
    return page.locator(".search-hit__title").all_inner_texts()


@pytest.mark.parametrize("tab", ["page", "page_without_javascript"])
def test_a_visitor_searches_from_the_header_of_any_page(request, content, tab):
    page = request.getfixturevalue(tab)
    page.goto("/news/")

    header = page.get_by_role("search", name="Site")
    header.get_by_label("Search news and resources").fill("czestochowa shelter")
    header.get_by_role("button", name="Search").click()

    page.wait_for_url("**/search/?q=czestochowa+shelter")
    assert hit_titles(page) == ["Shelters reopen in Częstochowa"]
    assert page.locator(".search-hit .badge").all_inner_texts() == ["News"]
    assert page.get_by_role("status").inner_text().startswith("1 result")


def test_a_visitor_narrows_the_results_to_resources_and_back(page, content):
    page.goto("/search/?q=shelters")
    assert sorted(hit_titles(page)) == [
        "Minimum standards for shelters",
        "Shelters reopen in Częstochowa",
    ]

    page.get_by_role("navigation", name="Kind of result").get_by_role(
        "link", name="Resources 1"
    ).click()

    page.wait_for_url("**type=resources*")
    assert hit_titles(page) == ["Minimum standards for shelters"]
    tabs = page.get_by_role("navigation", name="Kind of result")
    assert tabs.get_by_role("link", name="Resources 1").get_attribute("aria-current") == "page"

    tabs.get_by_role("link", name="All 2").click()
    page.wait_for_url(lambda url: "type=" not in url)
    assert len(hit_titles(page)) == 2


def test_a_misspelt_search_offers_the_word_it_probably_meant(page, content):
    page.goto("/search/?q=sheltrs")

    page.get_by_role("link", name="shelters").click()

    page.wait_for_url("**q=shelters*")
    assert len(hit_titles(page)) == 2


@pytest.mark.parametrize("url", ["/search/?q=shelters", "/search/?q=sheltrs", "/search/"])
def test_the_search_page_has_no_wcag_2_aa_violations_that_axe_can_find(page, axe, content, url):
    page.goto(url)

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("url", ["/", "/search/?q=shelters"])
def test_the_header_search_and_the_results_do_not_scroll_sideways_on_a_320_px_phone(
    page, content, url
):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(url)

    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.get_by_role("search", name="Site").get_by_role("button").is_visible()
