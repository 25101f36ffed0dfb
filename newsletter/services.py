"""The subscriber workflows: subscribe, confirm, ask for a new link, unsubscribe, erase,
preferences and library alerts (STYLE.md "Where logic lives")."""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from resources.filters import LibraryQuery, canonical_query_string

from . import tasks
from .models import Alert, SavedSearch, Subscriber


def _queue_confirmation_email(subscriber: Subscriber) -> None:
    # After the commit, so the worker never looks for a row a rollback took back. robust: a
    # queue that cannot take the task is logged instead of turning a stored sign-up into a
    # 500; signing up again sends a fresh link.
    # A lambda, not functools.partial: robust=True logs the callback's __qualname__.
    subscriber_id = subscriber.pk
    transaction.on_commit(lambda: tasks.send_confirmation_email.enqueue(subscriber_id), robust=True)


def _locked_or_new_subscriber(email: str, **fields) -> tuple[Subscriber, bool]:
    """Return the subscriber with this address, row-locked, or a new one with these fields;
    and whether it is new. Call inside a transaction."""
    email = Subscriber.normalize_email(email)
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is not None:
        return subscriber, False
    try:
        # A savepoint: a concurrent sign-up for the same address may win the insert.
        with transaction.atomic():
            return Subscriber.objects.create(email=email, **fields), True
    except IntegrityError:
        return Subscriber.objects.select_for_update().get(email=email), False


@transaction.atomic
def subscribe(
    *, email: str, consent_text: str, name: str = "", source_page: str = ""
) -> Subscriber:
    """Record a sign-up and queue the answer by email, whatever state the address is in.

    New, pending and unsubscribed addresses become pending with this consent and get a
    confirmation link. A confirmed address keeps everything as it was (a stranger must not
    rewrite a confirmed subscriber) and gets a short "you are already subscribed" note, or,
    if confirmed for alerts only, a link that adds the newsletter once they press it.
    """
    now = timezone.now()
    subscriber, created = _locked_or_new_subscriber(
        email, name=name, consent_text=consent_text, consented_at=now, source_page=source_page
    )

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
    """Confirm a subscriber for the newsletter; confirming again changes nothing.

    A pending subscriber becomes confirmed; one confirmed for alerts only gets the
    newsletter too (this link is the newsletter's own).
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    fields = []
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        fields += ["status", "confirmed_at"]
    if not subscriber.wants_newsletter:
        subscriber.wants_newsletter = True
        fields.append("wants_newsletter")
    if fields:
        subscriber.save(update_fields=[*fields, "updated_at"])
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


MAX_ALERTS_PER_SUBSCRIBER = 20


@transaction.atomic
def update_preferences(*, subscriber: Subscriber, preferences: dict) -> Subscriber:
    """Save which mailings the subscriber receives and how often; the next send reads them.

    The row lock orders this after a send that is reading the subscriber right now.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    for field, value in preferences.items():
        setattr(subscriber, field, value)
    subscriber.save(update_fields=[*preferences, "updated_at"])
    return subscriber


def remove_alert(*, subscriber: Subscriber, alert_id: int) -> bool:
    """Delete one of the subscriber's alerts; return False when they hold no such alert."""
    deleted, _ = Alert.objects.filter(subscriber=subscriber, pk=alert_id).delete()
    return deleted > 0


def _queue_alert_confirmation_email(alert: Alert) -> None:
    # As _queue_confirmation_email: after the commit, and robust.
    alert_id = alert.pk
    transaction.on_commit(
        lambda: tasks.send_alert_confirmation_email.enqueue(alert_id), robust=True
    )


@transaction.atomic
def request_alert(
    *,
    email: str,
    query: LibraryQuery,
    consent_text: str,
    name: str = "",
    source_page: str = "",
) -> Alert | None:
    """Save a library filter as an unconfirmed alert and queue its confirmation link.

    A new address becomes a pending subscriber who wants the resource digest only. An
    existing subscriber is reused and a confirmed one never rewritten (a stranger may type
    anyone's address); one who had unsubscribed is pending again, for alerts only, until
    they confirm. Beyond MAX_ALERTS_PER_SUBSCRIBER nothing is created and None returned:
    the visitor gets the same answer either way.
    """
    now = timezone.now()
    subscriber, created = _locked_or_new_subscriber(
        email,
        name=name,
        consent_text=consent_text,
        consented_at=now,
        source_page=source_page,
        wants_newsletter=False,
        wants_resource_digest=True,
    )
    if not created and subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        # They left everything: confirming this alert brings back only what they ask now.
        subscriber.status = Subscriber.Status.PENDING
        subscriber.name = name or subscriber.name
        subscriber.consent_text = consent_text
        subscriber.consented_at = now
        subscriber.source_page = source_page
        subscriber.wants_newsletter = False
        subscriber.wants_news_digest = False
        subscriber.wants_resource_digest = True
        subscriber.save()

    alert = (
        subscriber.alerts.select_related("search")
        .filter(search__query=canonical_query_string(query))
        .first()
    )
    if alert is None:
        if subscriber.alerts.count() >= MAX_ALERTS_PER_SUBSCRIBER:
            return None
        search = SavedSearch.objects.for_library_query(query)
        alert, _created = Alert.objects.get_or_create(subscriber=subscriber, search=search)
    _queue_alert_confirmation_email(alert)
    return alert


@transaction.atomic
def confirm_alert(*, alert: Alert) -> Alert:
    """Activate an alert and turn on the resource digest; a pending subscriber is confirmed
    with it (the link proves the address is theirs), for the digest only: a newsletter
    sign-up still waiting for its own link starts when that link is pressed (anyone may
    have typed the address into the sign-up form). Confirming again changes nothing."""
    subscriber = Subscriber.objects.select_for_update().get(pk=alert.subscriber_id)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    now = timezone.now()
    if alert.confirmed_at is None:
        alert.confirmed_at = now
        alert.save(update_fields=["confirmed_at"])
    fields = []
    if not subscriber.wants_resource_digest:
        subscriber.wants_resource_digest = True
        fields.append("wants_resource_digest")
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = now
        subscriber.wants_newsletter = False
        fields += ["status", "confirmed_at", "wants_newsletter"]
    if fields:
        subscriber.save(update_fields=[*fields, "updated_at"])
    alert.subscriber = subscriber
    return alert


@transaction.atomic
def request_new_alert_confirmation(*, alert: Alert) -> None:
    """Send a fresh confirmation link for an alert whose link expired."""
    subscriber = Subscriber.objects.select_for_update().get(pk=alert.subscriber_id)
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        _queue_alert_confirmation_email(alert)
