"""Digests: matching alerts in the database, once per period, sent into a real SMTP sink."""

import random
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from functools import partial

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import default_task_backend

from newsletter import digests, services
from newsletter.apps import start_digest_checks
from newsletter.emails import list_unsubscribe_headers
from newsletter.messages import greeting_for
from newsletter.models import DigestDelivery, DigestRun, DigestSchedule, Subscriber
from newsletter.tokens import preferences_url
from resources.filters import LibraryQuery
from resources.models import Country
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    ConfirmedSubscriberFactory,
    CountryFactory,
    ResourceFactory,
    SubscriberFactory,
)

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # 02:00 in Brussels: week 11 began
MONDAY_AFTER = NEXT_MONDAY + timedelta(days=7)


@pytest.fixture
def wednesday():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def run_digests(django_capture_on_commit_callbacks):
    """Run the digest step at `at` and what its commit starts: the send tasks, in-process."""

    def run(at: datetime) -> list[tuple[DigestRun, int]]:
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return digests.send_digests()

    return run


def alert(email: str, params: str, **subscriber_fields):
    """Save and confirm an alert through the services, as the library page and link do."""
    query = LibraryQuery.from_params(QueryDict(params))
    saved = services.request_alert(email=email, query=query, consent_text="I agree")
    saved = services.confirm_alert(alert=saved)
    if subscriber_fields:
        Subscriber.objects.filter(pk=saved.subscriber_id).update(**subscriber_fields)
    return saved


def published(**kwargs):
    return ResourceFactory(published_at=timezone.now() - timedelta(minutes=5), **kwargs)


def texts(message) -> tuple[str, str]:
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def test_the_digest_names_the_matching_resource_and_not_the_other_and_comes_once(
    sink_server, wednesday, run_digests, settings
):
    belgium, france = CountryFactory(slug="belgium"), CountryFactory(slug="france")
    alert("ann@example.org", "country=belgium")
    match = published(title="Forced labour in Belgian farms", countries=[belgium])
    published(title="Seasonal work in France", countries=[france])

    run_digests(NEXT_MONDAY)

    [message] = sink_server.sink.messages
    text, html = texts(message)
    assert message["To"] == "ann@example.org"
    assert message["Subject"] == "Your TraffickingWatch digest: 1 new resource"
    for part in (text, html):
        assert "Forced labour in Belgian farms" in part
        assert settings.SITE_URL + match.get_absolute_url() in part
        assert "Seasonal work in France" not in part
        assert f"{settings.SITE_URL}/resources/?country=belgium" in part
        assert f"{settings.SITE_URL}/newsletter/preferences/" in part
    assert message["List-Unsubscribe"].strip()[1:-1] in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert run_digests(NEXT_MONDAY + timedelta(hours=5))[0][1] == 0
    assert len(sink_server.sink.messages) == 1
    assert DigestDelivery.objects.get().status == DigestDelivery.Status.SENT


def test_the_next_digest_starts_where_the_last_window_ended(sink_server, wednesday, run_digests):
    CountryFactory(slug="belgium")
    alert("ann@example.org", "country=belgium")
    published(title="First report", countries=Country.objects.all())
    run_digests(NEXT_MONDAY)
    with time_machine.travel(NEXT_MONDAY + timedelta(days=2), tick=False):
        published(title="Second report", countries=Country.objects.all())

    run_digests(MONDAY_AFTER)

    first, second = sink_server.sink.messages
    assert "First report" in texts(first)[0]
    assert "Second report" in texts(second)[0]
    assert "First report" not in texts(second)[0]
    windows = DigestDelivery.objects.order_by("until").values_list("since", "until")
    assert windows[1][0] == windows[0][1]


def test_nothing_matched_means_no_row_and_no_email(sink_server, wednesday, run_digests):
    CountryFactory(slug="belgium")
    alert("ann@example.org", "country=belgium")
    published(title="Elsewhere", countries=[CountryFactory(slug="peru")])

    [(weekly, created), _monthly] = run_digests(NEXT_MONDAY)

    assert created == 0
    assert weekly.subscribers_matched == 0
    assert sink_server.sink.messages == []


