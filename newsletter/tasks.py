"""The newsletter's background tasks, run by `manage.py db_worker` (django-tasks)."""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from . import emails

logger = logging.getLogger(__name__)


def smtp_code(error: Exception) -> int | None:
    """Return the SMTP reply code an exception carries, or None (no answer at all)."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, _answer = next(iter(error.recipients.values()), (None, b""))
        return code
    return None


def is_permanent(code: int | None) -> bool:
    """A 5xx answer will not change on a later try; 4xx and no answer (server down) may."""
    return code is not None and 500 <= code < 600


def send_retrying(task_, send, object_id: int, attempt: int, what: str) -> str:
    """Run send(object_id); on a passing failure queue task_ again, later, with attempt + 1.

    While the mail server is down or answers 4xx, the task queues itself again after
    RETRY_BASE, 2×, 4×… seconds, at most NEWSLETTER_MAX_ATTEMPTS tries in all; what
    it answers is already saved. A backend that cannot run a task later (the in-process
    one) gets the error raised, as before.
    """
    try:
        send(object_id)
    except (smtplib.SMTPException, OSError) as error:
        code = smtp_code(error)
        if (
            is_permanent(code)
            or attempt >= settings.NEWSLETTER_MAX_ATTEMPTS
            or not task_.get_backend().supports_defer
        ):
            logger.error("%s %s not sent after %s attempts: %s", what, object_id, attempt, error)
            raise
        delay = settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        run_after = timezone.now() + timedelta(seconds=delay)
        task_.using(run_after=run_after).enqueue(object_id, attempt + 1)
        logger.warning(
            "%s %s: attempt %s failed (%s); next in %s s.", what, object_id, attempt, error, delay
        )
        return "retrying"
    return "sent"


@task()
def send_confirmation_email(subscriber_id: int, attempt: int = 1) -> str:
    """Send the answer to a sign-up: the confirmation link or the "already subscribed" note
    (retried as send_retrying says)."""
    return send_retrying(
        send_confirmation_email,
        emails.send_confirmation_email,
        subscriber_id,
        attempt,
        "Confirmation email to subscriber",
    )


@task()
def send_alert_confirmation_email(alert_id: int, attempt: int = 1) -> str:
    """Send the confirmation link of a library alert (retried as send_retrying says)."""
    return send_retrying(
        send_alert_confirmation_email,
        emails.send_alert_confirmation_email,
        alert_id,
        attempt,
        "Alert confirmation email for alert",
    )
