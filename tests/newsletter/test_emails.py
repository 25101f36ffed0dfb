"""End to end through a real SMTP server: what arrives in the reader's mailbox."""

import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from newsletter.models import Subscriber
from newsletter.tokens import CONFIRMATION_MAX_AGE, make_confirmation_token
from tests.factories import ConfirmedSubscriberFactory, SubscriberFactory

from .conftest import confirm_link

SUBSCRIBE_URL = "/newsletter/subscribe/"

pytestmark = pytest.mark.django_db(transaction=True)


def sign_up(client, email="reader@example.org", **data):
    return client.post(SUBSCRIBE_URL, {"email": email, "consent": "on", **data})


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_signing_up_sends_one_confirmation_email_to_the_address(client, smtp_sink):
    sign_up(client, email="Reader@Example.org")

    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "Confirm your subscription to TraffickingWatch"
    assert message["From"] == "newsletter@localhost"


def test_the_confirmation_email_links_to_the_confirm_page_on_the_site_url(
    client, smtp_sink, settings
):
    settings.SITE_URL = "https://traffickingwatch.example"
    sign_up(client)

    link = confirm_link(smtp_sink.messages[0])

    assert link.startswith("https://traffickingwatch.example/newsletter/confirm/")


def test_the_confirmation_email_has_an_html_alternative_with_the_same_link(client, smtp_sink):
    sign_up(client)

    message = smtp_sink.messages[0]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{confirm_link(message)}"' in html


def test_the_emailed_link_confirms_only_when_the_button_is_pressed(smtp_sink):
    # A browser's same-origin POST: no CSRF cookie or token (trafficwatch/csrf.py).
    client = Client(
        enforce_csrf_checks=True,
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    sign_up(client)
    link = path_of(confirm_link(smtp_sink.messages[0]))

    client.get(link)
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING

    done = client.post(link, follow=True)
    assert "You are subscribed" in done.text
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_a_pending_address_that_signs_up_again_gets_a_fresh_link(client, smtp_sink):
    SubscriberFactory(email="reader@example.org")

    sign_up(client, email="reader@example.org")

    assert len(smtp_sink.messages) == 1
    assert confirm_link(smtp_sink.messages[0])


def test_an_unsubscribed_address_that_signs_up_again_gets_a_link(client, smtp_sink):
    SubscriberFactory(email="reader@example.org", status=Subscriber.Status.UNSUBSCRIBED)

    sign_up(client, email="reader@example.org")

    assert len(smtp_sink.messages) == 1
    assert confirm_link(smtp_sink.messages[0])


def test_a_confirmed_address_gets_a_note_instead_of_a_link(client, smtp_sink):
    ConfirmedSubscriberFactory(email="reader@example.org")

    sign_up(client, email="reader@example.org")

    message = smtp_sink.messages[0]
    assert message["Subject"] == "You are already subscribed to TraffickingWatch"
    assert "/newsletter/confirm/" not in message.get_body(("plain",)).get_content()


def test_the_emails_ask_auto_responders_not_to_answer(client, smtp_sink):
    sign_up(client)

    assert smtp_sink.messages[0]["Auto-Submitted"] == "auto-generated"


def test_the_email_does_not_repeat_the_name_a_stranger_typed(client, smtp_sink):
    sign_up(client, name="Cheap pills at https://spam.example")

    assert "spam.example" not in smtp_sink.messages[0].as_string()


def test_a_filled_honeypot_sends_nothing(client, smtp_sink):
    sign_up(client, website="https://spam.example")

    assert smtp_sink.messages == []


def test_the_new_link_from_the_expired_page_arrives_and_works(client, smtp_sink):
    subscriber = SubscriberFactory(email="reader@example.org")
    signed_at = int(time.time()) - CONFIRMATION_MAX_AGE - 60
    with mock.patch.object(
        signing.TimestampSigner, "timestamp", return_value=signing.b62_encode(signed_at)
    ):
        expired_link = f"/newsletter/confirm/{make_confirmation_token(subscriber)}/"

    client.post(expired_link)
    new_link = path_of(confirm_link(smtp_sink.messages[0]))
    client.post(new_link)

    assert smtp_sink.messages[0]["To"] == "reader@example.org"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_a_mail_server_that_is_down_does_not_lose_the_sign_up(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard: nothing listens there
    settings.EMAIL_TIMEOUT = 2  # seconds

    response = sign_up(client)

    assert response.status_code == 303
    assert Subscriber.objects.filter(email="reader@example.org").exists()
