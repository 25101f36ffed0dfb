"""The benchmarks' SMTP sink (bench/mailsink.py) receives what aiosmtpd would, and counts it."""

import asyncio
import importlib.util
import smtplib
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import free_port

_spec = importlib.util.spec_from_file_location(
    "mailsink", Path(__file__).resolve().parents[2] / "bench" / "mailsink.py"
)
mailsink = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mailsink)


class Keeping(mailsink.Counting):
    """The sink's counting handler, also keeping each message's bytes as received."""

    def __init__(self) -> None:
        super().__init__()
        self.contents: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        self.contents.append(envelope.original_content)
        return await super().handle_DATA(server, session, envelope)


def start(*, stock: bool):
    controller = (mailsink.Controller if stock else mailsink.SinkController)(
        Keeping(), hostname="127.0.0.1", port=free_port(), data_size_limit=100_000
    )
    controller.start()
    return controller


@pytest.fixture(scope="module")
def sinks():
    """aiosmtpd's own server and the sink, side by side."""
    stock, fast = start(stock=True), start(stock=False)
    yield stock, fast
    stock.stop()
    fast.stop()


def exchange(controller, data: bytes) -> tuple[list, bytes | None]:
    """Send one message's DATA bytes as they go on the wire (dot-stuffed, with the lone
    dot); return the server's replies to DATA and to them, and what the handler got."""
    handler = controller.handler
    received = len(handler.contents)
    with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
        client.ehlo()
        client.mail("sender@example.org")
        client.rcpt("reader@example.org")
        replies = [client.docmd("DATA")]
        client.send(data)
        replies.append(client.getreply())
        replies.append(client.noop())  # the connection still reads commands
    content = handler.contents[received] if len(handler.contents) > received else None
    return replies, content


def test_a_multi_line_message_arrives_intact_and_counted_for_each_recipient(sinks):
    _, sink = sinks
    lines = [b"Subject: digest", b"", b".hidden", b"..", b".", b"A sentence.", b"."]
    message = b"\r\n".join(lines + [b"word " * 15] * 800) + b"\r\n"  # 61 kB
    handler = sink.handler
    before = dict(handler.recipients)

    with smtplib.SMTP(sink.hostname, sink.port, timeout=10) as client:
        client.sendmail("sender@example.org", ["One@Example.org", "two@example.org"], message)
        client.sendmail("sender@example.org", ["one@example.org"], b"Second.\r\n")

    assert handler.contents[-2:] == [message, b"Second.\r\n"]
    assert handler.recipients["one@example.org"] - before.get("one@example.org", 0) == 2
    assert handler.recipients["two@example.org"] - before.get("two@example.org", 0) == 1
    assert handler.results()["bytes"] == sum(map(len, handler.contents))


@pytest.mark.parametrize(
    "data",
    [
        b".\r\n",  # empty
        b"\r\n.\r\n",
        b"a\r\n.\r\n",
        b"ab\r\n.\r\n",
        b"\r\n\r\n.\r\n",
        b"..\r\n.\r\n",
        b".x\r\n.\r\n",  # a dot the client did not double
        b"end.\r\n.\r\n",
        b"a\rb\nc\r\n.\r\n",  # bare CR and LF inside a line
        b"x" * 999 + b"\r\n.\r\n",  # the longest line allowed
        b"y\r\n" + b"x" * 1000 + b"\r\n.\r\n",  # one too long: 500
        b"z\r\n" * 40_000 + b".\r\n",  # 120 kB over the 100 kB limit: 552
        # (Both at once the sink answers 552, aiosmtpd whichever came first.)
    ],
)
def test_data_is_answered_and_read_as_aiosmtpd_does(sinks, data):
    stock, fast = sinks

    assert exchange(fast, data) == exchange(stock, data)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.text(alphabet=".\r\nab", max_size=6).map(str.encode)
        | st.binary(min_size=990, max_size=1010),
        max_size=12,
    )
)
def test_any_message_a_client_sends_arrives_as_with_aiosmtpd(sinks, lines):
    message = b"\r\n".join(lines)
    results = []
    for controller in sinks:
        handler = controller.handler
        received = len(handler.contents)
        with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
            try:  # smtplib dot-stuffs and ends the data as any client does
                client.sendmail("sender@example.org", ["reader@example.org"], message)
                reply = 250
            except smtplib.SMTPDataError as error:
                reply = error.smtp_code
        results.append((reply, handler.contents[received:]))
    stock, fast = results
    assert fast == stock


@pytest.mark.parametrize(
    "argument",
    [
        "<reader@example.org>",
        "<Reader.Name+tag@mail.example.org> SIZE=29000 BODY=8BITMIME",
        "<reader@example.org>  SIZE=1",
        "<reader@example.org>SIZE=1",
        "<reader@example.org> (a comment) SIZE=1",
        "<reader@example.org>\tSIZE=1",
        "<o'brien@example.org>",
        "<a..b@example.org>",
        "<.a@example.org>",
        '<"quoted name"@example.org>',
        "<reader@[192.0.2.1]>",
        "<@relay.example.org:reader@example.org>",
        "<>",
        "reader@example.org",
        " <reader@example.org>",
        "<reader@example.org",
        "<reader@exämple.org>",
    ],
)
def test_addresses_read_as_aiosmtpd_reads_them(argument):
    loop = asyncio.new_event_loop()
    try:
        sink, stock = mailsink.WholeDataSMTP(None, loop=loop), SMTP(None, loop=loop)
        assert sink._getaddr(argument) == stock._getaddr(argument)
    finally:
        loop.close()
