"""The "Leave this site" quick exit, in Chromium: a click or Shift ×3 leaves at once."""

import pytest

from tests.factories import ArticleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEUTRAL_SITE = "https://www.bbc.co.uk/weather"
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><h1>Weather forecast</h1>"
WCAG_AA = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
}


class NeutralSite:
    """Stands in for the neutral site, so no test needs the internet."""

    def __init__(self, page, hold: bool = False):
        self.requests = []
        self.held = []
        self.hold = hold
        page.route(NEUTRAL_SITE + "**", self._answer)

    def _answer(self, route) -> None:
        self.requests.append(route.request)
        if self.hold:
            self.held.append(route)
        else:
            route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)

    def release(self) -> None:
        for route in self.held:
            route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)


@pytest.fixture
def article():
    return ArticleFactory(title="Where to get help after trafficking", slug="help")


def test_the_button_replaces_the_page_with_a_neutral_site(page, article):
    neutral = NeutralSite(page)
    page.goto("/news/help/")

    page.get_by_role("link", name="Leave this site").click()

    page.wait_for_url(NEUTRAL_SITE)
    assert page.get_by_role("heading", level=1).inner_text() == "Weather forecast"
    assert len(neutral.requests) == 1


def test_the_back_button_does_not_return_to_the_page_that_was_left(page, live_server, article):
    NeutralSite(page)
    page.goto("/news/help/")
    page.get_by_role("link", name="Leave this site").click()
    page.wait_for_url(NEUTRAL_SITE)

    page.go_back()

    assert not page.url.startswith(live_server.url)
    assert "trafficking" not in page.content()


def test_the_page_is_blanked_before_it_is_left(page, article):
    # The neutral site's answer is held back: the page being left is still there to read.
    neutral = NeutralSite(page, hold=True)
    page.goto("/news/help/")

    # Clicked from the page's side: Playwright's click() would wait for the held navigation.
    state = page.get_by_role("link", name="Leave this site").evaluate(
        "link => { link.click(); return [document.body.hidden, document.title, location.pathname] }"
    )

    assert state == [True, "", "/news/help/"]
    while not neutral.held:  # Playwright answers routes while it waits
        page.wait_for_timeout(50)
    neutral.release()
    page.wait_for_url(NEUTRAL_SITE)


def test_pressing_shift_three_times_leaves_the_site(page, article):
    NeutralSite(page)
    page.goto("/news/help/")

    for _ in range(3):
        page.keyboard.press("Shift")

    page.wait_for_url(NEUTRAL_SITE)


def test_typing_capital_letters_does_not_leave_the_site(page, article):
    neutral = NeutralSite(page)
    page.goto("/")
    page.get_by_role("searchbox").focus()

    for letter in "ANA":
        page.keyboard.down("Shift")
        page.keyboard.press(f"Key{letter}")
        page.keyboard.up("Shift")
    page.keyboard.press("Shift")
    page.wait_for_timeout(200)

    assert neutral.requests == []
    assert page.get_by_role("searchbox").input_value() == "ANA"


def test_without_javascript_the_link_still_leaves_and_sends_no_referrer(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    ArticleFactory(slug="help")
    neutral = NeutralSite(page)
    try:
        page.goto("/news/help/")
        page.get_by_role("link", name="Leave this site").click()
        page.wait_for_url(NEUTRAL_SITE)

        assert "referer" not in neutral.requests[0].headers
    finally:
        context.close()


def test_the_shortcut_is_announced_to_screen_reader_users(page, article):
    page.goto("/")

    link = page.get_by_role("link", name="Leave this site")

    assert "press the Shift key three times" in link.inner_text()
    assert link.is_visible()


def test_the_quick_exit_is_the_first_thing_after_the_skip_link(page, article):
    page.goto("/")

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")

    assert page.evaluate("document.activeElement.dataset.quickExit") == ""


def test_the_quick_exit_stays_in_view_when_the_reader_scrolls(page):
    ArticleFactory(body="<p>A long article.</p>" * 400, slug="long")
    page.goto("/news/long/")

    page.mouse.wheel(0, 4000)
    page.wait_for_function("() => window.scrollY > 1000")

    box = page.get_by_role("link", name="Leave this site").bounding_box()
    assert 0 <= box["y"] < 60


def test_the_home_page_with_the_quick_exit_has_no_wcag_2_aa_violations(page, axe, article):
    page.goto("/")

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()
