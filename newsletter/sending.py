"""Sending an issue: the delivery rows are the outbox, background tasks drain them.

`queue_issue` writes one Delivery per confirmed subscriber in one statement and starts
the tasks. A send task claims a batch of due rows (`FOR UPDATE SKIP LOCKED`), marks them
"sending" with a lease, commits, then sends them over one SMTP connection, recording each
row right after its message went out: a worker that dies costs at most the one message
it had in flight. django-tasks-db neither retries a failed task nor re-runs one whose
worker died, so the recovery is ours: a claim also takes rows whose lease ran out, and a
sweep task, rescheduled every NEWSLETTER_SWEEP_SECONDS until the issue is finished, hands
expired leases back and starts send tasks when due work has nobody working on it.

The machinery is shared: an `Outbox` names a table of delivery rows, the column that
scopes them (an issue; a digest run, newsletter/digests.py), the tasks that drain them and
how one row becomes a message. `ISSUES` is the newsletter's outbox. Only confirmed
subscribers who want the mailing get it: `Outbox.wanted` is checked again just before
each message goes out, so that an unsubscribe or a changed preference a second ago wins.

Every time comparison uses the application's clock (timezone.now), not the database's,
so that every process agrees with itself and the tests can move the clock.
"""

import contextlib
import logging
import smtplib
import threading
import time
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks.base import Task

from . import messages
from .models import Delivery, Issue, Subscriber

logger = logging.getLogger(__name__)

# A send task gives its worker back after this long (and queues its successor), so that
# other tasks, such as confirmation emails, are not kept waiting behind a large issue.
SEND_TASK_SECONDS = 120
SWEEP_PRIORITY = 20  # before queued send tasks: the sweep is short and keeps them honest
SEND_PRIORITY = 0

DELIVERY = Delivery._meta.db_table
SUBSCRIBER = Subscriber._meta.db_table
# Every outbox table has these statuses (and Delivery's columns for the work itself).
QUEUED, SENDING, SENT, FAILED, SKIPPED = (
    Delivery.Status.QUEUED,
    Delivery.Status.SENDING,
    Delivery.Status.SENT,
    Delivery.Status.FAILED,
    Delivery.Status.SKIPPED,
)


