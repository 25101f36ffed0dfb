"""The preferences page behind every email's signed link: mailings, frequency, alerts."""

import re
from email import message_from_bytes, policy
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from newsletter import services
from newsletter.emails import send_confirmation_email
from newsletter.messages import build_issue_email, prepared
from newsletter.models import Alert, SavedSearch, Subscriber
from newsletter.tokens import make_preferences_token, make_unsubscribe_token, preferences_url
from resources.filters import LibraryQuery
from tests.factories import CategoryFactory, ConfirmedSubscriberFactory, SubscriberFactory

from .factories import IssueFactory

pytestmark = pytest.mark.django_db


def url_of(subscriber: Subscriber) -> str:
    return reverse("newsletter:preferences", kwargs={"token": make_preferences_token(subscriber)})


def main_of(response) -> str:
    return re.search(r"<main .*?</main>", response.text, re.DOTALL)[0]


def alert_for(subscriber: Subscriber, *, confirmed: bool = True, **params) -> Alert:
    """Return an alert of subscriber on the library filter params (confirmed by default)."""
    query = LibraryQuery.from_params(QueryDict(urlencode(params)))
    search = SavedSearch.objects.for_library_query(query)
    return Alert.objects.create(
        subscriber=subscriber,
        search=search,
        confirmed_at=subscriber.created_at if confirmed else None,
    )


def saved(subscriber: Subscriber) -> Subscriber:
    subscriber.refresh_from_db()
    return subscriber


def test_the_preferences_url_is_the_contracts(settings):
    subscriber = ConfirmedSubscriberFactory()

    assert reverse("newsletter:preferences", kwargs={"token": "abc"}) == (
        "/newsletter/preferences/abc/"
    )
    assert preferences_url(subscriber).startswith(f"{settings.SITE_URL}/newsletter/preferences/")


def test_the_page_shows_the_current_preferences(client):
    subscriber = ConfirmedSubscriberFactory(
        email="reader@example.org",
        wants_newsletter=False,
        wants_news_digest=True,
        digest_frequency=Subscriber.Frequency.MONTHLY,
    )

    response = client.get(url_of(subscriber))

    assert response.status_code == 200
    html = main_of(response)
    assert "<strong>reader@example.org</strong>" in html
    assert re.search(r'<input type="checkbox" name="wants_newsletter"(?![^>]*checked)[^>]*>', html)
    assert re.search(r'<input type="checkbox" name="wants_news_digest"[^>]*checked', html)
    assert re.search(
        r'<input type="radio" name="digest_frequency" value="monthly"[^>]*checked', html
    )


def test_saving_stores_the_choices_and_says_when_they_apply(client):
    subscriber = ConfirmedSubscriberFactory()
    url = url_of(subscriber)

    response = client.post(
        url,
        {"wants_resource_digest": "on", "wants_news_digest": "on", "digest_frequency": "monthly"},
    )

    assert response.status_code == 303
    subscriber = saved(subscriber)
    assert not subscriber.wants_newsletter
    assert subscriber.wants_resource_digest
    assert subscriber.wants_news_digest
    assert subscriber.digest_frequency == Subscriber.Frequency.MONTHLY
    assert subscriber.status == Subscriber.Status.CONFIRMED
    page = client.get(response["Location"])
    assert "Saved — changes apply from the next mailing." in page.text


@pytest.mark.parametrize(
    "frequency", ["daily", "", "\x00", "weekly" * 1000, "<script>alert(1)</script>"]
)
def test_a_garbage_frequency_gets_a_message_and_changes_nothing(client, frequency):
    subscriber = ConfirmedSubscriberFactory(wants_newsletter=True)

    response = client.post(url_of(subscriber), {"digest_frequency": frequency})

    assert response.status_code == 400
    assert "Please choose weekly or monthly." in response.text
    assert "Nothing was saved" in response.text
    assert "<script>alert(1)</script>" not in response.text
    subscriber = saved(subscriber)
    assert subscriber.wants_newsletter
    assert subscriber.digest_frequency == Subscriber.Frequency.WEEKLY


