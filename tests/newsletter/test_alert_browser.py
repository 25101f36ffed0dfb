"""An alert from the library as a person clicks through it, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from newsletter.forms import ALERT_CONSENT_TEXT
from newsletter.models import Alert, Subscriber
from newsletter.tokens import make_preferences_token
from tests.factories import (
    CategoryFactory,
    ConfirmedSubscriberFactory,
    CountryFactory,
    ResourceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALERT_LINK = re.compile(r"https?://\S+/newsletter/alerts/confirm/[^/\s]+/")
PREFERENCES_LINK = re.compile(r"https?://\S+/newsletter/preferences/[^/\s]+/")


@pytest.fixture
def library():
    ResourceFactory(
        title="Shelters for survivors in Lebanon",
        countries=[CountryFactory(name="Lebanon", slug="lebanon")],
        category=CategoryFactory(name="Report", slug="report"),
    )
    ResourceFactory(title="A guide", category=CategoryFactory(name="Guide", slug="guide"))


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_reader_asks_for_new_matches_confirms_and_removes_the_alert_again(
    page, live_server, smtp_sink, settings, library
):
    settings.SITE_URL = live_server.url
    page.goto("/resources/")
    # library.js updates the results in place: the link must follow the filter.
    page.get_by_role("group", name="Category").get_by_label("Report").check()
    page.wait_for_url("**/resources/?*category=report*")
    expect(page.get_by_role("link", name="Email me new matches")).to_have_attribute(
        "href", "/newsletter/alerts/new/?category=report"
    )

    page.get_by_role("link", name="Email me new matches").click()
    expect(page.get_by_text("Report", exact=True)).to_be_visible()
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_label(str(ALERT_CONSENT_TEXT)).check()
    page.get_by_role("button", name="Email me new matches").click()
    expect(page.get_by_text("we sent a link to confirm your alert")).to_be_visible()

    [message] = smtp_sink.messages
    page.goto(ALERT_LINK.search(text_of(message))[0])
    assert Alert.objects.get().confirmed_at is None
    page.get_by_role("button", name="Confirm my alert").click()
    expect(page.get_by_role("heading", name="Your alert is active")).to_be_visible()
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED

    page.goto(PREFERENCES_LINK.search(text_of(message))[0])
    alerts = page.locator(".alert-list")
    expect(alerts.get_by_role("link", name="Report")).to_be_visible()
    alerts.get_by_role("button", name="Remove").click()

    expect(page.get_by_text("The alert is removed")).to_be_visible()
    expect(page.locator(".alert-list")).to_have_count(0)
    assert not Alert.objects.exists()


def test_without_javascript_the_link_carries_the_applied_filters(browser, live_server, library):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/resources/")
        page.get_by_role("group", name="Category").get_by_label("Guide").check()
        page.get_by_role("button", name="Apply").click()
        page.get_by_role("link", name="Email me new matches").click()

        expect(page.get_by_role("heading", name="Email me new matches")).to_be_visible()
        assert "category=guide" in page.url
        expect(page.locator(".alert-description")).to_have_text("Guide")
    finally:
        context.close()


def test_the_alert_form_and_the_preferences_page_pass_axe(page, axe, library):
    options = {"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}
    page.goto("/newsletter/alerts/new/?category=report")
    page.get_by_role("button", name="Email me new matches").click()
    expect(page.locator(".field-error").first).to_be_visible()
    results = axe.run(page, options=options)
    assert results.violations_count == 0, results.generate_report()

    token = make_preferences_token(ConfirmedSubscriberFactory())
    page.goto(f"/newsletter/preferences/{token}/")
    results = axe.run(page, options=options)
    assert results.violations_count == 0, results.generate_report()