class Outbox(ABC):
    """Delivery rows of one kind, scoped by a column, and the tasks that send them.

    A subclass names the model, the scope column and the two tasks, and says who still
    wants the mail and what message a row becomes.
    """

    model: type[models.Model]
    scope: str  # the column naming the issue, run... a row belongs to

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @abstractmethod
    def send_task(self) -> Task: ...

    @abstractmethod
    def sweep_task(self) -> Task: ...

    @abstractmethod
    def load(self, scope_id: int) -> Any:
        """Return what the rows of scope_id are sent from (None: nothing to send)."""

    def wanted(self, subscriber: Subscriber) -> bool:
        """Say whether subscriber, as they are just before the send, still gets this mail."""
        return subscriber.status == Subscriber.Status.CONFIRMED

    def prepare_batch(self, scope: Any, delivery_ids: list[int]) -> dict[int, Any]:
        """Return what each row's message needs beyond the scope, read once per batch."""
        return {}

    @abstractmethod
    def message(
        self, scope: Any, row: Any, subscriber: Subscriber, *, raw: bool, mail
    ) -> bytes | EmailMessage | None:
        """Return the row's email (as SMTP DATA if raw and possible); None: nothing to send.

        Raises ValueError for an address or header that cannot make a message.
        """

    def rows(self, scope_id: int) -> models.QuerySet:
        return self.model.objects.filter(**{self.scope: scope_id})

    def progress(self, scope_id: int) -> dict[str, int]:
        """Return the number of the scope's rows in each status, every status present."""
        counts = dict.fromkeys(Delivery.Status.values, 0)
        rows = self.rows(scope_id).values_list("status").annotate(Count("pk"))
        counts.update(rows.order_by())
        return counts

    def start(self, scope_id: int) -> None:
        """Start the send tasks and the sweep of a scope that still has work."""
        if not self.rows(scope_id).filter(status__in=[QUEUED, SENDING]).exists():
            return
        self.schedule_sweep(scope_id)
        self.start_send_tasks(scope_id)

    def start_send_tasks(self, scope_id: int) -> None:
        for _number in range(settings.NEWSLETTER_SEND_TASKS):
            self.send_task().enqueue(scope_id)
            # Run in-process (the immediate backend, in tests), the first task did it all.
            if not self.has_due_work(scope_id, timezone.now()):
                break

    def schedule_sweep(self, scope_id: int) -> None:
        sweep_task = self.sweep_task()
        if not sweep_task.get_backend().supports_defer:
            return  # an in-process backend has no later: its tests call sweep() themselves
        run_after = timezone.now() + timedelta(seconds=settings.NEWSLETTER_SWEEP_SECONDS)
        sweep_task.using(run_after=run_after).enqueue(scope_id)

    def has_due_work(self, scope_id: int, now: datetime) -> bool:
        return (
            self.rows(scope_id)
            .filter(
                Q(status=QUEUED, next_attempt_at__lte=now)
                | Q(status=SENDING, lease_expires_at__lte=now)
            )
            .exists()
        )

    def send(self, scope_id: int) -> dict[str, int]:
        """Send due rows of the scope in batches until none is left (or time is up).

        NEWSLETTER_SEND_THREADS senders work side by side, each with its own database and
        SMTP connection, so that one waits for the mail server while another works.
        """
        deadline = time.monotonic() + SEND_TASK_SECONDS
        senders = [Sender(scope_id, self) for _ in range(settings.NEWSLETTER_SEND_THREADS)]
        threads = [
            threading.Thread(target=_run_in_thread, args=(sender, deadline), daemon=True)
            for sender in senders[1:]
        ]
        for thread in threads:
            thread.start()
        senders[0].run(deadline=deadline)
        for thread in threads:
            thread.join()
        if any(sender.out_of_time for sender in senders) and self.has_due_work(
            scope_id, timezone.now()
        ):
            self.send_task().enqueue(scope_id)
        return {key: sum(sender.counts[key] for sender in senders) for key in senders[0].counts}

    def sweep_and_reschedule(self, scope_id: int) -> str:
        """Recover what dead workers left behind; reschedule until the scope is done."""
        if not self.rows(scope_id).filter(status__in=[QUEUED, SENDING]).exists():
            return "finished"
        # Scheduled first: should this worker die now, the next sweep is already queued.
        self.schedule_sweep(scope_id)
        self.sweep(scope_id)
        return "sweeping"

    def sweep(self, scope_id: int) -> int:
        """Hand expired leases back; start send tasks if due work has no live worker on it.

        Returns the number of leases handed back.
        """
        now = timezone.now()
        expired = (
            self.rows(scope_id)
            .filter(status=SENDING, lease_expires_at__lte=now)
            .update(status=QUEUED, lease_expires_at=None)
        )
        if expired:
            logger.warning(
                "%s %s: %s deliveries of a lost worker queued again.", self.scope, scope_id, expired
            )
        live_lease = self.rows(scope_id).filter(status=SENDING, lease_expires_at__gt=now).exists()
        if not live_lease and self.has_due_work(scope_id, now):
            self.start_send_tasks(scope_id)
        return expired


class IssueOutbox(Outbox):
    """Newsletter issues: one rendering per issue, each copy filled in per subscriber."""

    model = Delivery
    scope = "issue_id"

    def send_task(self) -> Task:
        return send_deliveries

    def sweep_task(self) -> Task:
        return sweep_deliveries

    def load(self, scope_id: int) -> Issue | None:
        return Issue.objects.filter(pk=scope_id).first()

    def wanted(self, subscriber: Subscriber) -> bool:
        return super().wanted(subscriber) and subscriber.wants_newsletter

    def message(self, scope: Issue, row, subscriber: Subscriber, *, raw: bool, mail):
        if raw:
            data = messages.prepared(scope).message_bytes(subscriber)
            if data is not None:
                return data
        email = messages.build_issue_email(scope, subscriber, connection=mail)
        email.message()  # a malformed address or header fails here, not mid-SMTP
        return email


