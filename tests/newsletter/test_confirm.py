import time
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from newsletter.models import Subscriber
from newsletter.tokens import CONFIRMATION_MAX_AGE, CONFIRMATION_SALT, make_confirmation_token
from tests.factories import ConfirmedSubscriberFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def confirm_url(token: str) -> str:
    return reverse("newsletter:confirm", kwargs={"token": token})


def expired_token(subscriber: Subscriber) -> str:
    """Return a token for subscriber signed a day more than the link's lifetime ago."""
    signed_at = int(time.time()) - CONFIRMATION_MAX_AGE - 60 * 60 * 24
    with mock.patch.object(
        signing.TimestampSigner, "timestamp", return_value=signing.b62_encode(signed_at)
    ):
        return make_confirmation_token(subscriber)


def test_the_confirm_url_is_the_contracts():
    assert confirm_url("abc") == "/newsletter/confirm/abc/"


def test_the_confirmation_link_shows_a_button_that_posts(client):
    subscriber = SubscriberFactory()

    response = client.get(confirm_url(make_confirmation_token(subscriber)))

    assert response.status_code == 200
    assert "Confirm my subscription" in response.text
    assert 'method="post"' in response.text
    # No CSRF cookie for a reader opening the link: trafficwatch/csrf.py guards the POST.
    assert not response.cookies


def test_opening_the_confirmation_link_confirms_nothing(client):
    subscriber = SubscriberFactory()

    client.get(confirm_url(make_confirmation_token(subscriber)))

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmed_at is None


def test_pressing_the_button_confirms_the_subscription(client):
    subscriber = SubscriberFactory()

    client.post(confirm_url(make_confirmation_token(subscriber)))

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.confirmed_at is not None


def test_pressing_the_button_says_you_are_subscribed(client):
    subscriber = SubscriberFactory(email="reader@example.org")

    response = client.post(confirm_url(make_confirmation_token(subscriber)), follow=True)

    assert response.redirect_chain[0][1] == 303
    assert response.status_code == 200
    assert "You are subscribed" in response.text
    assert "reader@example.org" in response.text


def test_confirming_twice_keeps_the_first_confirmation_time(client):
    subscriber = SubscriberFactory()
    url = confirm_url(make_confirmation_token(subscriber))
    client.post(url)
    subscriber.refresh_from_db()
    first_confirmed_at = subscriber.confirmed_at

    response = client.post(url, follow=True)

    subscriber.refresh_from_db()
    assert subscriber.confirmed_at == first_confirmed_at
    assert "You are subscribed" in response.text


def test_the_link_of_a_confirmed_subscriber_says_you_are_subscribed(client):
    subscriber = ConfirmedSubscriberFactory()

    response = client.get(confirm_url(make_confirmation_token(subscriber)))

    assert response.status_code == 200
    assert "You are subscribed" in response.text


def test_an_expired_link_says_so_and_offers_a_new_one(client):
    subscriber = SubscriberFactory(email="reader@example.org")

    response = client.get(confirm_url(expired_token(subscriber)))

    assert response.status_code == 200
    assert "This link has expired" in response.text
    assert "reader@example.org" in response.text
    assert "Send me a new link" in response.text


def test_an_expired_link_confirms_nothing(client):
    subscriber = SubscriberFactory()

    client.post(confirm_url(expired_token(subscriber)))

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_asking_for_a_new_link_answers_like_a_sign_up(client):
    subscriber = SubscriberFactory()

    response = client.post(confirm_url(expired_token(subscriber)))

    assert response.status_code == 303
    assert response["Location"] == reverse("newsletter:subscribe-thanks")


def test_a_link_one_minute_short_of_a_week_old_still_works(client):
    subscriber = SubscriberFactory()
    signed_at = int(time.time()) - CONFIRMATION_MAX_AGE + 60
    with mock.patch.object(
        signing.TimestampSigner, "timestamp", return_value=signing.b62_encode(signed_at)
    ):
        token = make_confirmation_token(subscriber)

    response = client.get(confirm_url(token))

    assert "Confirm my subscription" in response.text


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a" * 5000,
        "eyJpZCI6MX0:1abcde:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "caf\u00e9:\u2603:\U0001f600",
        ":",
    ],
    ids=["word", "long", "forged-signature", "unicode", "colon"],
)
def test_a_garbage_token_gets_the_invalid_link_page(client, token):
    response = client.get(confirm_url(token))

    assert response.status_code == 404
    assert "This link is not valid" in response.text


def test_a_tampered_token_gets_the_invalid_link_page(client):
    subscriber = SubscriberFactory()
    token = make_confirmation_token(subscriber)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.post(confirm_url(tampered))

    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_token_signed_for_another_purpose_is_invalid(client):
    subscriber = SubscriberFactory()
    token = signing.dumps({"id": subscriber.pk, "email": subscriber.email}, salt="other")

    response = client.get(confirm_url(token))

    assert response.status_code == 404


def test_a_well_signed_token_with_a_strange_payload_is_invalid(client):
    token = signing.dumps(["not", "a", "dict"], salt=CONFIRMATION_SALT)

    response = client.get(confirm_url(token))

    assert response.status_code == 404


def test_a_link_for_an_address_that_changed_is_invalid(client):
    subscriber = SubscriberFactory(email="old@example.org")
    token = make_confirmation_token(subscriber)
    Subscriber.objects.filter(pk=subscriber.pk).update(email="new@example.org")

    response = client.post(confirm_url(token))

    assert response.status_code == 404
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_a_link_for_a_deleted_subscriber_is_invalid(client):
    subscriber = SubscriberFactory()
    token = make_confirmation_token(subscriber)
    subscriber.delete()

    response = client.get(confirm_url(token))

    assert response.status_code == 404


def test_an_old_link_does_not_resubscribe_someone_who_unsubscribed(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)

    response = client.post(confirm_url(make_confirmation_token(subscriber)))

    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_on_the_confirm_url_are_not_allowed(client, method):
    subscriber = SubscriberFactory()

    response = getattr(client, method)(confirm_url(make_confirmation_token(subscriber)))

    assert response.status_code == 405
