"""The Mozilla HTTP Observatory's own scanner grades the production stack: A+, 135.

The npm package @mdn/mdn-http-observatory (installed by the Makefile) scans a host the
way https://developer.mozilla.org/en-US/observatory/ does: http on port 80 must redirect
to https on 443, whose answer is graded on headers, cookies, CORS, CSP, SRI and the rest.
Here the host is localhost: gunicorn with the production settings serves https with a
certificate made for the test (trusted through NODE_EXTRA_CA_CERTS) and plain http.

135 is the most a site can score that sets no cookie for a reader (visitor safety, issue 7)
and is not on the browsers' HSTS preload list: each of those would add 5, to 145.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import PROJECT_DIR, stop, test_database_url

pytestmark = pytest.mark.django_db(transaction=True)

SCANNER = PROJECT_DIR / "node_modules" / "@mdn" / "mdn-http-observatory" / "src" / "scan.js"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
    )
    return key, cert


@pytest.fixture
def production_site(certificate) -> Iterator[Path]:
    """gunicorn on localhost:443 (https) and localhost:80 (http); yield the certificate."""
    for port in (80, 443):
        if not port_is_free(port):
            pytest.fail(f"Port {port} is taken: the Observatory scans the standard ports.")
    key, cert = certificate
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": test_database_url(),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "observatory-test-secret-" + "s" * 40,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "SITE_URL": "https://localhost",
        "WEB_CONCURRENCY": "1",
        "HOST": "127.0.0.1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "trafficwatch.wsgi",
        "--config",
        "gunicorn.conf.py",
    ]
    servers = [
        subprocess.Popen(
            [*gunicorn, "--certfile", str(cert), "--keyfile", str(key)],
            cwd=PROJECT_DIR,
            env={**env, "PORT": "443"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            gunicorn,
            cwd=PROJECT_DIR,
            env={**env, "PORT": "80"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        deadline = time.monotonic() + 60
        while not (answers(443) and answers(80)):
            if any(server.poll() is not None for server in servers):
                pytest.fail("gunicorn exited at start.")
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer within 60 s.")
            time.sleep(0.2)
        yield cert
    finally:
        for server in servers:
            stop(server)


def test_the_observatory_grades_the_production_site_a_plus_with_135(production_site):
    result = subprocess.run(
        ["node", str(SCANNER), "localhost"],
        env={"PATH": os.environ["PATH"], "NODE_EXTRA_CA_CERTS": str(production_site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    assert "error" not in report, report
    failed = {name: test["result"] for name, test in report["tests"].items() if not test["pass"]}
    assert failed == {}
    modifiers = {name: test["scoreModifier"] for name, test in report["tests"].items()}
    assert report["scan"]["grade"] == "A+"
    assert report["scan"]["score"] == 135, modifiers
    # The two 5s out of reach: no cookie for readers, and localhost is on no preload list.
    assert report["tests"]["cookies"]["result"] == "cookies-not-found"
    assert report["tests"]["strict-transport-security"]["result"] == (
        "hsts-implemented-max-age-at-least-six-months"
    )
