from unittest import mock

import pytest
from django.db.models import QuerySet

from newsletter import services
from newsletter.models import Subscriber
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_a_sign_up_that_loses_the_race_for_a_new_address_joins_the_winner():
    winner = SubscriberFactory(email="reader@example.org")
    original_first = QuerySet.first
    lookups = []

    def first_misses_once(queryset):
        # As if the other request inserted the address just after this one looked.
        lookups.append(queryset)
        return None if len(lookups) == 1 else original_first(queryset)

    with mock.patch.object(QuerySet, "first", first_misses_once):
        subscriber = services.subscribe(email="reader@example.org", consent_text="I agree.")

    assert subscriber.pk == winner.pk
    assert Subscriber.objects.count() == 1


def test_signing_up_again_while_pending_records_the_new_consent():
    subscriber = SubscriberFactory(consent_text="Old text.", consented_at=None)

    services.subscribe(email=subscriber.email, consent_text="New text.")

    subscriber.refresh_from_db()
    assert subscriber.consent_text == "New text."
    assert subscriber.consented_at is not None


def test_signing_up_again_without_a_name_keeps_the_name_given_before():
    subscriber = SubscriberFactory(name="Ana")

    services.subscribe(email=subscriber.email, consent_text="I agree.", name="")

    subscriber.refresh_from_db()
    assert subscriber.name == "Ana"


def test_confirming_an_unsubscribed_subscriber_changes_nothing():
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)

    services.confirm_subscription(subscriber=subscriber)

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_the_confirmation_email_is_sent_only_after_the_commit(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.subscribe(email="reader@example.org", consent_text="I agree.")
        assert mailoutbox == []

    callbacks[0]()
    assert [message.to for message in mailoutbox] == [["reader@example.org"]]
