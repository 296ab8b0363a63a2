"""Local stand-ins for the far side of delivery: a shop's webhook endpoint over HTTP and an SMTP
server, both on loopback ports, reached by the real client code (httpx, smtplib)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiohttp import web

from bot.storage.base import utcnow


class Clock:
    """The sender's clock, moved by hand: retries become due without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        # a minute ahead of the wall clock, so rows that services queue "now" are due at once
        self.now = (start or utcnow() + timedelta(minutes=1)).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Reply:
    status: int = 200
    text: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the client's timeout: a timeout)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    at: datetime


class FakeShop:
    """Records every webhook request; answers from ``script`` in order, then 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[Reply] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> FakeShop:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.received.append(Received(request.path, dict(request.headers), raw, datetime.now(UTC)))
        reply = self.script.pop(0) if self.script else Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return web.Response(status=reply.status, text=reply.text, headers=reply.headers)


class FakeSmtp:
    """Just enough SMTP (EHLO, MAIL, RCPT, DATA, QUIT) to receive a message; refuses chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # recipient -> reply line, e.g. "550 5.1.1 no such user"
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> FakeSmtp:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        await say("220 fake.smtp ready")
        accepted: list[str] = []
        with contextlib.suppress(ConnectionError):
            while line := (await reader.readline()).decode().strip():
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    await say("250-fake.smtp\r\n250 8BITMIME")
                elif verb == "MAIL":
                    accepted = []
                    await say("250 ok")
                elif verb == "RCPT":
                    address = line.split(":", 1)[1].strip().strip("<>")
                    if address in self.refuse:
                        await say(self.refuse[address])
                    else:
                        accepted.append(address)
                        await say("250 ok")
                elif verb == "DATA":
                    await say("354 go ahead")
                    data = await reader.readuntil(b"\r\n.\r\n")
                    self.messages.append(message_from_bytes(data[:-5], policy=policy.default))  # type: ignore[arg-type]
                    await say("250 queued")
                elif verb == "QUIT":
                    await say("221 bye")
                    break
                else:
                    await say("250 ok")
        writer.close()
