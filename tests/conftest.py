"""Shared fixtures: a real SMTP sink and a real browser (Chromium driven by Playwright)."""

import os
import shutil
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.test import override_settings

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls a
# browser test makes from that thread are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache: no rate-limit counts, no cached pages."""
    cache.clear()
    yield
    cache.clear()


class SMTPSink:
    """Collects every message a real SMTP client hands to it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    """Run an SMTP server on a free local port and point Django's SMTP backend at it."""
    sink = SMTPSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def redis_cache(request):
    """Make the machine's Redis the cache, in a database of the test's own, emptied before
    and after: @pytest.mark.redis_db(N). Fails under CI when Redis does not answer."""
    import redis

    location = f"redis://127.0.0.1:6379/{request.node.get_closest_marker('redis_db').args[0]}"
    try:
        redis.Redis.from_url(location).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail("No Redis server on 127.0.0.1:6379: CI's machine runs one.")
        pytest.skip("no Redis server on 127.0.0.1:6379")
    backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    with override_settings(CACHES={"default": backend}):
        cache.clear()
        try:
            yield cache
        finally:
            cache.clear()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole run."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package.")
        pytest.skip(
            f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab whose relative URLs go to the live test server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def axe():
    """axe-core, injected into a page to check it against WCAG 2.2 AA."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe()
