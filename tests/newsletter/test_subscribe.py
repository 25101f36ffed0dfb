import re

import pytest
from django.urls import reverse

from newsletter.forms import CONSENT_TEXT
from newsletter.models import Subscriber
from tests.factories import ConfirmedSubscriberFactory, SubscriberFactory

SUBSCRIBE_URL = "/newsletter/subscribe/"
THANKS_URL = "/newsletter/subscribe/thanks/"

pytestmark = pytest.mark.django_db


def without_csrf_token(html: str) -> str:
    """Return html without the CSRF token's value, which differs from one response to the next."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def sign_up(client, **data):
    fields = {"email": "reader@example.org", "consent": "on", "next": "/news/"}
    fields.update(data)
    return client.post(SUBSCRIBE_URL, {k: v for k, v in fields.items() if v is not None})


def test_the_subscribe_url_is_the_contracts():
    assert reverse("newsletter:subscribe") == SUBSCRIBE_URL
    assert reverse("newsletter:subscribe-thanks") == THANKS_URL


def test_the_subscribe_page_shows_the_form_with_the_consent_text(client):
    response = client.get(SUBSCRIBE_URL)

    assert response.status_code == 200
    assert str(CONSENT_TEXT) in response.text
    assert 'name="email"' in response.text


def test_the_subscribe_page_puts_the_honeypot_out_of_reach(client):
    response = client.get(SUBSCRIBE_URL)

    assert '<div class="honeypot" aria-hidden="true">' in response.text
    assert 'name="website"' in response.text
    assert 'tabindex="-1"' in response.text


def test_a_sign_up_redirects_to_the_thanks_page(client):
    response = sign_up(client)

    assert response.status_code == 303
    assert response["Location"] == THANKS_URL


def test_the_thanks_page_asks_to_check_the_inbox(client):
    response = client.get(THANKS_URL)

    assert response.status_code == 200
    assert "Check your inbox: we sent a link to confirm your subscription." in response.text


def test_a_new_address_becomes_a_pending_subscriber_with_its_consent(client):
    sign_up(client, email="reader@example.org", name="Ana", next="/news/some-article/")

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.org"
    assert subscriber.name == "Ana"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.consent_text == str(CONSENT_TEXT)
    assert subscriber.consented_at is not None
    assert subscriber.source_page == "/news/some-article/"


def test_the_address_is_stored_trimmed_and_lower_cased(client):
    sign_up(client, email="  Reader@Example.ORG ")

    assert Subscriber.objects.get().email == "reader@example.org"


def test_addresses_differing_only_in_case_make_one_subscriber(client):
    sign_up(client, email="Reader@Example.org")
    sign_up(client, email="reader@example.org")

    assert Subscriber.objects.count() == 1


def test_the_source_page_keeps_the_path_without_the_query_string(client):
    sign_up(client, next="/resources/?q=forced+labour")

    assert Subscriber.objects.get().source_page == "/resources/"


@pytest.mark.parametrize(
    "next_value",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "news",
    ],
)
def test_a_source_page_that_is_not_a_local_path_is_stored_empty(client, next_value):
    sign_up(client, next=next_value)

    assert Subscriber.objects.get().source_page == ""


def test_an_over_long_source_page_is_stored_empty(client):
    sign_up(client, next="/" + "a" * 600)

    assert Subscriber.objects.get().source_page == ""


def test_a_filled_honeypot_answers_like_a_success(client):
    response = sign_up(client, website="https://spam.example")

    assert response.status_code == 303
    assert response["Location"] == THANKS_URL


def test_a_filled_honeypot_stores_nothing(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, website="https://spam.example")

    assert not Subscriber.objects.exists()
    assert mailoutbox == []


def test_missing_consent_shows_the_message_beside_the_checkbox(client):
    response = sign_up(client, consent=None)

    assert response.status_code == 400
    assert (
        '<p class="field-error" id="id_consent_error">'
        "Please tick this box so we may send you the newsletter.</p>" in response.text
    )
    assert 'aria-describedby="id_consent_error"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_missing_consent_keeps_what_was_typed(client):
    response = sign_up(client, email="reader@example.org", name="Ana María", consent=None)

    assert 'value="reader@example.org"' in response.text
    assert 'value="Ana María"' in response.text
    assert not Subscriber.objects.exists()


def test_an_invalid_address_keeps_the_typed_value_and_the_ticked_consent(client):
    response = sign_up(client, email="not an address")

    assert response.status_code == 400
    assert 'id="id_email_error"' in response.text
    assert 'value="not an address"' in response.text
    assert 'name="consent" required id="id_consent" checked' in response.text


def test_typed_values_are_escaped_when_the_form_comes_back(client):
    response = sign_up(client, email='"><script>alert(1)</script>')

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_a_missing_address_is_asked_for(client):
    response = sign_up(client, email=None)

    assert response.status_code == 400
    assert "Please enter your email address." in response.text


@pytest.mark.parametrize(
    "data",
    [
        {"email": "a" * 10_000 + "@example.org"},
        {"email": "reader\x00@example.org"},
        {"name": "Ana\x00"},
        {"name": "N" * 10_000},
        {"email": "читатель@пример.рф"},
        {"email": "😀@😀.😀"},
        {"next": "/\x00"},
    ],
    ids=["long-email", "nul-email", "nul-name", "long-name", "cyrillic", "emoji", "nul-next"],
)
def test_garbage_input_never_breaks_the_page(client, data):
    response = sign_up(client, **data)

    assert response.status_code in {303, 400}


@pytest.mark.parametrize(
    "email",
    [
        "a@b.c\r\nBcc: x@y.z",
        "a@b.c\nBcc: x@y.z",
        "a@b.c,x@y.z",
        "Reader <a@b.c>",
        "reader@",
        "@example.org",
        "reader@@example.org",
    ],
    ids=[
        "crlf-bcc",
        "lf-bcc",
        "two-addresses",
        "display-name",
        "no-domain",
        "no-local-part",
        "double-at",
    ],
)
def test_malformed_over_long_and_header_injection_addresses_are_refused(
    client, mailoutbox, django_capture_on_commit_callbacks, email
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, email=email)

    assert response.status_code == 400
    assert "Please enter a valid email address, like name@example.org." in response.text
    assert not Subscriber.objects.exists()
    assert mailoutbox == []


def test_an_address_one_character_over_the_limit_is_refused_with_the_limit(client):
    response = sign_up(client, email="a" * 243 + "@example.org")  # 255 characters

    assert response.status_code == 400
    assert "Ensure this value has at most 254 characters (it has 255)." in response.text
    assert not Subscriber.objects.exists()


def test_an_empty_post_re_renders_the_form(client):
    response = client.post(SUBSCRIBE_URL, {})

    assert response.status_code == 400
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_on_the_subscribe_url_are_not_allowed(client, method):
    response = getattr(client, method)(SUBSCRIBE_URL)

    assert response.status_code == 405


def test_posting_to_the_thanks_page_is_not_allowed(client):
    response = client.post(THANKS_URL)

    assert response.status_code == 405


def test_new_pending_confirmed_and_unsubscribed_addresses_get_the_same_answer(client):
    SubscriberFactory(email="pending@example.org")
    ConfirmedSubscriberFactory(email="confirmed@example.org")
    SubscriberFactory(email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    answers = set()

    for email in [
        "new@example.org",
        "pending@example.org",
        "confirmed@example.org",
        "gone@example.org",
    ]:
        response = sign_up(client, email=email)
        page = client.get(response["Location"])
        answers.add((response.status_code, response["Location"], without_csrf_token(page.text)))

    assert len(answers) == 1


def test_an_unsubscribed_address_that_signs_up_again_is_pending_again(client):
    SubscriberFactory(email="reader@example.org", status=Subscriber.Status.UNSUBSCRIBED)

    sign_up(client, email="reader@example.org")

    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_signing_up_again_leaves_a_confirmed_subscriber_untouched(client):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org", name="Ana")

    sign_up(client, email="reader@example.org", name="Someone Else", next="/news/")

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.name == "Ana"
    assert subscriber.source_page == ""
