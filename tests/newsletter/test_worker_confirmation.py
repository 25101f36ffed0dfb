"""The sign-up end to end with real processes: the web side queues the confirmation in
PostgreSQL, a separate `manage.py db_worker` process sends it to a real SMTP server, and
the reader follows the emailed link and presses the button."""

import re

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from newsletter.models import Subscriber
from tests.processes import DATABASE_BACKEND, logged_db_worker, wait_for, worker_environment

from .conftest import confirm_link

# Committed for real: the worker process reads the rows over its own connection.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db_worker(smtp_sink, settings, tmp_path):
    """Queue tasks in PostgreSQL and run a real `manage.py db_worker` process on them."""
    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}
    env = worker_environment(
        EMAIL_HOST=settings.EMAIL_HOST,
        EMAIL_PORT=str(settings.EMAIL_PORT),
        SITE_URL="https://traffickingwatch.example",
    )
    log = tmp_path / "db_worker.log"
    with logged_db_worker(env, log) as worker:
        yield worker, log


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_the_worker_process_sends_the_confirmation_and_the_emailed_link_confirms(
    smtp_sink, db_worker
):
    worker, log = db_worker
    # A browser's same-origin POST: no CSRF cookie or token (trafficwatch/csrf.py).
    browser = Client(
        enforce_csrf_checks=True,
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    response = browser.post(
        "/newsletter/subscribe/", {"email": "reader@example.org", "consent": "on"}
    )
    assert response.status_code == 303
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "newsletter.tasks.send_confirmation_email"

    messages = wait_for(lambda: smtp_sink.messages, worker=worker, log=log, what="email")

    assert len(messages) == 1
    assert messages[0]["To"] == "reader@example.org"
    assert DBTaskResult.objects.get().worker_ids  # sent by the worker, not by the web side
    assert messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = confirm_link(messages[0])
    assert link.startswith("https://traffickingwatch.example/newsletter/confirm/")
    browser.get(path_of(link))
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    confirmed = browser.post(path_of(link), follow=True)
    assert "You are subscribed" in confirmed.text
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED
