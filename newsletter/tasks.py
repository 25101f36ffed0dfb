"""The newsletter's background tasks, run by `manage.py db_worker` (django-tasks)."""

from django_tasks import task

from . import emails


@task()
def send_confirmation_email(subscriber_id: int) -> None:
    """Send the answer to a sign-up: the confirmation link or the "already subscribed" note."""
    emails.send_confirmation_email(subscriber_id)
