"""The sending benchmarks' SMTP sink: real SMTP over TCP, every recipient counted.

It stands in for the mail server, which in production is another machine; here it shares
two cores with the task workers and PostgreSQL, so it should cost as little as it can.
aiosmtpd speaks the protocol, but its `SMTP.smtp_DATA` reads a message line by line in
Python (a `readuntil` per line, with its checks), about 400 times for a 29 kB digest, with
the stream's buffer capped near one line so that the socket is paused and resumed all the
while, and it parses each MAIL FROM and RCPT TO address with the email package's header
parser. `WholeDataSMTP` reads the same bytes in one read and checks them at C speed, and
reads a plain <address> with a regular expression: about a third of aiosmtpd's processor
time a message in the benchmarks. Everything else (commands, states, replies, the handler's hook) is
aiosmtpd's; tests/bench/test_mailsink.py holds the two side by side.
"""

import asyncio
import logging
import re
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP

log = logging.getLogger("mail.log")  # aiosmtpd's logger

END_OF_DATA = b"\r\n.\r\n"
# A single message's limit: digests are ~29 kB. Above it the sink answers 552, as aiosmtpd.
DATA_SIZE_LIMIT = 1 << 20
# What senders write in MAIL FROM and RCPT TO: <dot-atom@domain>, maybe with parameters.
PLAIN_ADDRESS = re.compile(
    r"<([\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*)>",
    re.ASCII,
)


class WholeDataSMTP(SMTP):
    """aiosmtpd's SMTP server, reading DATA in one read, plain addresses without its parser.

    Replies as aiosmtpd 1.4 does: 503 without recipients, 501 with an argument, 354, then
    the handler's status (250 OK by default); 552 for more than data_size_limit bytes and
    500 for a line longer than line_length_limit. One difference: a message both too big
    and with a too-long line is answered 552, where aiosmtpd answers whichever came first.
    """

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """Return the address and the parameters after it, as aiosmtpd's parser would.

        That parser (the email package's header parser) takes ~0.1 ms an address, as
        long as the rest of a message's handling here; a plain address needs none of it.
        """
        plain = PLAIN_ADDRESS.match(arg)
        if plain and not self.local_part_limit:
            parameters = arg[plain.end() :]
            if not parameters:
                return plain[1], ""
            if parameters[0] == " " and "(" not in parameters:  # no comment to drop
                return plain[1], parameters.lstrip()
        return super()._getaddr(arg)

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 (aiosmtpd's name)
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return

        await self.push("354 End data with <CR><LF>.<CR><LF>")
        # The stream's limit is one command line (aiosmtpd's reader); a message is read in
        # chunks of up to a whole message. asyncio has no public setter for it.
        line_limit = self._reader._limit
        self._reader._limit = (self.data_size_limit or DATA_SIZE_LIMIT) + len(END_OF_DATA)
        try:
            data, too_much = await self._read_data()
        except asyncio.CancelledError:
            log.info("Connection lost during DATA")
            self._writer.close()
            raise
        finally:
            self._reader._limit = line_limit

        if too_much:
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()
            return
        if self._has_long_line(data):
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)")
            self._set_post_data_state()
            return

        # RFC 5321 section 4.5.2: a line starting with a dot had one added by the client.
        original_content = data.replace(b"\r\n.", b"\r\n")
        if original_content.startswith(b"."):
            original_content = original_content[1:]
        content: str | bytes = original_content
        if self._decode_data:
            if self.enable_SMTPUTF8:
                content = original_content.decode("utf-8", errors="surrogateescape")
            else:
                try:
                    content = original_content.decode("ascii", errors="strict")
                except UnicodeDecodeError:
                    await self.push("500 Error: strict ASCII mode")
                    return
        self.envelope.content = content
        self.envelope.original_content = original_content

        status = MISSING
        if "DATA" in self._handle_hooks:
            status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _read_data(self) -> tuple[bytes, bool]:
        """Read up to the lone dot; return the data (still dot-stuffed) and whether it
        was over data_size_limit (then dropped as it came, as aiosmtpd does).

        The end, "\\r\\n.\\r\\n", may begin with the DATA command's own line end or in
        the first three bytes; past them one read finds it. So a message that is empty or
        whose first line is shorter than that is read line by line, as aiosmtpd does.
        """
        head = await self._reader.readexactly(3)
        if head == b".\r\n":
            return b"", False
        separator = b"\n" if b"\n" in head or head.endswith(b"\r") else END_OF_DATA
        chunks = [head]
        size = len(head)
        limit = self.data_size_limit
        too_much = False
        tail = b"\r\n" + head  # the last bytes so far, to see the end across reads
        while True:
            try:
                chunk = await self._reader.readuntil(separator)
            except asyncio.LimitOverrunError as error:
                chunk = await self._reader.read(error.consumed)
            tail = tail + chunk[-len(END_OF_DATA) :]
            ended = tail.endswith(END_OF_DATA)
            tail = tail[-4:]
            size += len(chunk)
            if limit and size - 3 * ended > limit:
                too_much = True
                chunks.clear()
            if not too_much:
                chunks.append(chunk)
            if ended:
                break
        if too_much:
            return b"", True
        data = b"".join(chunks)
        return data[:-3], False  # without the lone dot's line

    def _has_long_line(self, data: bytes) -> bool:
        """Whether a line is longer than line_length_limit (with its line end).

        A line of 1,000 bytes or more holds a whole aligned 499-byte block without a line
        end; looking for one in each block is several times cheaper than splitting.
        """
        longest = self.line_length_limit - 2
        block = longest // 2
        if all(
            data.find(b"\r\n", start, start + block) >= 0
            for start in range(0, len(data) - block, block)
        ):
            return False
        return max(map(len, data.split(b"\r\n"))) > longest


class SinkController(Controller):
    """aiosmtpd's Controller serving WholeDataSMTP."""

    def factory(self) -> SMTP:
        return WholeDataSMTP(self.handler, **self.SMTP_kwargs)


class Counting:
    """An aiosmtpd handler counting what arrives: per recipient, messages and bytes."""

    def __init__(self) -> None:
        self.recipients: Counter = Counter()
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        for address in envelope.rcpt_tos:
            self.recipients[address.lower()] += 1
        self.messages += 1
        self.bytes += len(envelope.original_content)
        return "250 OK"

    def results(self) -> dict:
        return {"recipients": dict(self.recipients), "messages": self.messages, "bytes": self.bytes}


def start(port: int, *, stock: bool = False) -> tuple[Controller, Counting]:
    """Start a counting sink on 127.0.0.1:port in a thread; stock: aiosmtpd's own DATA."""
    counting = Counting()
    controller_class = Controller if stock else SinkController
    controller = controller_class(
        counting, hostname="127.0.0.1", port=port, data_size_limit=DATA_SIZE_LIMIT
    )
    controller.start()
    return controller, counting


def run_sink(port: int, ready, stop, results, stock: bool = False) -> None:
    """A sink process's body: serve until stop is set, then put what it counted."""
    controller, counting = start(port, stock=stock)
    ready.set()
    stop.wait()
    controller.stop()
    results.put(counting.results())
