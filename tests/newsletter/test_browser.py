"""The sign-up as a person clicks through it, in a real Chromium."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from newsletter.forms import CONSENT_TEXT
from newsletter.models import Subscriber
from newsletter.tokens import make_unsubscribe_token
from tests.factories import ConfirmedSubscriberFactory

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


def test_a_reader_unsubscribes_from_the_link_in_the_email_with_one_press(page, live_server):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org")
    token = make_unsubscribe_token(subscriber)
    page.goto(reverse("newsletter:unsubscribe", kwargs={"token": token}))
    expect(page.get_by_text("Press the button to stop the newsletter to")).to_be_visible()

    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    page.get_by_role("link", name="Sign up again").click()
    expect(page.get_by_role("heading", name="Subscribe to the newsletter")).to_be_visible()


@pytest.mark.parametrize("pressed", [False, True], ids=["button-page", "done-page"])
def test_the_unsubscribe_pages_pass_axe(page, axe, pressed):
    token = make_unsubscribe_token(ConfirmedSubscriberFactory())
    page.goto(reverse("newsletter:unsubscribe", kwargs={"token": token}))
    if pressed:
        page.get_by_role("button", name="Unsubscribe").click()
        expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()

    results = axe.run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})

    assert results.violations_count == 0, results.generate_report()