def test_garbage_in_the_checkboxes_is_read_as_ticked_never_as_an_error(client):
    subscriber = ConfirmedSubscriberFactory()

    response = client.post(
        url_of(subscriber), {"wants_news_digest": "\u2603" * 500, "digest_frequency": "weekly"}
    )

    assert response.status_code == 303
    assert saved(subscriber).wants_news_digest


def test_the_page_lists_the_alerts_in_words_linked_to_the_library(client):
    subscriber = ConfirmedSubscriberFactory()
    CategoryFactory(name="Guides", slug="guides")
    alert = alert_for(subscriber, category="guides", year_from="2020")

    html = main_of(client.get(url_of(subscriber)))

    assert "Guides · 2020 or later" in html
    assert f'href="{alert.search.get_absolute_url()}"' in html.replace("&amp;", "&")
    assert f'name="remove_alert" value="{alert.pk}"' in html


def test_an_unconfirmed_alert_is_marked_as_waiting(client):
    subscriber = ConfirmedSubscriberFactory()
    alert_for(subscriber, q="forced labour", confirmed=False)

    assert "waiting for confirmation by email" in client.get(url_of(subscriber)).text


def test_removing_an_alert_deletes_it_and_keeps_the_others(client):
    subscriber = ConfirmedSubscriberFactory()
    kept = alert_for(subscriber, q="forced labour")
    removed = alert_for(subscriber, q="domestic work")

    response = client.post(url_of(subscriber), {"remove_alert": str(removed.pk)})

    assert response.status_code == 303
    assert list(subscriber.alerts.all()) == [kept]
    page = client.get(response["Location"])
    assert "The alert is removed" in page.text
    assert "domestic work" not in main_of(page)


def test_nobody_removes_another_subscribers_alert(client):
    subscriber = ConfirmedSubscriberFactory()
    others = alert_for(ConfirmedSubscriberFactory(), q="forced labour")

    response = client.post(url_of(subscriber), {"remove_alert": str(others.pk)})

    assert Alert.objects.filter(pk=others.pk).exists()
    assert "That alert was already removed." in client.get(response["Location"]).text


@pytest.mark.parametrize("value", ["", "abc", "-1", "1" * 40, "\x00", "١٢"])
def test_a_garbage_alert_id_removes_nothing_and_says_so(client, value):
    subscriber = ConfirmedSubscriberFactory()
    alert = alert_for(subscriber, q="forced labour")

    response = client.post(url_of(subscriber), {"remove_alert": value})

    assert response.status_code == 303
    assert Alert.objects.filter(pk=alert.pk).exists()
    assert "That alert was already removed." in client.get(response["Location"]).text


def test_unsubscribing_from_everything_unsubscribes_and_keeps_the_preferences(client):
    subscriber = ConfirmedSubscriberFactory(wants_news_digest=True)

    response = client.post(url_of(subscriber), {"unsubscribe": "1"})

    assert response.status_code == 303
    subscriber = saved(subscriber)
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert subscriber.wants_news_digest
    page = client.get(response["Location"])
    assert "You are unsubscribed from everything" in page.text


def test_an_unsubscribed_subscriber_is_told_and_offered_the_sign_up(client):
    subscriber = services.unsubscribe(subscriber=ConfirmedSubscriberFactory())

    html = main_of(client.get(url_of(subscriber)))

    assert "You are unsubscribed: we send you no emails at all." in html
    assert f'href="{reverse("newsletter:subscribe")}"' in html
    assert 'name="unsubscribe"' not in html


def test_a_pending_subscriber_is_told_nothing_goes_out_until_they_confirm(client):
    subscriber = SubscriberFactory()

    html = main_of(client.get(url_of(subscriber)))

    assert "Your address is not confirmed yet: we send you nothing" in html
    assert f'href="{reverse("newsletter:subscribe")}"' in html


