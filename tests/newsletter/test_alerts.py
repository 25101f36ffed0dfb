"""Alerts from the library: "Email me new matches", its double opt-in, and the admin."""

import re
import time
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from newsletter import services
from newsletter.forms import ALERT_CONSENT_TEXT
from newsletter.models import Alert, SavedSearch, Subscriber
from newsletter.tokens import CONFIRMATION_MAX_AGE, make_alert_token, make_confirmation_token
from tests.factories import (
    CategoryFactory,
    ConfirmedSubscriberFactory,
    CountryFactory,
    ResourceFactory,
    SubscriberFactory,
)
from tests.processes import wait_for

from .test_faults import db_worker  # noqa: F401 (a fixture)
from .test_preferences import alert_for

pytestmark = pytest.mark.django_db

NEW_URL = "/newsletter/alerts/new/"
THANKS_URL = "/newsletter/alerts/new/thanks/"
ALERT_LINK = re.compile(r"https?://\S+/newsletter/alerts/confirm/[^/\s]+/")
PREFERENCES_LINK = re.compile(r"https?://\S+/newsletter/preferences/[^/\s]+/")


@pytest.fixture
def guides():
    return CategoryFactory(name="Guides", slug="guides")


def ask(client, params: dict | None = None, **data):
    fields = {"email": "reader@example.org", "consent": "on"}
    fields.update(data)
    url = f"{NEW_URL}?{urlencode(params or {}, doseq=True)}"
    return client.post(url, {k: v for k, v in fields.items() if v is not None})


def confirm_url(token: str) -> str:
    return reverse("newsletter:alert-confirm", kwargs={"token": token})


def path_of(link: str) -> str:
    return link.split("://", 1)[1].partition("/")[1] + link.split("://", 1)[1].partition("/")[2]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def expired_token(alert: Alert) -> str:
    signed_at = int(time.time()) - CONFIRMATION_MAX_AGE - 60 * 60 * 24
    with mock.patch.object(
        signing.TimestampSigner, "timestamp", return_value=signing.b62_encode(signed_at)
    ):
        return make_alert_token(alert)


def test_the_alert_urls_are_as_designed():
    assert reverse("newsletter:alert-new") == NEW_URL
    assert reverse("newsletter:alert-confirm", kwargs={"token": "abc"}) == (
        "/newsletter/alerts/confirm/abc/"
    )


def test_the_form_says_the_filter_in_words_and_asks_for_consent(client, guides):
    response = client.get(NEW_URL, {"category": "guides", "year_from": "2020", "q": "labour"})

    assert response.status_code == 200
    assert "“labour” · Guides · 2020 or later" in response.text
    assert str(ALERT_CONSENT_TEXT) in response.text
    assert 'name="website"' in response.text
    assert '<meta name="robots" content="noindex">' in response.text
    # The form posts the same filter back, in its canonical order.
    assert 'action="/newsletter/alerts/new/?q=labour&amp;category=guides&amp;year_from=2020"' in (
        response.text
    )


def test_without_filters_the_alert_is_for_every_new_resource(client):
    response = client.get(NEW_URL)

    assert response.status_code == 200
    assert "Every new resource" in response.text


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("category", "no-such-category"),
        ("country", "Not a slug!"),
        ("year", "20x9"),
        ("year_from", "abcd"),
        ("sort", "newest"),
        ("q", "x" * 201),
        ("q", "trafficking\x00"),
    ],
)
def test_bad_library_parameters_answer_400_naming_the_parameter(client, parameter, value):
    for response in (
        client.get(NEW_URL, {parameter: value}),
        ask(client, {parameter: value}),
    ):
        assert response.status_code == 400
        assert f"The parameter “{parameter}” is not valid" in response.text
    assert not Subscriber.objects.exists()


def test_a_new_address_becomes_a_pending_subscriber_for_the_resource_digest_only(client, guides):
    response = ask(client, {"category": "guides"}, name="Ana")

    assert response.status_code == 303
    assert response["Location"] == THANKS_URL
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.org"
    assert subscriber.name == "Ana"
    assert subscriber.status == Subscriber.Status.PENDING
    assert not subscriber.wants_newsletter
    assert subscriber.wants_resource_digest
    assert subscriber.consent_text == str(ALERT_CONSENT_TEXT)
    assert subscriber.source_page == "/resources/"
    alert = subscriber.alerts.get()
    assert alert.confirmed_at is None
    assert alert.search.description == "Guides"
    assert alert.search.query == "category=guides"


def test_the_thanks_page_asks_to_check_the_inbox(client):
    response = client.get(THANKS_URL)

    assert "we sent a link to confirm your alert" in response.text


