"""The sign-up as a person clicks through it, in a real Chromium."""

import pytest
from playwright.sync_api import expect

from newsletter.forms import CONSENT_TEXT
from newsletter.models import Subscriber

from .conftest import confirm_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_signs_up_in_the_footer_and_confirms_from_the_email(
    page, live_server, smtp_sink, settings
):
    settings.SITE_URL = live_server.url
    page.goto("/news/")
    box = page.locator(".newsletter-signup")
    box.get_by_label("Email address").fill("Reader@Example.org")
    box.get_by_label(str(CONSENT_TEXT)).check()
    box.get_by_role("button", name="Subscribe").click()
    expect(
        page.get_by_text("Check your inbox: we sent a link to confirm your subscription.")
    ).to_be_visible()

    page.goto(confirm_link(smtp_sink.messages[0]))
    page.get_by_role("button", name="Confirm my subscription").click()

    expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_a_sign_up_without_consent_comes_back_with_the_message_and_the_address(page):
    page.goto("/news/")
    box = page.locator(".newsletter-signup")
    box.get_by_label("Email address").fill("reader@example.org")
    box.get_by_role("button", name="Subscribe").click()

    consent = page.get_by_label(str(CONSENT_TEXT))
    expect(consent).to_have_accessible_description(
        "Please tick this box so we may send you the newsletter."
    )
    expect(page.get_by_label("Email address")).to_have_value("reader@example.org")


def test_the_sign_up_page_with_errors_passes_axe(page, axe):
    page.goto("/newsletter/subscribe/")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".field-error").first).to_be_visible()

    results = axe.run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})

    assert results.violations_count == 0, results.generate_report()
