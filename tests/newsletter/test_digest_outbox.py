"""The outbox shared by issues and digests: who still wants the mail just before it goes."""

import pytest

from newsletter import sending
from newsletter.models import Subscriber
from tests.factories import ConfirmedSubscriberFactory, SubscriberFactory
from tests.newsletter.factories import IssueFactory

pytestmark = pytest.mark.django_db


def test_an_issue_goes_only_to_confirmed_subscribers_who_want_the_newsletter(
    sink_server, django_capture_on_commit_callbacks
):
    reader = ConfirmedSubscriberFactory(email="reader@example.org")
    ConfirmedSubscriberFactory(email="alerts-only@example.org", wants_newsletter=False)
    SubscriberFactory(email="pending@example.org")
    issue = IssueFactory()

    with django_capture_on_commit_callbacks(execute=True):
        assert sending.queue_issue(issue) == 1

    assert sink_server.sink.recipients() == {reader.email: 1}


def test_who_turns_the_newsletter_off_after_the_issue_was_queued_gets_nothing(
    sink_server, django_capture_on_commit_callbacks
):
    stays, leaves = ConfirmedSubscriberFactory.create_batch(2)
    issue = IssueFactory()
    with django_capture_on_commit_callbacks() as start_tasks:
        sending.queue_issue(issue)
    Subscriber.objects.filter(pk=leaves.pk).update(wants_newsletter=False)
    for callback in start_tasks:
        callback()

    assert sink_server.sink.recipients() == {stays.email: 1}
    assert sending.progress(issue)["skipped"] == 1
