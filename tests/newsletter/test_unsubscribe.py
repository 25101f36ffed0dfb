"""Unsubscribing: the page behind every email's link, and RFC 8058 one-click."""

import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from newsletter import services
from newsletter.models import Subscriber
from newsletter.tokens import (
    CONFIRMATION_SALT,
    UNSUBSCRIBE_SALT,
    make_confirmation_token,
    make_unsubscribe_token,
)
from tests.factories import ConfirmedSubscriberFactory, SubscriberFactory

from .conftest import confirm_link

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


def unsubscribe_url(subscriber: Subscriber) -> str:
    return reverse("newsletter:unsubscribe", kwargs={"token": make_unsubscribe_token(subscriber)})


def main_of(response) -> str:
    """Return the page's main content: the site's footer has a sign-up box of its own."""
    return re.search(r"<main .*?</main>", response.text, re.DOTALL)[0]


def status_of(subscriber: Subscriber) -> str:
    subscriber.refresh_from_db()
    return subscriber.status


@pytest.fixture
def csrf_client():
    """A client like a mail client: no session, no CSRF cookie, CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def test_the_unsubscribe_url_is_the_contracts():
    assert reverse("newsletter:unsubscribe", kwargs={"token": "abc"}) == (
        "/newsletter/unsubscribe/abc/"
    )


def test_the_link_shows_the_address_and_one_button_and_changes_nothing(client):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org")

    response = client.get(unsubscribe_url(subscriber))

    assert response.status_code == 200
    assert "<strong>reader@example.org</strong>" in response.text
    assert main_of(response).count("<button") == 1
    assert ">Unsubscribe</button>" in main_of(response)
    assert status_of(subscriber) == Subscriber.Status.CONFIRMED


def test_the_page_button_posts_to_the_same_link(client):
    subscriber = ConfirmedSubscriberFactory()
    url = unsubscribe_url(subscriber)

    response = client.get(url)

    assert re.search(rf'<form [^>]*method="post" action="{re.escape(url)}"', response.text)


def test_the_unsubscribe_page_is_never_cached_nor_indexed(client):
    response = client.get(unsubscribe_url(ConfirmedSubscriberFactory()))

    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in response.text


def test_pressing_the_button_unsubscribes_without_a_csrf_token(csrf_client):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org")

    response = csrf_client.post(unsubscribe_url(subscriber))

    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    assert "<strong>reader@example.org</strong>" in response.text
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None


def test_a_one_click_post_from_a_mail_client_unsubscribes_at_once(csrf_client):
    subscriber = ConfirmedSubscriberFactory()

    response = csrf_client.post(
        unsubscribe_url(subscriber), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED


def test_a_one_click_post_as_multipart_form_data_unsubscribes_too(csrf_client):
    subscriber = ConfirmedSubscriberFactory()

    response = csrf_client.post(unsubscribe_url(subscriber), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED


def test_the_done_page_offers_to_sign_up_again(client):
    response = client.post(unsubscribe_url(ConfirmedSubscriberFactory()))

    assert f'href="{reverse("newsletter:subscribe")}"' in response.text
    assert "no-store" in response["Cache-Control"]


def test_a_pending_subscriber_can_unsubscribe(client):
    subscriber = SubscriberFactory()

    client.post(unsubscribe_url(subscriber))

    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED


def test_unsubscribing_twice_answers_the_same_and_keeps_the_first_date(client):
    subscriber = ConfirmedSubscriberFactory()
    url = unsubscribe_url(subscriber)
    first = client.post(url)
    subscriber.refresh_from_db()
    unsubscribed_at = subscriber.unsubscribed_at

    second = client.post(url, ONE_CLICK, content_type="application/x-www-form-urlencoded")

    assert second.status_code == first.status_code == 200
    assert main_of(second) == main_of(first)
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at == unsubscribed_at


def test_the_link_of_an_unsubscribed_address_says_so_without_a_button(client):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org")
    services.unsubscribe(subscriber=subscriber)

    response = client.get(unsubscribe_url(subscriber))

    assert response.status_code == 200
    assert "is already unsubscribed" in response.text
    assert "<button" not in main_of(response)


def test_the_unsubscribe_page_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    url = unsubscribe_url(ConfirmedSubscriberFactory())

    with django_assert_num_queries(1):  # the subscriber the token names
        client.get(url)


def test_unsubscribing_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    url = unsubscribe_url(ConfirmedSubscriberFactory())

    # The token's subscriber, then in a transaction: lock the row, update it.
    with django_assert_num_queries(5):
        client.post(url)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "x" * 5000,
        "%00",
        "eyJpZCI6MSwiZW1haWwiOiJhQGIuYyJ9:1tAAAA:tampered",
        signing.dumps({"id": 1, "email": "a@b.c"}, salt="another.purpose"),
        signing.dumps("not a dict", salt=UNSUBSCRIBE_SALT),
        signing.dumps({"id": "1", "email": "a@b.c"}, salt=UNSUBSCRIBE_SALT),
    ],
    ids=["garbage", "long", "nul", "tampered", "other-salt", "not-a-dict", "id-not-int"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_link_answers_a_clear_400_page(client, token, method):
    subscriber = ConfirmedSubscriberFactory()

    response = getattr(client, method)(f"/newsletter/unsubscribe/{token}/")

    assert response.status_code == 400
    assert "This link is not valid" in response.text
    assert subscriber.email not in response.text
    assert status_of(subscriber) == Subscriber.Status.CONFIRMED


def test_a_confirmation_token_is_no_unsubscribe_token(client):
    subscriber = ConfirmedSubscriberFactory()
    token = make_confirmation_token(subscriber)

    response = client.post(reverse("newsletter:unsubscribe", kwargs={"token": token}))

    assert response.status_code == 400
    assert status_of(subscriber) == Subscriber.Status.CONFIRMED
    assert CONFIRMATION_SALT != UNSUBSCRIBE_SALT


def test_the_link_of_a_deleted_subscriber_answers_400_without_the_address(client):
    subscriber = ConfirmedSubscriberFactory(email="gone@example.org")
    url = unsubscribe_url(subscriber)
    subscriber.delete()

    response = client.post(url)

    assert response.status_code == 400
    assert "gone@example.org" not in response.text
    assert not Subscriber.objects.exists()


def test_the_link_is_refused_once_the_address_has_changed(client):
    subscriber = ConfirmedSubscriberFactory(email="old@example.org")
    url = unsubscribe_url(subscriber)
    Subscriber.objects.filter(pk=subscriber.pk).update(email="new@example.org")

    response = client.post(url)

    assert response.status_code == 400
    assert status_of(subscriber) == Subscriber.Status.CONFIRMED


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_on_the_unsubscribe_link_are_not_allowed(client, method):
    url = unsubscribe_url(ConfirmedSubscriberFactory())

    assert getattr(client, method)(url).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_signing_up_after_unsubscribing_goes_through_confirmation_again(client, smtp_sink):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org")
    client.post(unsubscribe_url(subscriber))

    client.post("/newsletter/subscribe/", {"email": "reader@example.org", "consent": "on"})

    assert status_of(subscriber) == Subscriber.Status.PENDING
    assert len(smtp_sink.messages) == 1
    link = re.sub(r"^https?://[^/]+", "", confirm_link(smtp_sink.messages[0]))
    client.post(link)
    assert status_of(subscriber) == Subscriber.Status.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_who_unsubscribes_before_the_email_leaves_gets_nothing(smtp_sink):
    from newsletter.tasks import send_confirmation_email

    subscriber = SubscriberFactory()
    services.unsubscribe(subscriber=subscriber)

    send_confirmation_email.enqueue(subscriber.pk)

    assert smtp_sink.messages == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("already_confirmed", [False, True], ids=["confirmation", "note"])
def test_the_sign_up_emails_carry_one_click_unsubscribe_headers(
    client, smtp_sink, settings, already_confirmed
):
    settings.SITE_URL = "https://traffickingwatch.example"
    if already_confirmed:
        ConfirmedSubscriberFactory(email="reader@example.org")
    client.post("/newsletter/subscribe/", {"email": "reader@example.org", "consent": "on"})

    message = smtp_sink.messages[0]
    header = message["List-Unsubscribe"].strip()  # a long header comes folded
    assert re.fullmatch(
        r"<https://traffickingwatch\.example/newsletter/unsubscribe/[^/]+/>", header
    )
    assert message["List-Unsubscribe-Post"] == ONE_CLICK


@pytest.mark.django_db(transaction=True)
def test_the_emailed_unsubscribe_link_works_by_one_click_and_in_the_body(client, smtp_sink):
    client.post("/newsletter/subscribe/", {"email": "reader@example.org", "consent": "on"})
    message = smtp_sink.messages[0]
    header_link = message["List-Unsubscribe"].strip().strip("<>")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert header_link in text
    assert f'href="{header_link}"' in html

    response = Client(enforce_csrf_checks=True).post(
        re.sub(r"^https?://[^/]+", "", header_link),
        ONE_CLICK,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.django_db
def test_the_unsubscribe_page_has_no_footer_sign_up_box_beside_its_button(client):
    subscriber = ConfirmedSubscriberFactory()

    response = client.get(unsubscribe_url(subscriber))

    # One button: a "Subscribe" box beside "Unsubscribe" invites the wrong click.
    assert "newsletter-signup" not in response.text
    assert response.text.count(">Subscribe</button>") == 0