@pytest.mark.parametrize("token", ["garbage", "a" * 500, "eyJpZCI6MX0:1abc:xyz"])
def test_a_tampered_or_garbage_token_is_a_404_page(client, token):
    response = client.get(reverse("newsletter:preferences", kwargs={"token": token}))

    assert response.status_code == 404
    assert "This link is not valid" in response.text


def test_a_token_for_a_changed_address_is_a_404(client):
    subscriber = ConfirmedSubscriberFactory()
    url = url_of(subscriber)
    subscriber.email = "new@example.org"
    subscriber.save()

    assert client.get(url).status_code == 404
    assert client.post(url, {"unsubscribe": "1"}).status_code == 404
    assert saved(subscriber).status == Subscriber.Status.CONFIRMED


def test_another_links_token_does_not_open_the_preferences(client):
    subscriber = ConfirmedSubscriberFactory()
    token = make_unsubscribe_token(subscriber)

    response = client.get(reverse("newsletter:preferences", kwargs={"token": token}))

    assert response.status_code == 404


def test_the_page_is_private_never_cached_and_not_indexed(client):
    response = client.get(url_of(ConfirmedSubscriberFactory()))

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in response.text
    assert "Set-Cookie" not in response.headers


def test_a_post_from_another_site_changes_nothing():
    subscriber = ConfirmedSubscriberFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        url_of(subscriber),
        {"unsubscribe": "1"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 403
    assert saved(subscriber).status == Subscriber.Status.CONFIRMED


def test_a_post_from_the_page_itself_needs_no_cookie():
    subscriber = ConfirmedSubscriberFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        url_of(subscriber),
        {"unsubscribe": "1"},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )

    assert response.status_code == 303
    assert saved(subscriber).status == Subscriber.Status.UNSUBSCRIBED


def test_the_page_says_how_many_alerts_one_may_keep(client):
    response = client.get(url_of(ConfirmedSubscriberFactory()))

    assert f"up to {services.MAX_ALERTS_PER_SUBSCRIBER} alerts" in response.text


def test_the_page_reads_the_subscriber_and_all_alerts_in_two_queries(
    client, django_assert_num_queries
):
    """Guards against an N+1 on the alerts' saved searches (one query per alert)."""
    subscriber = ConfirmedSubscriberFactory()
    for words in ["forced labour", "domestic work", "begging"]:
        alert_for(subscriber, q=words)
    url = url_of(subscriber)

    with django_assert_num_queries(2):
        response = client.get(url)

    assert response.status_code == 200
    assert main_of(response).count('name="remove_alert"') == 3


def link_path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


PREFERENCES_LINK = re.compile(r"https?://[^\s\"<]+/newsletter/preferences/[^/\s\"<]+/")


def test_every_issue_email_links_to_the_readers_own_preferences(client):
    reader = ConfirmedSubscriberFactory(email="reader@example.org")
    issue = IssueFactory()

    fast = message_from_bytes(prepared(issue).message_bytes(reader), policy=policy.default)
    slow = message_from_bytes(
        build_issue_email(issue, reader).message().as_bytes(), policy=policy.default
    )
    for message in (fast, slow):
        for kind in ("plain", "html"):
            body = message.get_body((kind,)).get_content()
            link = PREFERENCES_LINK.search(body)[0]
            page = client.get(link_path(link))
            assert page.status_code == 200
            assert "<strong>reader@example.org</strong>" in page.text


def test_the_confirmation_email_links_to_the_preferences(client, mailoutbox):
    subscriber = SubscriberFactory(email="reader@example.org")

    send_confirmation_email(subscriber.pk)

    [message] = mailoutbox
    link = PREFERENCES_LINK.search(message.body)[0]
    assert client.get(link_path(link)).status_code == 200
    assert link in message.alternatives[0].content