ISSUES = IssueOutbox()


# Queuing -----------------------------------------------------------------------------


def queue_issue(issue: Issue, *, queued_by=None) -> int:
    """Queue issue for every confirmed subscriber who wants the newsletter and start sending.

    Returns the rows created. The recipients are those confirmed when the issue is first
    queued. Queuing again creates nothing and sends nothing twice; it only restarts the
    tasks if work remains.
    """
    now = timezone.now()
    with transaction.atomic():
        # The lock makes a second "send" wait for the first and then find it done.
        locked = Issue.objects.select_for_update().only("queued_at").get(pk=issue.pk)
        created = 0
        if locked.queued_at is None:
            Issue.objects.filter(pk=issue.pk).update(queued_at=now, queued_by=queued_by)
            issue.queued_at, issue.queued_by = now, queued_by
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {DELIVERY}
                        (issue_id, subscriber_id, status, attempts, next_attempt_at,
                         last_error, created_at)
                    SELECT %s, id, %s, 0, %s, '', %s FROM {SUBSCRIBER}
                    WHERE status = %s AND wants_newsletter
                    ON CONFLICT DO NOTHING
                    """,
                    [issue.pk, QUEUED, now, now, Subscriber.Status.CONFIRMED],
                )
                created = cursor.rowcount
        transaction.on_commit(lambda: start_sending(issue.pk))
    logger.info("Issue %s queued: %s deliveries created.", issue.pk, created)
    return created


def start_sending(issue_id: int) -> None:
    """Start the send tasks and the sweep of an issue that still has work."""
    ISSUES.start(issue_id)


def progress(issue: Issue) -> dict[str, int]:
    """Return the number of the issue's deliveries in each status, every status present."""
    return ISSUES.progress(issue.pk)


def send_test(issue: Issue, *, to_email: str) -> None:
    """Send one copy of issue to to_email now, marked as a test; no delivery is recorded."""
    to_email = to_email.strip()
    validate_email(to_email)
    if "\n" in to_email or "\r" in to_email:
        raise ValidationError(_("Enter a valid email address."), code="invalid")
    messages.build_test_email(issue, to_email).send()


# The tasks ---------------------------------------------------------------------------


@task(priority=SEND_PRIORITY)
def send_deliveries(issue_id: int) -> dict[str, int]:
    """Send due deliveries of the issue in batches until none is left (or time is up)."""
    return ISSUES.send(issue_id)


def _run_in_thread(sender: "Sender", deadline: float) -> None:
    try:
        sender.run(deadline=deadline)
    except Exception:
        # Its rows come back when their lease ends; the other senders carry on.
        logger.exception("A sender of %s %s stopped.", sender.outbox.scope, sender.scope_id)
    finally:
        connection.close()  # this thread's own database connection


@task(priority=SWEEP_PRIORITY)
def sweep_deliveries(issue_id: int) -> str:
    """Recover what dead workers left behind; reschedule itself until the issue is done."""
    return ISSUES.sweep_and_reschedule(issue_id)


def sweep(issue_id: int) -> int:
    """Hand the issue's expired leases back and restart its sending if needed."""
    return ISSUES.sweep(issue_id)


# Sending -----------------------------------------------------------------------------


class ServerUnavailable(Exception):
    """The SMTP server cannot be reached: nothing more is sent until a later attempt."""


