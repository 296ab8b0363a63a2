"""Simulated customers for the load bench (``load.py``): each holds a short Persian conversation on one
channel and records what it sent and what it was shown, with wall-clock times (the fake Telegram API
runs in another process, so every time here is ``time.time()``).

- REST: one request per message; the answer carries the turn's replies.
- Telegram: the updates are POSTed one after another without waiting for replies, as people type; the
  replies are read back from the fake Bot API afterwards (``read_telegram``).
- Widget: two tabs of one visitor, each its own socket. The first tab speaks and waits for a reply; the
  second only listens, so it hears a turn only through the event bus — with several workers it is often
  on another worker than the one that ran the turn, which is what Redis pub/sub must bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from bot.text.digits import to_persian_digits

CHANNELS = ("rest", "telegram", "webchat")
TELEGRAM_SECRET = "bench-load-telegram-secret"
WAIT_SECONDS = 90.0  # one reply, under the whole load; past it the customer gives up and it is reported
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0)  # about 40 s of server errors, then give up
FIRST_CHAT = 610_000_000


def script(order: str, phone: str) -> list[str]:
    """Greeting, track an order, the order's phone when asked, thanks, goodbye (tests/conversations)."""
    return [
        "سلام وقت بخیر",
        f"سفارش {to_persian_digits(order)} من کجاست؟",
        to_persian_digits(phone),
        "ممنون",
        "خداحافظ",
    ]


