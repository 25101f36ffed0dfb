"""The emails of the sign-up flow, built from templates/newsletter/email/."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Alert, Subscriber
from .tokens import (
    CONFIRMATION_MAX_AGE,
    alert_confirmation_url,
    make_confirmation_token,
    preferences_url,
    unsubscribe_url,
)

# RFC 3834: tells auto-responders (holiday replies) not to answer these.
HEADERS = {"Auto-Submitted": "auto-generated"}


def list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """Return the RFC 2369 / RFC 8058 headers: mail clients show an "Unsubscribe" button
    that POSTs to the subscriber's link at once."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def send_confirmation_email(subscriber_id: int) -> None:
    """Answer a sign-up by email: the confirmation link, or a note if already subscribed.

    Reads the subscriber's state when it runs, so it stays right when it runs later from
    the task queue; by then an unsubscribed or deleted subscriber gets nothing.
    """
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url(subscriber),
        "preferences_url": preferences_url(subscriber),
    }
    # Someone confirmed for alerts only gets the newsletter after confirming it too.
    if subscriber.status == Subscriber.Status.PENDING or not subscriber.wants_newsletter:
        template = "newsletter/email/confirmation"
        subject = _("Confirm your subscription to %(site_name)s")
        token = make_confirmation_token(subscriber)
        context["confirm_url"] = settings.SITE_URL + reverse(
            "newsletter:confirm", kwargs={"token": token}
        )
        context["valid_days"] = CONFIRMATION_MAX_AGE // (60 * 60 * 24)
    else:
        template = "newsletter/email/already_subscribed"
        subject = _("You are already subscribed to %(site_name)s")
    send(subscriber, subject % {"site_name": settings.SITE_NAME}, template, context)


def send(subscriber: Subscriber, subject: str, template: str, context: dict) -> None:
    """Send template's .txt and .html renderings to subscriber."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=[subscriber.email],
        headers={**HEADERS, **list_unsubscribe_headers(subscriber)},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()


def send_alert_confirmation_email(alert_id: int) -> None:
    """Send the link confirming a library alert ("email me new matches").

    Read when it runs, as the sign-up's: a removed alert or an unsubscribed subscriber
    gets nothing.
    """
    alert = Alert.objects.select_related("subscriber", "search").filter(pk=alert_id).first()
    if alert is None or alert.subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return
    subscriber = alert.subscriber
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url(subscriber),
        "preferences_url": preferences_url(subscriber),
        "confirm_url": alert_confirmation_url(alert),
        "valid_days": CONFIRMATION_MAX_AGE // (60 * 60 * 24),
        "description": alert.search.description,
        "library_url": settings.SITE_URL + alert.search.get_absolute_url(),
        "already_active": alert.is_active and subscriber.status == Subscriber.Status.CONFIRMED,
    }
    subject = _("Confirm your alert for new resources on %(site_name)s")
    send(
        subscriber,
        subject % {"site_name": settings.SITE_NAME},
        "newsletter/email/alert_confirmation",
        context,
    )
