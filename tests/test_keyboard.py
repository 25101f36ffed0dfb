"""A reader with only a keyboard: sign up, filter the library, open a result, skip the header.

No mouse anywhere: only page.keyboard. Every control the reader lands on must show focus.
"""

import pytest
from django.urls import reverse

from newsletter.models import Subscriber
from tests.factories import CountryFactory, ResourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 150

FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none';
}"""


def tab_to(page, selector: str, key: str = "Tab") -> None:
    """Press Tab until the focused element matches selector; fail if it never does."""
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {selector}"
            return
    pytest.fail(f"{MAX_TABS} presses of {key} never reached {selector}")


def focused(page, expression: str):
    return page.evaluate(f"() => document.activeElement.{expression}")


@pytest.fixture
def library():
    lebanon = CountryFactory(name="Lebanon", slug="lebanon")
    ResourceFactory(title="Identifying trafficking victims", countries=[lebanon])
    ResourceFactory(title="Yearbook on illegal migration", countries=[CountryFactory()])
    return lebanon


def test_a_keyboard_user_subscribes_from_the_footer_box(page):
    page.goto("/")

    tab_to(page, "#newsletter-signup-email")
    page.keyboard.type("keyboard@example.org")
    tab_to(page, "#newsletter-signup-consent")
    page.keyboard.press("Space")
    tab_to(page, ".newsletter-signup button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith(reverse("newsletter:subscribe-thanks"))
    assert Subscriber.objects.filter(email="keyboard@example.org").exists()


def test_a_keyboard_user_filters_the_library_and_opens_a_result(page, library):
    page.goto(reverse("resources:resource-list"))
    assert page.locator("[data-library] .resource").count() == 2

    tab_to(page, "#country-lebanon")
    page.keyboard.press("Space")
    page.wait_for_url("**country=lebanon**")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-library] .resource').length === 1"
    )

    # The results were swapped in without a page load, and focus stayed on the checkbox.
    assert focused(page, "id") == "country-lebanon"
    assert focused(page, "checked") is True
    assert page.evaluate(FOCUS_SHOWN)

    tab_to(page, "[data-library] .resource__title a")
    assert focused(page, "textContent") == "Identifying trafficking victims"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.get_by_role("heading", level=1).inner_text() == "Identifying trafficking victims"


def test_after_the_skip_link_the_next_tab_goes_into_the_content_not_the_header(page, library):
    page.goto(reverse("resources:resource-list"))

    page.keyboard.press("Tab")
    assert focused(page, "className") == "skip-link"
    assert page.evaluate(FOCUS_SHOWN)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    assert page.evaluate("() => document.querySelector('#main').contains(document.activeElement)")
    assert page.evaluate(FOCUS_SHOWN)


def test_shift_tab_walks_back_through_the_sign_up_box(page):
    page.goto("/")
    tab_to(page, ".newsletter-signup button[type=submit]")

    tab_to(page, "#newsletter-signup-consent", key="Shift+Tab")
    tab_to(page, "#newsletter-signup-email", key="Shift+Tab")
