"""Signed links in emails: confirmation of a sign-up or an alert (valid for 7 days),
unsubscribe and preferences (never expire).

Each carries the subscriber's id and address: a changed address invalidates old links."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Alert, Subscriber

CONFIRMATION_SALT = "newsletter.confirm"
CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 7  # 7 days


class InvalidToken(Exception):
    """The token is garbage, tampered with, or names an address we no longer hold."""


@dataclass(frozen=True)
class CheckedToken:
    subscriber: Subscriber
    expired: bool


def make_confirmation_token(subscriber: Subscriber) -> str:
    """Return a URL-safe token for the subscriber's confirmation link."""
    return signing.dumps({"id": subscriber.pk, "email": subscriber.email}, salt=CONFIRMATION_SALT)


def check_confirmation_token(token: str) -> CheckedToken:
    """Return the subscriber the token names and whether it expired; raise InvalidToken."""
    payload, expired = load_expiring(token, salt=CONFIRMATION_SALT)
    return CheckedToken(subscriber=_subscriber_named_by(payload), expired=expired)


def load_expiring(token: str, *, salt: str) -> tuple[object, bool]:
    """Return a confirmation-type token's payload and whether it expired; raise InvalidToken.

    An expired signature is genuine, only old: it is read again without the age limit so
    that the expired page can offer a new link to the same address.
    """
    try:
        return signing.loads(token, salt=salt, max_age=CONFIRMATION_MAX_AGE), False
    except signing.SignatureExpired:
        try:
            return signing.loads(token, salt=salt, max_age=None), True
        except (signing.BadSignature, ValueError) as error:
            raise InvalidToken from error
    except (signing.BadSignature, ValueError) as error:
        raise InvalidToken from error


def _subscriber_named_by(payload: object) -> Subscriber:
    if not isinstance(payload, dict):
        raise InvalidToken
    subscriber_id, email = payload.get("id"), payload.get("email")
    if type(subscriber_id) is not int or not isinstance(email, str):
        raise InvalidToken
    # A changed address or a deleted subscriber makes the link invalid.
    subscriber = Subscriber.objects.filter(pk=subscriber_id, email=email).first()
    if subscriber is None:
        raise InvalidToken
    return subscriber


UNSUBSCRIBE_SALT = "newsletter.unsubscribe"


def make_unsubscribe_token(subscriber: Subscriber) -> str:
    """Return the token of the subscriber's unsubscribe link; it never expires.

    An old email's link must still work years later: an unsubscribe is never refused.
    """
    return signing.dumps({"id": subscriber.pk, "email": subscriber.email}, salt=UNSUBSCRIBE_SALT)


def check_unsubscribe_token(token: str) -> Subscriber:
    """Return the subscriber the unsubscribe token names; raise InvalidToken."""
    return _check_lasting_token(token, salt=UNSUBSCRIBE_SALT)


def _check_lasting_token(token: str, *, salt: str) -> Subscriber:
    """Return the subscriber a never-expiring token names; raise InvalidToken."""
    try:
        payload = signing.loads(token, salt=salt, max_age=None)
    except (signing.BadSignature, ValueError) as error:
        raise InvalidToken from error
    return _subscriber_named_by(payload)


def unsubscribe_url(subscriber: Subscriber) -> str:
    """Return the absolute unsubscribe link (also the List-Unsubscribe URL) for emails."""
    token = make_unsubscribe_token(subscriber)
    return settings.SITE_URL + reverse("newsletter:unsubscribe", kwargs={"token": token})


PREFERENCES_SALT = "newsletter.preferences"


def make_preferences_token(subscriber: Subscriber) -> str:
    """Return the token of the subscriber's preferences link; like unsubscribing, it never
    expires (the link sits in every email they kept)."""
    return signing.dumps({"id": subscriber.pk, "email": subscriber.email}, salt=PREFERENCES_SALT)


def check_preferences_token(token: str) -> Subscriber:
    """Return the subscriber the preferences token names; raise InvalidToken."""
    return _check_lasting_token(token, salt=PREFERENCES_SALT)


def preferences_url(subscriber: Subscriber) -> str:
    """Return the absolute link to the subscriber's preferences page, for emails."""
    token = make_preferences_token(subscriber)
    return settings.SITE_URL + reverse("newsletter:preferences", kwargs={"token": token})


ALERT_SALT = "newsletter.alert"


@dataclass(frozen=True)
class CheckedAlertToken:
    alert: Alert
    expired: bool


def make_alert_token(alert: Alert) -> str:
    """Return the token of an alert's confirmation link (valid as long as a sign-up's)."""
    subscriber = alert.subscriber
    return signing.dumps(
        {"alert": alert.pk, "id": subscriber.pk, "email": subscriber.email}, salt=ALERT_SALT
    )


def check_alert_token(token: str) -> CheckedAlertToken:
    """Return the alert the token names and whether it expired; raise InvalidToken."""
    payload, expired = load_expiring(token, salt=ALERT_SALT)
    subscriber = _subscriber_named_by(payload)
    alert_id = payload.get("alert")
    if type(alert_id) is not int:
        raise InvalidToken
    # A removed alert, or one of another subscriber, makes the link invalid.
    alert = subscriber.alerts.select_related("search").filter(pk=alert_id).first()
    if alert is None:
        raise InvalidToken
    alert.subscriber = subscriber
    return CheckedAlertToken(alert=alert, expired=expired)


def alert_confirmation_url(alert: Alert) -> str:
    """Return the absolute link confirming an alert, for its email."""
    token = make_alert_token(alert)
    return settings.SITE_URL + reverse("newsletter:alert-confirm", kwargs={"token": token})
