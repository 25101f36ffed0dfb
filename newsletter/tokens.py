"""Signed links in emails: confirmation (valid for 7 days), unsubscribe and preferences
(never expire).

Each carries the subscriber's id and address: a changed address invalidates old links."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Subscriber

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
    expired = False
    try:
        payload = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        # The signature is genuine, only old: read it again without the age limit so the
        # expired page can offer a new link to that address.
        expired = True
        try:
            payload = signing.loads(token, salt=CONFIRMATION_SALT, max_age=None)
        except (signing.BadSignature, ValueError) as error:
            raise InvalidToken from error
    except (signing.BadSignature, ValueError) as error:
        raise InvalidToken from error

    return CheckedToken(subscriber=_subscriber_named_by(payload), expired=expired)


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
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=None)
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
    try:
        payload = signing.loads(token, salt=PREFERENCES_SALT, max_age=None)
    except (signing.BadSignature, ValueError) as error:
        raise InvalidToken from error
    return _subscriber_named_by(payload)


def preferences_url(subscriber: Subscriber) -> str:
    """Return the absolute link to the subscriber's preferences page, for emails."""
    token = make_preferences_token(subscriber)
    return settings.SITE_URL + reverse("newsletter:preferences", kwargs={"token": token})