def test_search_words_match_resources_and_articles_in_the_database(
    sink_server, wednesday, run_digests
):
    alert("ann@example.org", "q=fishing+vessels")
    published(title="Forced labour on fishing vessels")
    published(title="Domestic servitude")
    ArticleFactory(title="Fishing vessels inspected", published_at=timezone.now())

    run_digests(NEXT_MONDAY)

    [message] = sink_server.sink.messages
    text = texts(message)[0]
    assert "Forced labour on fishing vessels" in text
    assert "Fishing vessels inspected" in text
    assert "Domestic servitude" not in text
    assert message["Subject"] == "Your TraffickingWatch digest: 1 new resource, 1 news article"


def test_facets_combine_with_and_and_values_with_or(sink_server, wednesday, run_digests):
    guides, reports = CategoryFactory(slug="guides"), CategoryFactory(slug="reports")
    be, fr = CountryFactory(slug="belgium"), CountryFactory(slug="france")
    alert("ann@example.org", "category=guides&country=belgium&country=france&year_from=2019")
    published(title="Belgian guide", category=guides, countries=[be], year=2020)
    published(title="French guide", category=guides, countries=[fr], year=2021)
    published(title="Belgian report", category=reports, countries=[be], year=2020)
    published(title="Old guide", category=guides, countries=[be], year=2010)

    run_digests(NEXT_MONDAY)

    text = texts(sink_server.sink.messages[0])[0]
    assert "Belgian guide" in text and "French guide" in text
    assert "Belgian report" not in text and "Old guide" not in text


def test_without_alerts_the_resource_digest_lists_every_new_resource_and_news_the_articles(
    sink_server, wednesday, run_digests
):
    ConfirmedSubscriberFactory(
        email="all@example.org", wants_resource_digest=True, wants_news_digest=True
    )
    published(title="Any new report")
    ArticleFactory(title="Today’s news", published_at=timezone.now())

    run_digests(NEXT_MONDAY)

    [message] = sink_server.sink.messages
    text = texts(message)[0]
    assert "Any new report" in text
    assert "Today’s news" in text


def test_only_confirmed_subscribers_with_a_digest_wanted_and_active_alerts_get_one(
    sink_server, wednesday, run_digests
):
    CountryFactory(slug="belgium")
    alert("off@example.org", "country=belgium", wants_resource_digest=False)
    alert("gone@example.org", "country=belgium", status=Subscriber.Status.UNSUBSCRIBED)
    query = LibraryQuery.from_params(QueryDict("country=belgium"))
    services.request_alert(email="unconfirmed@example.org", query=query, consent_text="ok")
    SubscriberFactory(email="pending@example.org", wants_resource_digest=True)
    published(countries=Country.objects.all())

    run_digests(NEXT_MONDAY)

    assert sink_server.sink.recipients() == {}
    assert not DigestDelivery.objects.exists()


def test_the_monthly_digest_goes_out_at_the_start_of_the_month(sink_server, wednesday, run_digests):
    CountryFactory(slug="belgium")
    alert("monthly@example.org", "country=belgium", digest_frequency="monthly")
    alert("weekly@example.org", "country=belgium")
    run_digests(datetime(2026, 3, 1, 0, 30, tzinfo=UTC))  # March's, before anything new
    published(countries=Country.objects.all())

    run_digests(NEXT_MONDAY)
    assert sink_server.sink.recipients() == {"weekly@example.org": 1}
    run_digests(datetime(2026, 4, 1, 0, 30, tzinfo=UTC))

    assert sink_server.sink.recipients() == {"weekly@example.org": 1, "monthly@example.org": 1}
    april = DigestRun.objects.filter(frequency="monthly").latest("period_start")
    assert april.period_start == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # Brussels midnight


def test_who_unsubscribes_before_the_send_is_skipped(
    sink_server, wednesday, django_capture_on_commit_callbacks
):
    CountryFactory(slug="belgium")
    saved = alert("ann@example.org", "country=belgium")
    published(countries=Country.objects.all())
    with time_machine.travel(NEXT_MONDAY, tick=False):
        with django_capture_on_commit_callbacks() as start_tasks:
            [(run, created), _monthly] = digests.send_digests()
        assert created == 1
        Subscriber.objects.filter(pk=saved.subscriber_id).update(
            status=Subscriber.Status.UNSUBSCRIBED
        )
        for callback in start_tasks:
            callback()

    assert sink_server.sink.messages == []
    assert digests.figures(run)["skipped"] == 1


