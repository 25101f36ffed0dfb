"""The subscriber workflows: subscribe, confirm, ask for a new link, unsubscribe, erase
(STYLE.md "Where logic lives")."""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from . import tasks
from .models import Subscriber


def _queue_confirmation_email(subscriber: Subscriber) -> None:
    # After the commit, so the worker never looks for a row a rollback took back. robust: a
    # queue that cannot take the task is logged instead of turning a stored sign-up into a
    # 500; signing up again sends a fresh link.
    # A lambda, not functools.partial: robust=True logs the callback's __qualname__.
    subscriber_id = subscriber.pk
    transaction.on_commit(lambda: tasks.send_confirmation_email.enqueue(subscriber_id), robust=True)


@transaction.atomic
def subscribe(
    *, email: str, consent_text: str, name: str = "", source_page: str = ""
) -> Subscriber:
    """Record a sign-up and queue the answer by email, whatever state the address is in.

    New, pending and unsubscribed addresses become pending with this consent and get a
    confirmation link. A confirmed address keeps everything as it was (a stranger must not
    rewrite a confirmed subscriber) and gets a short "you are already subscribed" note.
    """
    email = Subscriber.normalize_email(email)
    now = timezone.now()
    created = False
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is None:
        try:
            # A savepoint: a concurrent sign-up for the same address may win the insert.
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email,
                    name=name,
                    consent_text=consent_text,
                    consented_at=now,
                    source_page=source_page,
                )
            created = True
        except IntegrityError:
            subscriber = Subscriber.objects.select_for_update().get(email=email)

    if not created and subscriber.status != Subscriber.Status.CONFIRMED:
        # Pending or unsubscribed: signing up again goes through confirmation again.
        subscriber.status = Subscriber.Status.PENDING
        subscriber.name = name or subscriber.name
        subscriber.consent_text = consent_text
        subscriber.consented_at = now
        subscriber.source_page = source_page
        subscriber.save(
            update_fields=[
                "status",
                "name",
                "consent_text",
                "consented_at",
                "source_page",
                "updated_at",
            ]
        )
    _queue_confirmation_email(subscriber)
    return subscriber


@transaction.atomic
def confirm_subscription(*, subscriber: Subscriber) -> Subscriber:
    """Confirm a pending subscriber; a confirmed one stays as it is (confirming is idempotent)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at", "updated_at"])
    return subscriber


@transaction.atomic
def request_new_confirmation(*, subscriber: Subscriber) -> None:
    """Send a pending subscriber a fresh confirmation link (theirs has expired)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.PENDING:
        _queue_confirmation_email(subscriber)


@transaction.atomic
def unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Unsubscribe at once, pending or confirmed; unsubscribing again changes nothing.

    The row lock makes it take effect before the next message: a sender reading the
    status waits for this commit.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    return subscriber


@transaction.atomic
def erase_subscribers(*, subscribers: QuerySet[Subscriber]) -> int:
    """Delete subscribers so that their address is gone, not hidden; return how many.

    Their deliveries go with them (on_delete=CASCADE). The admin's history keeps its
    entries, for accountability, but titled by id: Django titles them with str(), the
    address.
    """
    ids = list(subscribers.values_list("pk", flat=True))
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Subscriber),
        object_id__in=[str(pk) for pk in ids],
    ).update(object_repr=Concat(Value("deleted subscriber #"), F("object_id")))
    _, deleted = Subscriber.objects.filter(pk__in=ids).delete()
    return deleted.get(Subscriber._meta.label, 0)
