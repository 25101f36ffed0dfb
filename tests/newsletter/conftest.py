import asyncio
import re
from collections import Counter
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import SMTPSink, free_port

CONFIRM_LINK = re.compile(r"https?://\S+/newsletter/confirm/[^/\s]+/")


def confirm_link(message: EmailMessage) -> str:
    """Return the confirmation link in the plain-text part of message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    return CONFIRM_LINK.search(text)[0]


class AnsweringSink(SMTPSink):
    """The shared SMTP sink, plus chosen answers for chosen recipients and a slow mode.

    `answers["a@example.org"] = "550 5.1.1 No such user"` refuses that recipient;
    `delay` seconds pass before each message is accepted (to kill a worker mid-send).
    """

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, str] = {}
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802 (aiosmtpd hook)
        answer = self.answers.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def recipients(self) -> Counter:
        """Return how many messages each address received."""
        with self._lock:
            return Counter(
                address.lower() for envelope in self.envelopes for address in envelope.rcpt_tos
            )


class SinkServer:
    """An AnsweringSink on a fixed port that can be stopped and started again."""

    def __init__(self) -> None:
        self.sink = AnsweringSink()
        self.port = free_port()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def sink_server(settings):
    """An AnsweringSink the Django SMTP backend (and child processes) send to."""
    server = SinkServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server
    finally:
        server.stop()