def test_titles_are_escaped_in_the_html(sink_server, wednesday, run_digests):
    ConfirmedSubscriberFactory(email="ann@example.org", wants_resource_digest=True)
    published(title="<script>alert(1)</script> & more")

    run_digests(NEXT_MONDAY)

    html = texts(sink_server.sink.messages[0])[1]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_a_temporary_refusal_is_retried_later(sink_server, wednesday, run_digests):
    ConfirmedSubscriberFactory(email="busy@example.org", wants_resource_digest=True)
    published()
    sink_server.sink.answers["busy@example.org"] = "451 4.3.0 Try again later"

    [(run, _created), _monthly] = run_digests(NEXT_MONDAY)
    assert digests.figures(run)["queued"] == 1

    del sink_server.sink.answers["busy@example.org"]
    with time_machine.travel(NEXT_MONDAY + timedelta(hours=1), tick=False):
        digests.DIGESTS.sweep(run.pk)

    assert sink_server.sink.recipients() == {"busy@example.org": 1}
    assert digests.figures(run)["sent"] == 1


def test_senddigests_queues_the_period_once_and_says_so(sink_server, wednesday, capsys):
    ConfirmedSubscriberFactory(email="ann@example.org", wants_resource_digest=True)
    published()

    with time_machine.travel(NEXT_MONDAY, tick=False):
        call_command("senddigests")
        first = capsys.readouterr().out
        call_command("senddigests")
        second = capsys.readouterr().out

    assert "1 deliveries queued now" in first
    assert "0 deliveries queued now; in all 1 subscribers matched" in second
    assert DigestDelivery.objects.count() == 1


def test_the_periodic_check_is_one_chain_however_often_it_is_bootstrapped(settings, wednesday):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.DIGEST_CHECK_SECONDS = 3600
    default_task_backend.clear()

    assert digests.ensure_schedule() is True
    assert digests.ensure_schedule() is False
    [first] = default_task_backend.results
    assert first.task.name == "check_digests"
    default_task_backend.clear()

    assert digests.check_digests.call("2020-01-01T00:00:00+00:00") == "superseded"
    assert default_task_backend.results == []
    assert digests.check_digests.call(*first.args) == "checked"
    [following] = default_task_backend.results
    assert following.task.run_after == timezone.now() + timedelta(hours=1)
    assert DigestSchedule.objects.get().next_check_at == following.task.run_after
    assert DigestRun.objects.count() == 2  # the week's and the month's, checked once each


@pytest.mark.parametrize(
    "name", ["", "Ann", "María Ortega", 'Zoë "Q" <b>, Jr', "Sly\r\nBcc: x@y.org"]
)
def test_the_fast_digest_bytes_equal_the_message_djangos_email_classes_build(name, wednesday):
    """The workers fill a skeleton's bytes; Django would build the same email."""
    reader = ConfirmedSubscriberFactory(
        email="reader@example.org", name=name, wants_resource_digest=True, wants_news_digest=True
    )
    resource = published(title="Trafficking & <labour> ünïcode " + "long " * 90)
    article = ArticleFactory(title="News ✓", published_at=timezone.now())
    cache: dict = {}
    [resources, articles] = digests.items({}, {resource.pk}, {article.pk})
    content = digests.DigestContent(
        sections=[
            digests.section(cache, None, list(resources.values()), []),
            digests.section(cache, None, [], list(articles.values()), news=True),
        ]
    )
    message = digests.digest_message(content, reader)
    parse = partial(message_from_bytes, policy=policy.default)

    fast = parse(message.as_bytes())
    slow = parse(message.email().message().as_bytes(linesep="\r\n"))

    varying = {"Date", "Message-ID", "Content-Type"}  # per message; the MIME boundary
    assert sorted((k, str(v).strip()) for k, v in fast.items() if k not in varying) == sorted(
        (k, str(v).strip()) for k, v in slow.items() if k not in varying
    )
    for kind in ("plain", "html"):
        assert fast.get_body((kind,)).get_content() == slow.get_body((kind,)).get_content()
    assert "Trafficking &amp; &lt;labour&gt;" in fast.get_body(("html",)).get_content()


