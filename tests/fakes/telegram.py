"""A local Telegram Bot API (channels.md §1.1) on a loopback port, reached by aiogram's real client.

``POST|GET /bot<token>/<method>`` with multipart (as aiogram sends), form, JSON or query parameters;
nested objects arrive JSON-encoded inside form fields and are decoded. Answers Telegram's envelope
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description", "parameters"?}``.
Like Telegram it refuses text over 4,096 UTF-16 units, callback_data over 64 bytes, getUpdates while a
webhook is set (409), and unknown tokens (401). ``fail`` scripts the next answers of a method (429
with retry_after, 403, 500, a hang); ``push_update`` queues updates for getUpdates.
``GET /_fake/accepted`` lists the accepted messages with the wall-clock time each arrived, so a
benchmark in another process can read back what every chat was shown.

Run alone for benchmarks: ``python -m tests.fakes.telegram PORT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "42:TEST"
BOT_USER = {"id": 42, "is_bot": True, "first_name": "Pishkhan", "username": "pishkhan_test_bot"}
JSON_FIELDS = ("reply_markup", "allowed_updates", "entities", "reply_parameters", "link_preview_options")


@dataclass(frozen=True)
class Call:
    token: str
    method: str
    params: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    delay: float = 0.0  # seconds before answering: longer than the client's timeout makes a timeout
    body: dict[str, Any] | None = None  # answer exactly this instead (a compatible server's own shapes)


@dataclass
class FakeTelegram:
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    max_wait: float = 2.0  # a long poll never holds longer than this, whatever its timeout
    calls: list[Call] = field(default_factory=list)  # every request, refused ones too
    accepted: list[dict[str, Any]] = field(default_factory=list)  # messages a customer would see
    accepted_at: list[float] = field(default_factory=list)  # time.time() of each: latency across processes
    url: str = ""
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    _failures: dict[str, list[Failure | None]] = field(default_factory=lambda: defaultdict(list))
    _updates: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000))
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None

    # -- life cycle -----------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeTelegram:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/_fake/accepted", self._accepted)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        host, bound = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{bound}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting and inspection ---------------------------------------------------------------

    def fail(self, method: str, failure: Failure, times: int = 1) -> None:
        self._failures[method.lower()].extend([failure] * times)

    def recover(self) -> None:
        """Forget every scripted failure still to come: Telegram is well again."""
        self._failures.clear()

    def script(self, method: str, *answers: Failure | None) -> None:
        """The next answers of ``method`` in turn: a failure, or None for a normal answer."""
        self._failures[method.lower()].extend(answers)

    async def push_update(self, update: dict[str, Any], token: str = TOKEN) -> None:
        self._updates[token].append(update)
        await self._notify()

    def of(self, method: str, token: str | None = None) -> list[dict[str, Any]]:
        """The parameters of every call of ``method`` so far, oldest first."""
        return [
            c.params
            for c in self.calls
            if c.method.lower() == method.lower() and (token is None or c.token == token)
        ]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """The texts Telegram accepted (refused attempts are in ``calls`` only), oldest first."""
        return [
            m["text"]
            for m in self.accepted
            if "text" in m and (chat_id is None or str(m["chat"]["id"]) == str(chat_id))
        ]

    async def wait_for(self, method: str, count: int = 1, within: float = 15.0) -> list[dict[str, Any]]:
        """Until ``method`` has been called ``count`` times; fails the test after ``within`` seconds."""
        assert self._changed is not None
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.of(method)) >= count)
        return self.of(method)

    async def _accepted(self, _request: web.Request) -> web.Response:
        """Every accepted message, oldest first, each with ``at`` (its time.time())."""
        found = [{**m, "at": at} for m, at in zip(self.accepted, self.accepted_at, strict=True)]
        return web.json_response({"messages": found}, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    # -- the API --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(token, method, params, time.monotonic()))
        await self._notify()
        if token not in self.tokens:
            return _error(401, "Unauthorized")
        scripted = self._failures.get(method.lower())
        failure = scripted.pop(0) if scripted else None
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.body is not None:
                return web.json_response(failure.body, status=failure.status)
            return _error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(token, params)

    async def _m_getme(self, _token: str, _params: dict[str, Any]) -> web.Response:
        return _ok(BOT_USER)

    async def _m_sendmessage(self, _token: str, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text") or "")
        if not text:
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message is too long")
        problem = _markup_problem(params.get("reply_markup"))
        if problem:
            return _error(400, f"Bad Request: {problem}")
        return _ok(self._message(params, text=text))

    async def _m_sendphoto(self, _token: str, params: dict[str, Any]) -> web.Response:
        return _ok(
            self._message(params, photo=[{"file_id": "p1", "file_unique_id": "u1", "width": 1, "height": 1}])
        )

    async def _m_sendchataction(self, _token: str, _params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_answercallbackquery(self, _token: str, params: dict[str, Any]) -> web.Response:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query id is empty")
        return _ok(True)

    async def _m_setwebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        if not params.get("url"):
            self.webhooks.pop(token, None)
            return _ok(True, "Webhook was deleted")
        self.webhooks[token] = params
        return _ok(True, "Webhook was set")

    async def _m_deletewebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        self.webhooks.pop(token, None)
        if params.get("drop_pending_updates") in (True, "true"):
            self._updates[token].clear()
        return _ok(True, "Webhook was deleted")

    async def _m_getwebhookinfo(self, token: str, _params: dict[str, Any]) -> web.Response:
        hook = self.webhooks.get(token, {})
        info = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates[token]),
        }
        if hook.get("allowed_updates"):
            info["allowed_updates"] = hook["allowed_updates"]
        return _ok(info)

    async def _m_getupdates(self, token: str, params: dict[str, Any]) -> web.Response:
        if token in self.webhooks:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        self._updates[token] = [u for u in self._updates[token] if u["update_id"] >= offset]
        wait = min(float(params.get("timeout") or 0), self.max_wait)
        assert self._changed is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait), self._changed:
                await self._changed.wait_for(lambda: bool(self._updates[token]))
        return _ok(list(self._updates[token][: int(params.get("limit") or 100)]))

    # -- helpers --------------------------------------------------------------------------------

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.accepted.append(message)
        self.accepted_at.append(time.time())
        return message

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()  # multipart/form-data (aiogram) or urlencoded
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _markup_problem(markup: Any) -> str | None:
    for row in (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                return "BUTTON_DATA_INVALID"
    return None


def _ok(result: Any, description: str | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return web.json_response(body, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


def too_many_requests(retry_after: int = 1) -> Failure:
    return Failure(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def blocked() -> Failure:
    return Failure(403, "Forbidden: bot was blocked by the user")


def server_error() -> Failure:
    return Failure(500, "Internal Server Error")


async def _serve_forever(port: int) -> None:
    fake = await FakeTelegram().start(port)
    print(fake.url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
