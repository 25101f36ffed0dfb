"""Real processes for tests: `manage.py db_worker` on pytest's test database."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[1]
DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


def test_database_url() -> str:
    """Return the URL of the database the test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    # A Unix socket directory (the embedded server) travels percent-encoded.
    host = quote(db["HOST"] or "localhost", safe="")
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test pytest should collect


def worker_environment(**extra: str) -> dict[str, str]:
    """Return the environment of a worker on the test database with the database queue."""
    return {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": test_database_url(),
        "DJANGO_DEBUG": "1",
        "TASKS_BACKEND": DATABASE_BACKEND,
        **extra,
    }


def start_db_worker(env: dict[str, str], output=subprocess.DEVNULL) -> subprocess.Popen:
    """Start `manage.py db_worker` polling every 0.2 s, without the autoreloader."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
        + ["--interval", "0.2"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    """Stop process politely, then not."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def logged_db_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run one db_worker writing to log for the duration of the block."""
    with log.open("wb") as output:
        worker = start_db_worker(env, output)
    try:
        yield worker
    finally:
        stop(worker)


def wait_for(
    condition: Callable[[], object],
    *,
    worker: subprocess.Popen,
    log: Path,
    what: str,
    timeout: float = 20,
):
    """Return condition()'s first true value; fail with the worker's log if it never comes."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if worker.poll() is not None:
            pytest.fail(f"db_worker exited with {worker.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"No {what} within {timeout} s. db_worker said:\n{log.read_text()}")
        time.sleep(0.1)
    return value


def in_another_process(function: Callable[[], object]):
    """Run function in a thread of its own: its own cache client and database connection,
    as in another web server process."""

    def run():
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(run).result()
