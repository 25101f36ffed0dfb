"""Sending with real workers: `manage.py sendissue` and two `manage.py db_worker` processes.

The workers run django-tasks' database backend against the test database and send into
the test's SMTP sink; leases, retries and sweeps are shortened through the environment.
"""

import signal
import subprocess
import sys
import time

import pytest

from newsletter import sending
from newsletter.models import Subscriber
from tests.factories import ConfirmedSubscriberFactory, SubscriberFactory
from tests.newsletter.factories import IssueFactory
from tests.processes import PROJECT_DIR, start_db_worker, stop, worker_environment

CONFIRMED = 200
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_env(sink_server):
    return worker_environment(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="sending-test-secret-" + "s" * 40,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink_server.port),
        NEWSLETTER_LEASE_SECONDS="3",
        NEWSLETTER_RETRY_BASE_SECONDS="0.5",
        NEWSLETTER_SWEEP_SECONDS="1",
        NEWSLETTER_BATCH_SIZE="20",
        NEWSLETTER_SEND_THREADS="2",
    )


@pytest.fixture
def workers(worker_env):
    """Start db_worker processes on demand; stop whatever is left at the end."""
    started: list[subprocess.Popen] = []

    def start(**env: str) -> subprocess.Popen:
        process = start_db_worker({**worker_env, **env})
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)


@pytest.fixture
def audience():
    """CONFIRMED confirmed subscribers, plus some who must get nothing."""
    confirmed = ConfirmedSubscriberFactory.create_batch(CONFIRMED)
    SubscriberFactory.create_batch(10)  # pending
    SubscriberFactory.create_batch(10, status=Subscriber.Status.UNSUBSCRIBED)
    return {subscriber.email for subscriber in confirmed}


def sendissue(issue, env) -> str:
    finished = subprocess.run(
        [sys.executable, "manage.py", "sendissue", str(issue.pk)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return finished.stdout


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Still waiting after {timeout} s")
        time.sleep(0.1)


def finished(issue) -> bool:
    counts = sending.progress(issue)
    return counts["queued"] + counts["sending"] == 0


def test_two_workers_send_each_confirmed_subscriber_exactly_one_copy(
    sink_server, worker_env, workers, audience
):
    sink_server.sink.delay = 0.002
    workers(), workers()
    issue = IssueFactory()

    output = sendissue(issue, worker_env)

    assert f"queued for {CONFIRMED} confirmed subscribers" in output
    wait_until(lambda: finished(issue))
    assert sink_server.sink.recipients() == dict.fromkeys(audience, 1)
    assert sending.progress(issue)["sent"] == CONFIRMED


def test_a_worker_killed_mid_send_costs_at_most_the_message_in_flight(
    sink_server, worker_env, workers, audience
):
    sink_server.sink.delay = 0.01
    # One sender, one SMTP connection: one message in flight (each extra sender adds one).
    doomed = workers(NEWSLETTER_SEND_THREADS="1")
    workers()
    issue = IssueFactory()
    sendissue(issue, worker_env)

    wait_until(lambda: sum(sink_server.sink.recipients().values()) >= 40)
    doomed.send_signal(signal.SIGKILL)
    workers()

    wait_until(lambda: finished(issue))
    received = sink_server.sink.recipients()
    assert set(received) == audience
    assert sum(received.values()) - len(audience) <= 1
    assert sending.progress(issue)["sent"] == CONFIRMED


def test_sending_resumes_when_the_mail_server_comes_back(
    sink_server, worker_env, workers, audience
):
    sink_server.sink.delay = 0.005
    workers(), workers()
    issue = IssueFactory()
    sendissue(issue, worker_env)

    wait_until(lambda: sum(sink_server.sink.recipients().values()) >= 40)
    sink_server.stop()
    time.sleep(1.5)
    assert not finished(issue)
    sink_server.start()

    wait_until(lambda: finished(issue))
    received = sink_server.sink.recipients()
    assert set(received) == audience
    assert sending.progress(issue)["sent"] == CONFIRMED
    # A message cut off by the server going away may have arrived: one per sender at most.
    assert sum(received.values()) - len(audience) <= 4
