"""A sign-up while the mail server is down: saved at once, confirmed by mail once it is back.

The web side runs in the test; a real `manage.py db_worker` process sends into an SMTP
sink that the test stops and starts again.
"""

import time

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from newsletter.models import Subscriber
from tests.processes import DATABASE_BACKEND, logged_db_worker, wait_for, worker_environment

pytestmark = pytest.mark.django_db(transaction=True)

TASK = "newsletter.tasks.send_confirmation_email"


@pytest.fixture
def db_worker(sink_server, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}
    env = worker_environment(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink_server.port),
        SITE_URL="https://traffickingwatch.example",
        NEWSLETTER_RETRY_BASE_SECONDS="0.3",
        NEWSLETTER_MAX_ATTEMPTS="8",
    )
    log = tmp_path / "db_worker.log"
    with logged_db_worker(env, log) as worker:
        yield worker, log


def sign_up(email: str):
    # A browser's same-origin POST: no CSRF cookie or token (trafficwatch/csrf.py).
    browser = Client(
        enforce_csrf_checks=True,
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    return browser.post("/newsletter/subscribe/", {"email": email, "consent": "on"})


def attempts() -> int:
    return DBTaskResult.objects.filter(task_path=TASK).count()


def test_a_sign_up_while_the_mail_server_is_down_is_saved_and_confirmed_once_it_is_back(
    sink_server, db_worker
):
    worker, log = db_worker
    sink_server.stop()

    response = sign_up("reader@example.org")

    assert response.status_code == 303
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    wait_for(lambda: attempts() >= 3, worker=worker, log=log, what="retries")
    sink_server.start()
    wait_for(lambda: sink_server.sink.messages, worker=worker, log=log, what="confirmation")
    time.sleep(2)  # room for a second copy, should a retry still be on its way
    assert sink_server.sink.recipients() == {"reader@example.org": 1}
    assert "Confirm your subscription" in sink_server.sink.messages[0]["Subject"]


def test_a_mail_server_answering_try_later_gets_the_confirmation_retried(sink_server, db_worker):
    worker, log = db_worker
    sink_server.sink.answers["reader@example.org"] = "451 4.3.0 Try again later"

    assert sign_up("reader@example.org").status_code == 303
    wait_for(lambda: attempts() >= 2, worker=worker, log=log, what="retry")
    del sink_server.sink.answers["reader@example.org"]
    wait_for(lambda: sink_server.sink.messages, worker=worker, log=log, what="confirmation")
    time.sleep(1)
    assert sink_server.sink.recipients() == {"reader@example.org": 1}


def test_a_refused_address_is_not_retried(sink_server, db_worker):
    worker, log = db_worker
    sink_server.sink.answers["nobody@example.org"] = "550 5.1.1 No such user"

    assert sign_up("nobody@example.org").status_code == 303
    failed = wait_for(
        lambda: DBTaskResult.objects.filter(task_path=TASK, status="FAILED").first(),
        worker=worker,
        log=log,
        what="failed task",
    )
    time.sleep(1)
    assert attempts() == 1
    assert failed.exception_class_path == "smtplib.SMTPRecipientsRefused"
    assert Subscriber.objects.get().email == "nobody@example.org"  # the sign-up stays