@dataclass
class Customer:
    n: int
    channel: str
    order: str
    phone: str
    key: str = ""  # the channel's user id: REST sender, Telegram chat id, widget visitor id
    texts: list[str] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    # what each client view showed, in arrival order: (item, time); the widget has two tabs
    views: dict[str, list[tuple[Any, float]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    ports: dict[str, list[int]] = field(default_factory=dict)  # widget tab -> its sockets' local ports
    retries: int = 0  # requests sent again after a server error or a dropped connection
    reconnects: int = 0  # widget sockets the server closed (the tab reconnected and resumed)
    talked: asyncio.Event = field(default_factory=asyncio.Event)  # every message sent (and acknowledged)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # the bench has read what it needs

    @property
    def primary(self) -> str:
        """The view the customer's own messages were sent from (its latencies are measured there)."""
        return "tab1" if self.channel == "webchat" else self.channel


def make_customers(count: int, first_order: int, first_phone: int) -> list[Customer]:
    customers = []
    for n in range(count):
        order, phone = str(first_order + n), f"0912{first_phone + n}"
        customer = Customer(n, CHANNELS[n % len(CHANNELS)], order, phone, texts=script(order, phone))
        if customer.channel == "rest":
            customer.key = f"load-rest-{n}"
        elif customer.channel == "telegram":
            customer.key = str(FIRST_CHAT + n)
        customers.append(customer)
    return customers


# -- HTTP, as a platform sends it -------------------------------------------------------------------


async def post_until_answered(
    client: httpx.AsyncClient, url: str, customer: Customer, what: str, **request: Any
) -> httpx.Response | None:
    """POST as Telegram redelivers an update (and as a REST client may retry): a server error or a
    dropped connection is sent again with the same body, which the app must take once. None when
    every attempt failed (recorded as an error)."""
    for delay in (*RETRY_DELAYS, None):
        try:
            response = await client.post(url, **request)
            if response.status_code < 500:
                return response
            reason = f"HTTP {response.status_code}"
        except httpx.TransportError as exc:
            reason = type(exc).__name__
        if delay is None:
            customer.errors.append(f"{what}: {reason} on every attempt")
            return None
        customer.retries += 1
        await asyncio.sleep(delay)
    return None


# -- REST ------------------------------------------------------------------------------------------


def rest_item(reply: dict[str, Any]) -> str:
    """One entry of a REST answer, comparable with what the database says was answered."""
    return json.dumps(reply, ensure_ascii=False, sort_keys=True)


async def rest_customer(client: httpx.AsyncClient, base: str, customer: Customer) -> None:
    view = customer.views.setdefault("rest", [])
    for k, text in enumerate(customer.texts):
        body = {"sender": customer.key, "message": text, "metadata": {"message_id": f"{customer.key}-{k}"}}
        customer.sent_at.append(time.time())
        response = await post_until_answered(
            client, f"{base}/webhooks/rest/webhook", customer, f"message {k}", json=body
        )
        at = time.time()
        if response is not None and response.status_code != 200:
            customer.errors.append(f"message {k}: HTTP {response.status_code}")
        elif response is not None:
            view += [(rest_item(reply), at) for reply in response.json()]
    customer.talked.set()


# -- Telegram --------------------------------------------------------------------------------------


def telegram_update(chat: int, k: int, text: str) -> dict[str, Any]:
    return {
        "update_id": 900_000_000 + (chat - FIRST_CHAT) * 10 + k,
        "message": {
            "message_id": k + 1,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "مشتری"},
            "from": {"id": chat, "is_bot": False, "first_name": "مشتری", "language_code": "fa"},
            "text": text,
        },
    }


async def telegram_customer(
    client: httpx.AsyncClient, base: str, customer: Customer, rng: random.Random
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    for k, text in enumerate(customer.texts):
        if k:
            await asyncio.sleep(rng.uniform(0.02, 0.2))  # typing the next one, not reading the answer
        customer.sent_at.append(time.time())
        update = telegram_update(int(customer.key), k, text)
        response = await post_until_answered(
            client, f"{base}/webhooks/telegram", customer, f"update {k}", json=update, headers=headers
        )
        if response is None:
            continue
        receipt = response.json() if response.status_code == 200 else {}
        if receipt.get("queued", 0) + receipt.get("duplicates", 0) != 1:  # a redelivery is a duplicate
            customer.errors.append(f"update {k}: HTTP {response.status_code} {response.text[:100]}")
    customer.talked.set()


def telegram_item(message: dict[str, Any]) -> str:
    return message.get("text", "[photo]")


async def read_telegram(client: httpx.AsyncClient, api: str, customers: list[Customer]) -> int:
    """Fill each Telegram customer's view from what the fake Bot API accepted; returns how many."""
    messages = (await client.get(f"{api}/_fake/accepted")).json()["messages"]
    chats = {c.key: c.views.setdefault("telegram", []) for c in customers if c.channel == "telegram"}
    for view in chats.values():
        view.clear()
    for message in messages:
        view = chats.get(str(message["chat"]["id"]))
        if view is not None:
            view.append((telegram_item(message), message["at"]))
    return len(messages)


# -- Widget ----------------------------------------------------------------------------------------


class Tab:
    """One widget tab, as ``api/static/webchat`` behaves: hello with the visitor token, resume after the
    last message id shown, reconnect with backoff when the server closes the socket, and send again
    every message not yet acknowledged. Keeps every frame of every connection, with the time."""

    def __init__(self, url: str, customer: Customer, rng: random.Random) -> None:
        self.url, self.customer, self.rng = url, customer, rng
        self.token: str | None = None
        self.frames: list[tuple[dict[str, Any], float]] = []
        self.messages: list[tuple[Any, float]] = []  # (message id, time): what the widget shows
        self.unacked: dict[str, str] = {}  # client id -> text
        self.ports: list[int] = []  # the local port of each connection
        self._socket: ClientConnection | None = None
        self._synced = False
        self._ever_synced = False
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self, token: str | None) -> dict[str, Any]:
        """Connect; the session frame once the first resume has synced."""
        self.token = token
        self._task = asyncio.create_task(self._run())
        await self.wait_for(lambda f: f.get("type") == "synced", "the first sync")
        return next(f for f, _ in self.frames if f.get("type") == "session")

    async def say(self, client_id: str, text: str) -> None:
        self.unacked[client_id] = text
        if self._socket is not None and self._synced:  # otherwise sent once the socket has synced
            await self._send({"type": "message", "client_id": client_id, "text": text})

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                async with connect(self.url, open_timeout=30, ping_interval=None, max_size=2**20) as socket:
                    self._socket = socket
                    self.ports.append(socket.local_address[1])
                    await self._send({"type": "hello", "token": self.token})
                    async for raw in socket:
                        attempt = 0
                        await self._on_frame(json.loads(raw), time.time())
            except (OSError, TimeoutError, WebSocketException):
                pass
            finally:
                self._socket, self._synced = None, False
                async with self._changed:
                    self._changed.notify_all()
            self.customer.reconnects += 1
            await asyncio.sleep(min(8.0, 2.0**attempt) * self.rng.uniform(0.5, 1.0))
            attempt += 1

    async def _on_frame(self, frame: dict[str, Any], at: float) -> None:
        kind = frame.get("type")
        self.frames.append((frame, at))
        if kind == "session":
            self.token = frame["token"]
            last = self.messages[-1][0] if self.messages else 0
            await self._send({"type": "resume", "after_id": last if self._ever_synced else None})
        elif kind == "synced":
            self._synced = self._ever_synced = True
            for client_id, text in list(self.unacked.items()):  # never acknowledged: send again
                await self._send({"type": "message", "client_id": client_id, "text": text})
        elif kind == "message":
            self.messages.append((frame["id"], at))
            self.unacked.pop(frame.get("client_id") or "", None)
        elif kind in ("ack", "error"):
            self.unacked.pop(frame.get("client_id") or "", None)
        async with self._changed:
            self._changed.notify_all()

    async def _send(self, frame: dict[str, Any]) -> None:
        socket = self._socket
        if socket is not None:
            with contextlib.suppress(WebSocketException):  # closing: the reconnect sends it again
                await socket.send(json.dumps(frame, ensure_ascii=False))

    async def wait_for(self, match: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((f for f, _ in self.frames if match(f)), None)

        try:
            async with asyncio.timeout(WAIT_SECONDS), self._changed:
                await self._changed.wait_for(lambda: found() is not None)
        except TimeoutError:
            raise RuntimeError(f"no {what} within {WAIT_SECONDS:.0f} s") from None
        return found()  # type: ignore[return-value]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._socket is not None:
            await self._socket.close()


async def widget_customer(base: str, customer: Customer, rng: random.Random) -> None:
    """Speak on the first tab, listen on the second; keep both open until the bench has read them."""
    url = base.replace("http://", "ws://") + "/widget/ws"
    tabs: dict[str, Tab] = {}
    try:
        for name in ("tab1", "tab2"):
            tabs[name] = Tab(url, customer, rng)
            customer.views[name] = tabs[name].messages  # live: the bench waits on it
            session = await tabs[name].start(tabs["tab1"].token)
            if customer.key and session["visitor"] != customer.key:
                raise RuntimeError("the second tab was given another visitor")
            customer.key = session["visitor"]
            customer.ports[name] = tabs[name].ports
        await _widget_talk(tabs["tab1"], customer)
    except Exception as exc:  # recorded and reported; the other customers go on
        customer.errors.append(f"widget: {type(exc).__name__}: {exc}")
    finally:
        customer.talked.set()
        try:
            await customer.release.wait()
        finally:
            for tab in tabs.values():
                await tab.close()


async def _widget_talk(tab: Tab, customer: Customer) -> None:
    for k, text in enumerate(customer.texts):
        client_id = f"load{customer.n:04d}m{k}"
        customer.sent_at.append(time.time())
        await tab.say(client_id, text)
        stored = await tab.wait_for(
            lambda f, c=client_id: f.get("client_id") == c and f.get("type") in ("message", "error"),
            f"message {k} shown as stored",
        )
        if stored["type"] == "error":
            raise RuntimeError(f"message {k} refused: {stored.get('code')}")
        await tab.wait_for(
            lambda f, i=stored["id"]: f.get("type") == "message" and f["direction"] == "out" and f["id"] > i,
            f"a reply to message {k}",
        )