class Sender:
    """One send task: claims batches and sends each over one SMTP connection.

    Per message it makes one database round trip: the previous message's record and the
    next recipient's fresh state travel together, before the next message goes out.
    """

    def __init__(self, scope_id: int, outbox: Outbox = ISSUES) -> None:
        self.scope_id = scope_id
        self.outbox = outbox
        self.table = outbox.table
        self.lease = timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)
        self.counts = {"sent": 0, "skipped": 0, "failed": 0, "retry": 0}
        self.out_of_time = False
        self.deferred: list[tuple[str, list]] = []
        self.from_address = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")

    def run(self, *, deadline: float) -> None:
        scope = self.outbox.load(self.scope_id)
        if scope is None:
            return
        mail = get_connection()
        # Half the time of a send went into waiting for each record's commit to reach the
        # disk. Without that wait, a crash of PostgreSQL itself (not of a worker) can
        # forget the last fraction of a second of records: those messages are sent again,
        # nobody is missed. A worker killed mid-send still repeats one message at most.
        self.execute("SET synchronous_commit TO OFF", [])
        try:
            while True:
                if time.monotonic() > deadline:
                    self.out_of_time = True
                    return
                batch = self.claim()
                if not batch:
                    return
                try:
                    self.send_batch(scope, batch, mail)
                except ServerUnavailable:
                    return  # the sweep starts a new task once the rows are due again
                finally:
                    self.flush()
        finally:
            _close(mail)
            with contextlib.suppress(DatabaseError):  # a lost connection resets itself
                self.execute("RESET synchronous_commit", [])

    def execute(self, sql: str, params: list) -> list[tuple]:
        """Run the deferred records, then sql, in one round trip; return sql's rows."""
        if self.deferred:
            sql = ";".join([*(statement for statement, _ in self.deferred), sql])
            params = [value for _, values in self.deferred for value in values] + params
            self.deferred = []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def flush(self) -> None:
        if self.deferred:
            self.execute("SELECT 1", [])

    def claim(self) -> list[tuple[int, int, int]]:
        """Take up to a batch of due rows for this worker; return (id, subscriber, attempts)."""
        now = timezone.now()
        rows = self.execute(
            f"""
            WITH due AS (
                SELECT id FROM {self.table}
                WHERE {self.outbox.scope} = %s AND status IN (%s, %s)
                  AND ((status = %s AND next_attempt_at <= %s)
                       OR (status = %s AND lease_expires_at <= %s))
                ORDER BY next_attempt_at
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            UPDATE {self.table} AS delivery
            SET status = %s, lease_expires_at = %s, attempts = delivery.attempts + 1
            FROM due WHERE delivery.id = due.id
            RETURNING delivery.id, delivery.subscriber_id, delivery.attempts
            """,
            [
                self.scope_id, QUEUED, SENDING,
                QUEUED, now,
                SENDING, now,
                settings.NEWSLETTER_BATCH_SIZE,
                SENDING, now + self.lease,
            ],
        )  # fmt: skip
        return sorted(rows)

    def send_batch(self, scope, batch: list[tuple[int, int, int]], mail) -> None:
        lease_renewed = time.monotonic()
        rows = self.outbox.prepare_batch(scope, [row[0] for row in batch])
        for position, (delivery_id, subscriber_id, attempts) in enumerate(batch):
            if time.monotonic() - lease_renewed > self.lease.total_seconds() / 3:
                self.renew_lease([row[0] for row in batch[position:]])
                lease_renewed = time.monotonic()
            try:
                self.send_one(
                    scope, rows.get(delivery_id), delivery_id, subscriber_id, attempts, mail
                )
            except ServerUnavailable as error:
                self.release([row[0] for row in batch[position:]], str(error))
                raise

    def recipient(self, subscriber_id: int) -> Subscriber | None:
        rows = self.execute(
            "SELECT email, name, status, wants_newsletter, wants_resource_digest, "
            f"wants_news_digest FROM {SUBSCRIBER} WHERE id = %s",
            [subscriber_id],
        )
        if not rows:
            return None
        email, name, status, newsletter, resource_digest, news_digest = rows[0]
        return Subscriber(
            pk=subscriber_id,
            email=email,
            name=name,
            status=status,
            wants_newsletter=newsletter,
            wants_resource_digest=resource_digest,
            wants_news_digest=news_digest,
        )

    def send_one(self, scope, row, delivery_id: int, subscriber_id: int, attempts: int, mail):
        # Read just before sending: an unsubscribe a second ago wins.
        subscriber = self.recipient(subscriber_id)
        if subscriber is None or not self.outbox.wanted(subscriber):
            self.record(delivery_id, SKIPPED)
            return
        try:
            message = self.outbox.message(
                scope, row, subscriber, raw=isinstance(mail, SMTPBackend), mail=mail
            )
        except ValueError as error:
            self.record(delivery_id, FAILED, _("Not sent: %(error)s") % {"error": error})
            return
        if message is None:  # nothing left to say to this subscriber
            self.record(delivery_id, SKIPPED)
            return
        try:
            mail.open()
        except OSError as error:
            raise ServerUnavailable(
                _("The mail server could not be reached: %(error)s") % {"error": error}
            ) from error
        try:
            if isinstance(message, bytes):
                mail.connection.sendmail(self.from_address, [subscriber.email], message)
            else:
                mail.send_messages([message])
        except smtplib.SMTPRecipientsRefused as error:
            code, answer = next(iter(error.recipients.values()), (None, b""))
            self.failed(delivery_id, attempts, code, answer)
        except smtplib.SMTPResponseException as error:
            self.failed(delivery_id, attempts, error.smtp_code, error.smtp_error)
            if error.smtp_code == 421:  # the server is closing the connection
                _close(mail)
        except (smtplib.SMTPException, OSError) as error:
            # The connection broke mid-message: whether it arrived is unknown, try again.
            self.failed(delivery_id, attempts, None, str(error) or type(error).__name__)
            _close(mail)
        else:
            self.record(delivery_id, SENT)

    def failed(self, delivery_id: int, attempts: int, code: int | None, answer) -> None:
        if isinstance(answer, bytes):
            answer = answer.decode("utf-8", "replace")
        error = f"{code} {answer}" if code else str(answer)
        permanent = code is not None and 500 <= code < 600
        if permanent or attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
            self.record(delivery_id, FAILED, error)
            return
        delay = settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        self.deferred.append(
            (
                f"UPDATE {self.table} SET status = %s, lease_expires_at = NULL, "
                "next_attempt_at = %s, last_error = %s WHERE id = %s AND status = %s",
                [QUEUED, timezone.now() + timedelta(seconds=delay), error, delivery_id, SENDING],
            )
        )
        self.counts["retry"] += 1

    def record(self, delivery_id: int, status: str, error: str = "") -> None:
        """Record a row's outcome with the next query (the next recipient's lookup)."""
        self.deferred.append(
            (
                f"UPDATE {self.table} SET status = %s, lease_expires_at = NULL, "
                "last_error = %s, sent_at = %s WHERE id = %s AND status = %s",
                [status, error, timezone.now() if status == SENT else None, delivery_id, SENDING],
            )
        )
        self.counts[status] += 1

    def renew_lease(self, delivery_ids: list[int]) -> None:
        self.execute(
            f"UPDATE {self.table} SET lease_expires_at = %s WHERE id = ANY(%s) AND status = %s",
            [timezone.now() + self.lease, delivery_ids, SENDING],
        )

    def release(self, delivery_ids: list[int], error: str) -> None:
        """Give rows back untried: the server was down, which is no fault of theirs."""
        later = timezone.now() + timedelta(seconds=settings.NEWSLETTER_RETRY_BASE_SECONDS)
        self.execute(
            f"UPDATE {self.table} SET status = %s, lease_expires_at = NULL, "
            "next_attempt_at = %s, last_error = %s, attempts = GREATEST(attempts - 1, 0) "
            "WHERE id = ANY(%s) AND status = %s",
            [QUEUED, later, error, delivery_ids, SENDING],
        )
        self.counts["retry"] += len(delivery_ids)


def _close(mail) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        mail.close()
    if hasattr(mail, "connection"):
        mail.connection = None  # a broken socket: open() makes a new one
