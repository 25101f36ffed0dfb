"""Sending an issue in-process (tasks run when enqueued) into a real SMTP sink."""

from datetime import timedelta
from email import message_from_bytes, policy
from functools import partial

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import default_task_backend

from newsletter import sending
from newsletter.messages import build_issue_email, prepared, render_issue
from newsletter.models import Delivery, Subscriber
from tests.factories import ArticleFactory, ConfirmedSubscriberFactory, SubscriberFactory
from tests.newsletter.factories import IssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Queue an issue and run what its commit starts: the send tasks, in-process."""

    def send(issue, **kwargs) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return sending.queue_issue(issue, **kwargs)

    return send


def deliveries(issue) -> dict[str, Delivery]:
    return {d.subscriber.email: d for d in issue.deliveries.select_related("subscriber")}


def test_every_confirmed_subscriber_gets_the_issue_exactly_once_and_nobody_else(sink_server, send):
    confirmed = ConfirmedSubscriberFactory.create_batch(5)
    SubscriberFactory(email="pending@example.org")
    SubscriberFactory(email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    issue = IssueFactory()

    assert send(issue) == 5

    assert sink_server.sink.recipients() == {s.email: 1 for s in confirmed}
    assert sending.progress(issue) == {
        "queued": 0,
        "sending": 0,
        "sent": 5,
        "failed": 0,
        "skipped": 0,
    }
    issue.refresh_from_db()
    assert issue.queued_at is not None


def test_sending_twice_creates_nothing_and_sends_nothing_twice(sink_server, send):
    confirmed = ConfirmedSubscriberFactory.create_batch(3)
    issue = IssueFactory()
    send(issue)
    first_queued_at = issue.queued_at

    ConfirmedSubscriberFactory(email="late@example.org")
    assert send(issue) == 0

    assert sink_server.sink.recipients() == {s.email: 1 for s in confirmed}
    issue.refresh_from_db()
    assert issue.queued_at == first_queued_at


def test_who_unsubscribed_after_the_issue_was_queued_gets_nothing(
    sink_server, django_capture_on_commit_callbacks
):
    stays, leaves = ConfirmedSubscriberFactory.create_batch(2)
    issue = IssueFactory()
    with django_capture_on_commit_callbacks() as start_tasks:
        sending.queue_issue(issue)
    leaves.status = Subscriber.Status.UNSUBSCRIBED
    leaves.save()

    for callback in start_tasks:
        callback()

    assert sink_server.sink.recipients() == {stays.email: 1}
    assert deliveries(issue)[leaves.email].status == Delivery.Status.SKIPPED


def test_a_permanent_refusal_is_recorded_with_the_servers_answer_and_not_retried(sink_server, send):
    ok = ConfirmedSubscriberFactory()
    bad = ConfirmedSubscriberFactory(email="nobody@example.org")
    sink_server.sink.answers[bad.email] = "550 5.1.1 No such mailbox here"
    issue = IssueFactory()

    send(issue)

    refused = deliveries(issue)[bad.email]
    assert refused.status == Delivery.Status.FAILED
    assert refused.last_error == "550 5.1.1 No such mailbox here"
    assert refused.attempts == 1
    assert deliveries(issue)[ok.email].status == Delivery.Status.SENT

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        sending.sweep(issue.pk)
    assert sink_server.sink.recipients() == {ok.email: 1}


def test_a_temporary_refusal_is_retried_later_and_then_delivered(sink_server, send, settings):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
    busy = ConfirmedSubscriberFactory(email="busy@example.org")
    issue = IssueFactory()
    sink_server.sink.answers[busy.email] = "451 4.3.0 Try again later"

    send(issue)

    waiting = deliveries(issue)[busy.email]
    assert waiting.status == Delivery.Status.QUEUED
    assert waiting.last_error == "451 4.3.0 Try again later"
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=50)
    sending.sweep(issue.pk)  # not due yet: nothing is tried
    assert deliveries(issue)[busy.email].attempts == 1

    del sink_server.sink.answers[busy.email]
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        sending.sweep(issue.pk)

    delivered = deliveries(issue)[busy.email]
    assert delivered.status == Delivery.Status.SENT
    assert delivered.attempts == 2
    assert sink_server.sink.recipients() == {busy.email: 1}


def test_the_retries_back_off_and_stop_after_the_last_attempt(sink_server, send, settings):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 10
    settings.NEWSLETTER_MAX_ATTEMPTS = 3
    busy = ConfirmedSubscriberFactory(email="busy@example.org")
    sink_server.sink.answers[busy.email] = "452 4.2.2 Mailbox full"
    issue = IssueFactory()
    started = timezone.now()

    send(issue)
    first_retry = deliveries(issue)[busy.email].next_attempt_at
    with time_machine.travel(started + timedelta(seconds=11)):
        sending.sweep(issue.pk)
    second_retry = deliveries(issue)[busy.email].next_attempt_at
    with time_machine.travel(started + timedelta(seconds=40)):
        sending.sweep(issue.pk)

    assert timedelta(seconds=9) < first_retry - started < timedelta(seconds=12)
    assert timedelta(seconds=19) < second_retry - (started + timedelta(seconds=11))
    given_up = deliveries(issue)[busy.email]
    assert given_up.status == Delivery.Status.FAILED
    assert given_up.attempts == 3
    assert given_up.last_error == "452 4.2.2 Mailbox full"


def test_a_dead_workers_claimed_deliveries_are_sent_once_its_lease_runs_out(sink_server, settings):
    settings.NEWSLETTER_LEASE_SECONDS = 30
    confirmed = ConfirmedSubscriberFactory.create_batch(3)
    issue = IssueFactory()
    sending.queue_issue(issue)  # on_commit never runs: no task started
    claimed = sending.Sender(issue.pk).claim()  # ... and the worker that claimed them died
    assert len(claimed) == 3

    sending.sweep(issue.pk)
    assert sink_server.sink.recipients() == {}
    assert sending.progress(issue)["sending"] == 3

    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        sending.sweep(issue.pk)
    assert sink_server.sink.recipients() == {s.email: 1 for s in confirmed}


def test_the_message_has_text_and_html_the_name_and_the_links(sink_server, send, settings):
    ConfirmedSubscriberFactory(email="maria@example.org", name="María Ortega")
    article = ArticleFactory(title="New guidance on labour exploitation")
    issue = IssueFactory(subject="March news", slug="march-news", articles=[article])

    send(issue)

    [message] = sink_server.sink.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    archive = f"{settings.SITE_URL}/newsletter/issues/march-news/"
    assert message["Subject"] == "March news"
    assert message["To"] == "María Ortega <maria@example.org>"
    for part in (text, html):
        assert "Hello María Ortega," in part
        assert archive in part
        assert "New guidance on labour exploitation" in part
        assert settings.SITE_URL + article.get_absolute_url() in part
        assert f"{settings.SITE_URL}/newsletter/unsubscribe/" in part
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith(f"<{settings.SITE_URL}/newsletter/unsubscribe/")
    assert unsubscribe[1:-1] in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Precedence"] == "bulk"
    assert message["Auto-Submitted"] == "auto-generated"


def test_each_subscriber_gets_their_own_greeting_and_unsubscribe_link(sink_server, send):
    ConfirmedSubscriberFactory(email="ann@example.org", name="Ann")
    ConfirmedSubscriberFactory(email="noname@example.org", name="")
    send(IssueFactory())

    by_address = {m["To"]: m.get_body(("plain",)).get_content() for m in sink_server.sink.messages}
    assert "Hello Ann," in by_address["Ann <ann@example.org>"]
    assert "Hello," in by_address["noname@example.org"].splitlines()
    links = {m["List-Unsubscribe"] for m in sink_server.sink.messages}
    assert len(links) == 2


def test_a_name_or_address_with_line_breaks_cannot_add_headers_or_recipients(sink_server, send):
    sly = ConfirmedSubscriberFactory(
        email="sly@example.org", name="Sly\r\nBcc: victim@example.org\r\nX-Evil: 1"
    )
    broken = ConfirmedSubscriberFactory(email="broken@example.org")
    Subscriber.objects.filter(pk=broken.pk).update(
        email="broken@example.org\r\nBcc: victim2@example.org"
    )
    issue = IssueFactory()

    send(issue)

    assert sink_server.sink.recipients() == {sly.email: 1}
    [message] = sink_server.sink.messages
    assert message["Bcc"] is None
    assert message["X-Evil"] is None
    assert "Sly Bcc: victim@example.org X-Evil: 1" in message["To"]
    failed = issue.deliveries.get(subscriber=broken)
    assert failed.status == Delivery.Status.FAILED
    assert failed.last_error


def test_a_test_email_goes_to_the_given_address_only_and_is_marked_as_a_test(sink_server):
    ConfirmedSubscriberFactory()
    issue = IssueFactory(subject="April news")

    sending.send_test(issue, to_email="editor@example.org")

    assert sink_server.sink.recipients() == {"editor@example.org": 1}
    [message] = sink_server.sink.messages
    assert message["Subject"] == "[Test] April news"
    assert "[subscriber’s name]" in message.get_body(("plain",)).get_content()
    assert not Delivery.objects.exists()
    issue.refresh_from_db()
    assert issue.queued_at is None


@pytest.mark.parametrize("garbage", ["", "not an address", "a@example.org\r\nBcc: b@example.org"])
def test_a_test_email_to_a_malformed_address_is_refused_clearly(sink_server, garbage):
    with pytest.raises(ValidationError):
        sending.send_test(IssueFactory(), to_email=garbage)
    assert sink_server.sink.messages == []


def test_the_preview_has_a_placeholder_greeting_and_a_harmless_unsubscribe_link():
    preview = render_issue(IssueFactory(subject="May news"))

    assert preview.subject == "May news"
    assert "Hello [subscriber’s name]," in preview.text
    assert 'href="#"' in preview.html
    assert "/newsletter/unsubscribe/" not in preview.html + preview.text


def test_progress_counts_every_status_in_one_query(django_assert_num_queries, sink_server):
    ConfirmedSubscriberFactory.create_batch(2)
    issue = IssueFactory()
    sending.queue_issue(issue)  # nothing sent: the commit that starts the tasks never comes

    with django_assert_num_queries(1):
        counts = sending.progress(issue)

    assert counts == {"queued": 2, "sending": 0, "sent": 0, "failed": 0, "skipped": 0}


def test_sendissue_queues_the_issue_and_says_how_many(sink_server, capsys):
    ConfirmedSubscriberFactory.create_batch(2)
    issue = IssueFactory(subject="June news")

    call_command("sendissue", str(issue.pk))

    assert f"Issue {issue.pk} (June news) queued for 2 confirmed subscribers" in (
        capsys.readouterr().out
    )
    assert issue.deliveries.count() == 2

    call_command("sendissue", str(issue.pk))
    assert "already queued" in capsys.readouterr().out
    assert issue.deliveries.count() == 2


@pytest.mark.parametrize("garbage", ["999999", "abc", "-1", "1e3", "99999999999999999999999", "²"])
def test_sendissue_with_an_unknown_id_says_so(garbage):
    with pytest.raises(CommandError, match="no newsletter issue with the id"):
        call_command("sendissue", garbage)


def test_any_email_backend_gets_the_same_message(mailoutbox, send, settings):
    reader = ConfirmedSubscriberFactory(email="ann@example.org", name="Ann")
    issue = IssueFactory(
        subject="July news",
        introduction='<p>Read <a href="/resources/">the library</a> first.</p>',
    )

    send(issue)

    [email] = mailoutbox
    assert email.to == ["Ann <ann@example.org>"]
    assert "Hello Ann," in email.body
    assert f"Read the library ({settings.SITE_URL}/resources/) first." in email.body
    html = email.alternatives[0].content
    assert f'<a href="{settings.SITE_URL}/resources/"' in html
    assert issue.deliveries.get(subscriber=reader).status == Delivery.Status.SENT


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Ann",
        "María Ortega",
        'Zoë "Q" <b>, Jr',
        "Sly\r\nBcc: victim@example.org",
        "TWDATEMARKER TWTEXTUNSUBSCRIBEMARKER",
    ],
)
def test_the_fast_message_equals_the_one_djangos_email_classes_build(name):
    """The workers fill a rendered message's bytes; Django would build the same email."""
    reader = ConfirmedSubscriberFactory(email="reader@example.org", name=name)
    article = ArticleFactory(title="Trafficking & <labour>")
    issue = IssueFactory(subject="Ünïcode news", articles=[article])
    parse = partial(message_from_bytes, policy=policy.default)

    fast = parse(prepared(issue).message_bytes(reader))
    slow = parse(build_issue_email(issue, reader).message().as_bytes(linesep="\r\n"))

    varying = {"Date", "Message-ID", "Content-Type"}  # per message; the MIME boundary
    assert [(key, str(value).strip()) for key, value in fast.items() if key not in varying] == [
        (key, str(value).strip()) for key, value in slow.items() if key not in varying
    ]
    for kind in ("plain", "html"):
        assert fast.get_body((kind,)).get_content() == slow.get_body((kind,)).get_content()