def test_a_confirmed_subscriber_is_reused_and_never_rewritten(client, guides):
    subscriber = ConfirmedSubscriberFactory(
        email="reader@example.org", name="Ana", consent_text="Newsletter consent"
    )

    ask(client, {"category": "guides"}, name="Mallory", email="READER@example.org")

    subscriber.refresh_from_db()
    assert subscriber.name == "Ana"
    assert subscriber.consent_text == "Newsletter consent"
    assert subscriber.wants_newsletter
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.alerts.get().confirmed_at is None
    assert Subscriber.objects.count() == 1


def test_every_address_state_gets_the_same_answer(client, guides):
    ConfirmedSubscriberFactory(email="confirmed@example.org")
    SubscriberFactory(email="pending@example.org")
    services.unsubscribe(subscriber=ConfirmedSubscriberFactory(email="gone@example.org"))

    responses = [
        ask(client, {"category": "guides"}, email=email)
        for email in [
            "new@example.org",
            "pending@example.org",
            "confirmed@example.org",
            "gone@example.org",
        ]
    ]

    assert {(r.status_code, r["Location"]) for r in responses} == {(303, THANKS_URL)}
    assert Alert.objects.count() == 4
    assert SavedSearch.objects.count() == 1


def test_an_unsubscribed_address_is_pending_again_for_alerts_only(client, guides):
    subscriber = services.unsubscribe(
        subscriber=ConfirmedSubscriberFactory(email="gone@example.org", wants_newsletter=True)
    )

    ask(client, {"category": "guides"}, email="gone@example.org")

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert not subscriber.wants_newsletter
    assert subscriber.wants_resource_digest


def test_the_same_filter_in_another_order_is_one_saved_search(client, guides):
    CountryFactory(name="Lebanon", slug="lebanon")

    ask(client, {"category": "guides", "country": "lebanon"}, email="a@example.org")
    ask(
        client, {"country": "lebanon", "category": "guides", "sort": "title"}, email="b@example.org"
    )

    assert SavedSearch.objects.count() == 1
    assert Alert.objects.count() == 2


def test_asking_twice_for_the_same_filter_keeps_one_alert(client, guides):
    ask(client, {"category": "guides"})
    ask(client, {"category": "guides"})

    assert Alert.objects.count() == 1


def test_a_subscriber_may_keep_several_alerts(client, guides):
    ask(client, {"category": "guides"})
    ask(client, {"q": "forced labour"})

    assert Subscriber.objects.get().alerts.count() == 2


# The email goes after the commit: a real one.
@pytest.mark.django_db(transaction=True)
def test_past_the_cap_nothing_is_created_and_the_answer_is_the_same(client, smtp_sink):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org")
    for n in range(services.MAX_ALERTS_PER_SUBSCRIBER):
        alert_for(subscriber, q=f"word{n}")

    response = ask(client, {"q": "one too many"})

    assert response.status_code == 303
    assert response["Location"] == THANKS_URL
    assert subscriber.alerts.count() == services.MAX_ALERTS_PER_SUBSCRIBER
    assert not SavedSearch.objects.filter(q="one too many").exists()
    assert smtp_sink.messages == []


# The email goes after the commit: a real one.
@pytest.mark.django_db(transaction=True)
def test_an_existing_alert_past_the_cap_is_still_answered(client, smtp_sink):
    subscriber = ConfirmedSubscriberFactory(email="reader@example.org")
    for n in range(services.MAX_ALERTS_PER_SUBSCRIBER):
        alert_for(subscriber, q=f"word{n}", confirmed=False)

    ask(client, {"q": "word3"})

    assert len(smtp_sink.messages) == 1


