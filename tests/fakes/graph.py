"""A local Graph API Send endpoint (channels.md §3.4) on a loopback port, reached by the real httpx client.

``POST /{version}/{account id | me}/messages`` with the token as a Bearer header or ``access_token``
query; answers ``{"recipient_id", "message_id"}`` or Meta's error envelope. Like Meta it refuses text
over 1,000 UTF-8 bytes and more than 13 quick replies, and refuses plain sends to users whose window
is ``closed`` (error 10/2534022) unless they carry the HUMAN_AGENT tag. ``script`` answers the next
requests with chosen errors (rate limit, 500, a hang past the client's timeout).

Run alone for benchmarks: ``python -m tests.fakes.graph PORT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "fake-instagram-token"


@dataclass(frozen=True)
class GraphReply:
    """One scripted answer. ``delay`` longer than the client's timeout makes a timeout."""

    status: int = 200
    error: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def fail(
        cls, code: int, subcode: int | None = None, *, status: int = 400, message: str = "", **kw: Any
    ) -> GraphReply:
        error = {
            "message": message or f"(#{code}) fake error",
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AfakeTrace",
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        return cls(status=status, error=error, **kw)

    @classmethod
    def window_closed(cls) -> GraphReply:
        return cls.fail(10, 2534022, message="(#10) This message is sent outside of allowed window.")

    @classmethod
    def rate_limited(cls, retry_after: int | None = None) -> GraphReply:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls.fail(
            613, 2534040, message="Calls to this api have exceeded the rate limit.", headers=headers
        )

    @classmethod
    def server_error(cls) -> GraphReply:
        return cls(status=500, error=None)

    @classmethod
    def hang(cls, seconds: float = 5.0) -> GraphReply:
        return cls(delay=seconds)


@dataclass
class GraphRequest:
    path: str
    token: str | None
    body: dict[str, Any]
    mid: str | None = None  # the message id answered, when accepted

    @property
    def text(self) -> str | None:
        return (self.body.get("message") or {}).get("text")


class FakeGraph:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[GraphRequest] = []  # every request that reached the endpoint, in order
        self.script: list[GraphReply] = []
        self.closed: set[str] = set()  # IGSIDs outside the 24-hour window, as far as "Meta" knows
        self.url = ""
        self._mids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()

    @property
    def sent(self) -> list[GraphRequest]:
        """Requests answered with a message id."""
        return [r for r in self.requests if r.mid]

    async def start(self, port: int = 0) -> FakeGraph:
        app = web.Application()
        app.router.add_post("/{version}/{node}/messages", self._handle)
        app.router.add_get("/healthz", _healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        host, bound = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{bound}"
        return self

    async def close(self) -> None:
        self._closing.set()  # hung requests answer now instead of holding the shutdown
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, count: int, seconds: float = 10.0) -> list[GraphRequest]:
        """Wait until ``count`` messages were accepted (a background sender is at work)."""
        async with asyncio.timeout(seconds), self._arrived:
            await self._arrived.wait_for(lambda: len(self.sent) >= count)
        return self.sent

    async def _handle(self, request: web.Request) -> web.Response:
        body = await _body(request)
        auth = request.headers.get("Authorization", "")
        token = (
            auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else request.query.get("access_token")
        )
        entry = GraphRequest(request.path, token, body)
        self.requests.append(entry)
        reply = self.script.pop(0) if self.script else self._judge(entry)
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), reply.delay)
        if reply.status >= 500 and reply.error is None:
            return web.Response(status=reply.status, text="<html>500 Internal Server Error</html>")
        if reply.error is not None:
            return web.json_response({"error": reply.error}, status=reply.status, headers=reply.headers)
        entry.mid = f"aWdfZAG1faXRlbToxOklHTWVzc2FnZAZDZDfake{next(self._mids):06d}"
        async with self._arrived:
            self._arrived.notify_all()
        answer = {"recipient_id": body["recipient"]["id"], "message_id": entry.mid}
        return web.json_response(answer, headers=reply.headers)

    def _judge(self, request: GraphRequest) -> GraphReply:
        """What Meta itself would answer to this request."""
        if request.token != self.token:
            return GraphReply.fail(190, 463, message="Error validating access token: Session has expired")
        recipient = (request.body.get("recipient") or {}).get("id")
        if not recipient:
            return GraphReply.fail(100, message="(#100) The parameter recipient is required")
        message = request.body.get("message") or {}
        if len((message.get("text") or "").encode()) > 1000:
            return GraphReply.fail(
                100, 2018001, message="(#100) Length of param message[text] must be at most 1000"
            )
        if len(message.get("quick_replies") or []) > 13:
            return GraphReply.fail(
                100, message="(#100) param message[quick_replies] must have at most 13 elements"
            )
        tagged = (
            request.body.get("messaging_type") == "MESSAGE_TAG" and request.body.get("tag") == "HUMAN_AGENT"
        )
        if recipient in self.closed and not tagged:
            return GraphReply.window_closed()
        return GraphReply()


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _body(request: web.Request) -> dict[str, Any]:
    """JSON, or form fields whose values are JSON strings (as in Meta's curl samples)."""
    if request.content_type == "application/json":
        data = await request.json()
        return data if isinstance(data, dict) else {}
    form = await request.post()
    out: dict[str, Any] = {}
    for key, value in form.items():
        try:
            out[key] = json.loads(str(value))
        except json.JSONDecodeError:
            out[key] = str(value)
    return out


async def _serve(port: int) -> None:
    graph = await FakeGraph().start(port)
    print(graph.url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await graph.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
