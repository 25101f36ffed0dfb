"""Scale-out on loopback: two gunicorn app servers and two db_workers share one PostgreSQL
and one Redis; people sign up and confirm through either server, an issue goes out, and
every confirmed subscriber gets it exactly once.

The README ("Deploying" → "Scale-out") names this test. The servers run the production
settings; the database is pytest's test database on the machine's PostgreSQL, the cache a
Redis database of its own on the machine's Redis.
"""

import http.client
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
import redis

from newsletter.models import Delivery, Subscriber
from tests.conftest import free_port
from tests.newsletter.conftest import confirm_link
from tests.newsletter.factories import IssueFactory
from tests.processes import (
    DATABASE_BACKEND,
    PROJECT_DIR,
    start_db_worker,
    stop,
    test_database_url,
)

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own, emptied by the test
PEOPLE = 24
CONFIRMING = 20  # the others never confirm and must get nothing
SECRET_KEY = "scaleout-test-secret-" + "s" * 40


def shared_environment(sink_port: int) -> dict[str, str]:
    """What every app server and worker shares: database, Redis, queue, mail, secrets."""
    return {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": REDIS_URL,
        "TASKS_BACKEND": DATABASE_BACKEND,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink_port),
        "SIGNUP_RATE_LIMIT": "1000/m",
        "NEWSLETTER_LEASE_SECONDS": "3",
        "NEWSLETTER_RETRY_BASE_SECONDS": "0.5",
        "NEWSLETTER_SWEEP_SECONDS": "1",
        "NEWSLETTER_BATCH_SIZE": "5",
        "NEWSLETTER_SEND_THREADS": "2",
    }


def request(base_url: str, method: str, path: str, form: dict | None = None):
    """Send one request as a browser on base_url would; return (status, headers, body)."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=20)
    headers = {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": base_url,
            "Sec-Fetch-Site": "same-origin",
        }
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait_for(condition, what: str, processes: list[subprocess.Popen], timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if any(process.poll() is not None for process in processes):
            pytest.fail(f"A server or worker exited while waiting for {what}.")
        if time.monotonic() > deadline:
            pytest.fail(f"No {what} within {timeout} s.")
        time.sleep(0.2)
    return value


@pytest.fixture
def redis_database() -> Iterator[None]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture
def env(smtp_sink, settings, redis_database) -> dict[str, str]:
    return shared_environment(settings.EMAIL_PORT)


@pytest.fixture
def cluster(env) -> Iterator[tuple[list[str], list[subprocess.Popen]]]:
    """Two gunicorn app servers and two db_workers; yield their base URLs and processes."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    processes, base_urls = [], []
    try:
        for _server in range(2):
            port = free_port()
            server_env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1"}
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "trafficwatch.wsgi"]
                    + ["--config", "gunicorn.conf.py"],
                    cwd=PROJECT_DIR,
                    env=server_env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            base_urls.append(f"http://127.0.0.1:{port}")
        processes += [start_db_worker(env), start_db_worker(env)]
        for base_url in base_urls:
            wait_for(lambda url=base_url: healthy(url), f"{base_url} to answer", processes)
        yield base_urls, processes
    finally:
        for process in processes:
            stop(process)


def healthy(base_url: str) -> bool:
    try:
        return request(base_url, "GET", "/healthz")[0] == 200
    except OSError:
        return False


def test_two_app_servers_and_two_workers_deliver_an_issue_to_every_confirmed_subscriber_once(
    smtp_sink, env, cluster
):
    base_urls, processes = cluster
    emails = [f"reader{number}@example.org" for number in range(PEOPLE)]

    for number, email in enumerate(emails):
        status, _, _ = request(
            base_urls[number % 2],
            "POST",
            "/newsletter/subscribe/",
            {"email": email, "consent": "on"},
        )
        assert status == 303, f"sign-up of {email} through server {number % 2}"

    wait_for(lambda: len(smtp_sink.messages) >= PEOPLE, "confirmation emails", processes)
    confirmations = {message["To"]: message for message in smtp_sink.messages}
    assert sorted(confirmations) == sorted(emails)
    for number, email in enumerate(emails[:CONFIRMING]):
        path = urlsplit(confirm_link(confirmations[email])).path
        status, _, _ = request(base_urls[(number + 1) % 2], "POST", path, {})
        assert status in (200, 303), f"confirmation of {email}"
    assert Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count() == CONFIRMING

    issue = IssueFactory(subject="Scale-out issue")
    subprocess.run(
        [sys.executable, "manage.py", "sendissue", str(issue.pk)],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )

    def finished() -> bool:
        statuses = Counter(Delivery.objects.filter(issue=issue).values_list("status", flat=True))
        return statuses == {Delivery.Status.SENT: CONFIRMING}

    wait_for(finished, "issue sent to everyone", processes)
    time.sleep(1)  # room for a doubled message, should one be on its way
    received = Counter(
        message["To"] for message in smtp_sink.messages if message["Subject"] == issue.subject
    )
    assert received == dict.fromkeys(emails[:CONFIRMING], 1)