# The email goes after the commit: a real one.
@pytest.mark.django_db(transaction=True)
def test_the_honeypot_gets_the_same_answer_and_nothing_is_stored(client, smtp_sink):
    response = ask(client, website="http://spam.example")

    assert response.status_code == 303
    assert response["Location"] == THANKS_URL
    assert not Subscriber.objects.exists()
    assert smtp_sink.messages == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": ""}, "Please enter your email address."),
        ({"email": "not-an-address"}, "Please enter a valid email address"),
        ({"email": "a@b.c" + "x" * 300}, "Please enter a valid email address"),
        ({"email": "\x00@example.org"}, "Please enter a valid email address"),
        ({"consent": None}, "Please tick this box so we may email you new matches."),
        ({"name": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
)
def test_garbage_in_the_form_gets_a_message_and_stores_nothing(client, data, message):
    response = ask(client, **data)

    assert response.status_code == 400
    assert message in response.text
    assert not Subscriber.objects.exists()


def test_past_the_sign_up_rate_limit_the_answer_is_429(client, settings):
    settings.SIGNUP_RATE_LIMIT = "2/m"

    statuses = [
        ask(client, email=f"r{n}@example.org", REMOTE_ADDR="203.0.113.9").status_code
        for n in range(3)
    ]

    assert statuses == [303, 303, 429]
    assert Subscriber.objects.count() == 2


# The email goes after the commit: a real one.
@pytest.mark.django_db(transaction=True)
def test_the_confirmation_email_describes_the_alert_and_its_link_confirms_it(
    client, smtp_sink, guides
):
    ask(client, {"category": "guides", "year_from": "2020"})

    [message] = smtp_sink.messages
    assert message["To"] == "reader@example.org"
    assert "Confirm your alert" in message["Subject"]
    text = text_of(message)
    assert "Guides · 2020 or later" in text
    assert "/resources/?category=guides&year_from=2020" in text
    assert PREFERENCES_LINK.search(text)
    assert "List-Unsubscribe" in message
    link = path_of(ALERT_LINK.search(text)[0])
    alert = Alert.objects.get()

    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my alert" in page.text
    assert "Guides · 2020 or later" in page.text
    alert.refresh_from_db()
    assert alert.confirmed_at is None  # a mail scanner following the link confirms nothing

    response = client.post(link)
    assert response.status_code == 303
    alert.refresh_from_db()
    assert alert.confirmed_at is not None
    subscriber = alert.subscriber
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.confirmed_at is not None
    assert subscriber.consent_text == str(ALERT_CONSENT_TEXT)
    assert subscriber.wants_resource_digest

    done = client.get(response["Location"])
    assert "Your alert is active" in done.text


def test_confirming_turns_on_the_resource_digest_of_a_confirmed_subscriber(client, guides):
    subscriber = ConfirmedSubscriberFactory(wants_resource_digest=False)
    alert = alert_for(subscriber, confirmed=False, category="guides")

    client.post(confirm_url(make_alert_token(alert)))

    subscriber.refresh_from_db()
    assert subscriber.wants_resource_digest
    assert subscriber.alerts.get().is_active


def test_confirming_an_alert_never_starts_a_newsletter_nobody_confirmed(client, guides):
    """Anyone may type an address into the sign-up form: only its own link starts the
    newsletter, not the alert's."""
    pending = SubscriberFactory(email="reader@example.org")  # signed up, never confirmed
    alert = alert_for(pending, confirmed=False, category="guides")

    client.post(confirm_url(make_alert_token(alert)))

    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.CONFIRMED
    assert pending.wants_resource_digest
    assert not pending.wants_newsletter


def test_the_newsletter_link_pressed_after_an_alert_starts_the_newsletter(client, guides):
    pending = SubscriberFactory(email="reader@example.org")
    client.post(
        confirm_url(make_alert_token(alert_for(pending, confirmed=False, category="guides")))
    )
    newsletter_link = reverse(
        "newsletter:confirm", kwargs={"token": make_confirmation_token(pending)}
    )

    assert "Confirm" in client.get(newsletter_link).text
    client.post(newsletter_link)

    pending.refresh_from_db()
    assert pending.wants_newsletter
    assert pending.wants_resource_digest


def test_signing_up_for_the_newsletter_with_alerts_only_mails_a_confirmation_link(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    ConfirmedSubscriberFactory(email="reader@example.org", wants_newsletter=False)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/newsletter/subscribe/", {"email": "reader@example.org", "consent": "on"})

    [message] = smtp_sink.messages
    assert "Confirm your subscription" in message["Subject"]
    subscriber = Subscriber.objects.get()
    assert not subscriber.wants_newsletter  # until the link is pressed


def test_an_already_active_alert_says_so(client, guides):
    alert = alert_for(ConfirmedSubscriberFactory(), category="guides")

    response = client.get(confirm_url(make_alert_token(alert)))

    assert response.status_code == 200
    assert "Your alert is active" in response.text
    assert "/newsletter/preferences/" in response.text


# The email goes after the commit: a real one.
@pytest.mark.django_db(transaction=True)
def test_an_expired_link_confirms_nothing_and_offers_a_new_one(client, smtp_sink, guides):
    alert = alert_for(SubscriberFactory(), confirmed=False, category="guides")
    url = confirm_url(expired_token(alert))

    page = client.get(url)
    assert "This link has expired" in page.text
    assert "Send me a new link" in page.text

    response = client.post(url)
    assert response["Location"] == THANKS_URL
    alert.refresh_from_db()
    assert alert.confirmed_at is None
    [message] = smtp_sink.messages
    new_link = path_of(ALERT_LINK.search(text_of(message))[0])
    client.post(new_link)
    alert.refresh_from_db()
    assert alert.is_active


@pytest.mark.parametrize("token", ["garbage", "x" * 400, "eyJhIjoxfQ:1abc:def"])
def test_a_garbage_link_is_an_invalid_link_page(client, token):
    response = client.get(confirm_url(token))

    assert response.status_code == 404
    assert "This link is not valid" in response.text


def test_the_link_of_a_removed_alert_is_invalid(client):
    alert = alert_for(SubscriberFactory(), confirmed=False, q="labour")
    url = confirm_url(make_alert_token(alert))
    services.remove_alert(subscriber=alert.subscriber, alert_id=alert.pk)

    assert client.post(url).status_code == 404


def test_the_link_does_not_resubscribe_someone_who_unsubscribed(client):
    alert = alert_for(ConfirmedSubscriberFactory(), confirmed=False, q="labour")
    url = confirm_url(make_alert_token(alert))
    services.unsubscribe(subscriber=alert.subscriber)

    assert client.post(url).status_code == 404
    alert.refresh_from_db()
    assert alert.confirmed_at is None


def test_the_library_offers_email_me_new_matches_with_the_filters_without_page_or_sort(
    client, guides
):
    ResourceFactory(category=guides)

    response = client.get("/resources/", {"category": "guides", "sort": "title", "page": "1"})

    assert 'href="/newsletter/alerts/new/?category=guides"' in response.text
    assert "Email me new matches" in response.text


def test_the_library_offers_email_me_new_matches_without_filters_too(client):
    response = client.get("/resources/")

    assert 'href="/newsletter/alerts/new/"' in response.text


def test_the_in_place_update_carries_the_link_too(client, guides):
    response = client.get("/resources/", {"category": "guides"}, headers={"X-Library-Partial": "1"})

    assert 'href="/newsletter/alerts/new/?category=guides"' in response.text


def test_the_subscriber_admin_lists_the_alerts_inline(admin_client, guides):
    subscriber = ConfirmedSubscriberFactory()
    alert_for(subscriber, category="guides")
    alert_for(subscriber, q="forced labour", confirmed=False)

    response = admin_client.get(f"/admin/newsletter/subscriber/{subscriber.pk}/change/")

    assert response.status_code == 200
    assert 'href="/resources/?category=guides"' in response.text
    assert "“forced labour”" in response.text
    assert "Preferences" in response.text


def test_the_subscriber_list_filters_by_preferences(admin_client):
    ConfirmedSubscriberFactory(email="digest@example.org", wants_news_digest=True)
    ConfirmedSubscriberFactory(email="plain@example.org")

    response = admin_client.get("/admin/newsletter/subscriber/", {"wants_news_digest__exact": "1"})

    assert [s.email for s in response.context["cl"].result_list] == ["digest@example.org"]


def test_the_saved_search_admin_puts_the_most_followed_first(admin_client, guides):
    alert_for(ConfirmedSubscriberFactory(), q="rare")
    for _ in range(3):
        alert_for(ConfirmedSubscriberFactory(), category="guides")
    alert_for(SubscriberFactory(), q="pending only", confirmed=False)
    alert_for(SubscriberFactory(), q="pending only too", confirmed=False)

    response = admin_client.get("/admin/newsletter/savedsearch/")

    assert response.status_code == 200
    listed = [(s.description, s.active_alert_count) for s in response.context["cl"].result_list]
    assert listed[:2] == [("Guides", 3), ("“rare”", 1)]
    assert 'href="/resources/?category=guides"' in response.text


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_answering_try_later_gets_the_alert_link_retried(
    sink_server,
    db_worker,  # noqa: F811 (the fixture imported above)
):
    """The alert's email retries as the sign-up's does, through a real db_worker."""
    worker, log = db_worker
    sink_server.sink.answers["reader@example.org"] = "451 4.3.0 Try again later"
    task = "newsletter.tasks.send_alert_confirmation_email"

    assert ask(Client(), {"q": "forced labour"}).status_code == 303
    wait_for(
        lambda: DBTaskResult.objects.filter(task_path=task).count() >= 2,
        worker=worker,
        log=log,
        what="retry",
    )
    del sink_server.sink.answers["reader@example.org"]
    wait_for(lambda: sink_server.sink.messages, worker=worker, log=log, what="alert link")
    time.sleep(1)
    assert sink_server.sink.recipients() == {"reader@example.org": 1}
    assert "Confirm your alert" in sink_server.sink.messages[0]["Subject"]