@pytest.mark.parametrize(
    "name", ["", "Ann", "María Ortega", 'Zoë "Q" <b>, Jr', "Sly\r\nBcc: x@y.org"]
)
def test_a_digest_joined_from_pieces_is_what_the_templates_render(name, wednesday):
    """Frame and sections are rendered once and joined per subscriber: same text, same HTML."""
    reader = ConfirmedSubscriberFactory(
        email="reader@example.org", name=name, wants_resource_digest=True, wants_news_digest=True
    )
    resource = published(title="Trafficking & <labour>\r\nünïcode")
    article = ArticleFactory(title="News ✓ & more", published_at=timezone.now())
    [resources, articles] = digests.items({}, {resource.pk}, {article.pk})
    content = digests.DigestContent(
        sections=[
            digests.section({}, None, list(resources.values()), []),
            digests.section({}, None, [], list(articles.values()), news=True),
        ]
    )
    message = digests.digest_message(content, reader)
    headers = list_unsubscribe_headers(reader)
    context = {
        "subject": message.subject,
        "greeting": greeting_for(reader),
        "sections": content.sections,
        "preferences_url": preferences_url(reader),
        "unsubscribe_url": headers["List-Unsubscribe"][1:-1],
        "site_name": django_settings.SITE_NAME,
        "site_url": django_settings.SITE_URL,
    }

    assert message.text == render_to_string("newsletter/digest/digest.txt", context)
    assert message.html == render_to_string("newsletter/digest/digest.html", context)
    assert b"Trafficking &amp; &lt;labour&gt;" in message.as_bytes()


def test_joined_pieces_measure_their_lines_as_the_whole_text_would():
    """The longest line of a digest is worked out from its pieces' lines, across joins."""
    draw = random.Random(8)
    for _attempt in range(500):
        texts = [
            "".join(draw.choice(["a", "é", "\n", "\r\n", "\r", "bb"]) for _ in range(8))
            for _ in range(draw.randrange(1, 6))
        ]
        pieces = [digests.Piece.of(text) for text in texts]
        whole = digests.joined([digests.Piece.of("".join(texts))])
        lines = digests.crlf("".join(texts)).encode().split(b"\r\n")
        assert whole[1:] == (len(lines[0]), max(map(len, lines)), len(lines[-1]))
        if all(not text.endswith("\r") for text in texts[:-1]):
            assert digests.joined(pieces) == whole
        else:  # a CR ending a piece and a LF starting the next are one break, joined
            assert digests.joined(pieces) is None


def test_the_send_threads_of_a_worker_share_the_rendered_sections(
    sink_server, wednesday, run_digests
):
    ConfirmedSubscriberFactory(
        wants_resource_digest=True, digest_frequency=Subscriber.Frequency.WEEKLY
    )
    published(title="Shared")

    [(weekly, created), _monthly] = run_digests(NEXT_MONDAY)

    assert created == 1
    assert len(sink_server.sink.messages) == 1
    again = DigestRun.objects.get(pk=weekly.pk)  # as another send thread or task loads it
    assert digests.run_cache(again) is digests.run_cache(weekly)
    assert len(digests.run_cache(again)["sections"]) == 1


def test_migrate_starts_the_periodic_check_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()

    start_digest_checks(using="default")
    start_digest_checks(using="default")

    assert [result.task.name for result in default_task_backend.results] == ["check_digests"]


def test_migrating_the_newsletter_before_the_task_queue_schedules_nothing_yet(settings):
    # `migrate newsletter` into a new database runs before the task queue's own tables
    # exist: the check is scheduled by the full migrate that follows, and nothing fails.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with connection.cursor() as cursor:  # DDL is transactional: the test's rollback undoes it
        cursor.execute("ALTER TABLE django_tasks_database_dbtaskresult RENAME TO not_yet")

    start_digest_checks(using="default")

    assert not DigestSchedule.objects.exists()