def test_the_sweep_reschedules_itself_until_the_issue_is_finished(
    settings, sink_server, django_capture_on_commit_callbacks
):
    """With a queue that runs nothing by itself: what queuing and each sweep leave queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.NEWSLETTER_SWEEP_SECONDS = 60
    settings.NEWSLETTER_SEND_TASKS = 2
    ConfirmedSubscriberFactory.create_batch(3)
    issue = IssueFactory()
    with django_capture_on_commit_callbacks(execute=True):
        sending.queue_issue(issue)

    def queued() -> list[str]:
        names = [result.task.name for result in default_task_backend.results]
        assert all(result.args == [issue.pk] for result in default_task_backend.results)
        default_task_backend.clear()
        return names

    later = timezone.now() + timedelta(seconds=50)
    assert all(
        result.task.run_after > later
        for result in default_task_backend.results
        if result.task.name == "sweep_deliveries"
    )
    assert queued() == ["sweep_deliveries", "send_deliveries", "send_deliveries"]
    # Nobody has started on the due deliveries: the sweep starts send tasks again.
    assert sending.sweep_deliveries.call(issue.pk) == "sweeping"
    assert queued() == ["sweep_deliveries", "send_deliveries", "send_deliveries"]

    sending.send_deliveries.call(issue.pk)
    queued()
    assert sending.sweep_deliveries.call(issue.pk) == "finished"
    assert queued() == []
    assert sink_server.sink.recipients().total() == 3
