"""One open widget socket, without the web framework: the frames it answers and the events it forwards.

Frames from the widget: ``hello`` (first), ``resume {after_id}``, ``message {text, client_id, title?}``,
``typing``, ``ping``. Frames to it: ``session``, ``message``, ``synced``, ``received``, ``ack``,
``typing {on}``, ``status``, ``error``, ``pong``.

The bus only says that something changed; what the widget gets is read from the database after the
last id it has (``history.replay``), so a dropped event or a reconnect loses nothing and repeats
nothing. The socket subscribes before it reads, so nothing falls between the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from bot.services import webchat_history as history
from bot.storage.models import ConversationStatus

from .adapter import FrameError, Visitor, WebchatAdapter, refusal
from .sender import visitor_topic

log = logging.getLogger("pishkhan.webchat")
SendFrame = Callable[[dict[str, Any]], Awaitable[None]]
CloseSocket = Callable[[int], Awaitable[None]]
POLL_SECONDS = 1.0  # while a reply is being recorded or a sent message is not stored yet
IDLE_SECONDS = 30.0  # an idle socket still looks for what it may have missed
AWAIT_SECONDS = 120.0  # stop looking for a queued message after this long (the widget re-sends it)
TYPING_EVERY = 2.0  # publish the customer's typing at most this often
KEPT_TOPICS = 3
MAX_ID = 2**62  # message ids never get near it; a larger number would overflow the query


class Subscriptions:
    """Several bus topics into one queue; topics may be added while it runs."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(1000)
        self._stack = AsyncExitStack()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    async def add(self, topic: str) -> None:
        if topic in self._tasks:
            return
        source = await self._stack.enter_async_context(self.bus.subscribe(topic))
        self._tasks[topic] = asyncio.create_task(self._forward(source))

    async def _forward(self, source: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            await self.queue.put(await source.get())

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stack.aclose()


class VisitorSession:
    def __init__(self, adapter: WebchatAdapter, send: SendFrame, close: CloseSocket, *, ip: str) -> None:
        self.adapter, self._send_raw, self._close, self.ip = adapter, send, close, ip
        self.visitor: Visitor | None = None
        self.last_id: int | None = None  # the widget has every message up to here (None: not resumed)
        self.published: set[int] = set()  # replies the outbox delivered while this socket listened
        self.awaiting: dict[str, float] = {}  # client ids queued through this socket, not stored yet
        self.blocked = False
        self.typing = False
        self.conversation_id: int | None = None
        self._subs: Subscriptions | None = None
        self._send_lock, self._sync_lock = asyncio.Lock(), asyncio.Lock()
        self._typing_sent_at = 0.0

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._send_raw(frame)

    async def close(self, code: int) -> None:
        await self._close(code)

    # -- life cycle -----------------------------------------------------------------------------------

    async def start(self, hello: dict[str, Any]) -> Visitor:
        if hello.get("type") != "hello":
            raise refusal("not_ready")
        self.visitor = visitor = await self.adapter.hello(hello)
        status = None if visitor.new else await self.adapter.status(visitor)
        await self.send(
            {
                "type": "session",
                "token": visitor.token,
                "visitor": visitor.visitor_id,
                "new": visitor.new,
                "verified": visitor.shop_user_id is not None,
                "identity_rejected": visitor.identity_rejected,
                "shop": self.adapter.settings.shop_name,
                "online": self.adapter.online(),
                "status": str(status) if status else None,
            }
        )
        return visitor

    @asynccontextmanager
    async def live(self) -> AsyncIterator[None]:
        """Listen to the visitor's topic (and their conversation's) until the socket closes."""
        assert self.visitor is not None, "start() first"
        self._subs = Subscriptions(self.adapter.bus)
        await self._subs.add(visitor_topic(self.visitor.visitor_id))
        pump = asyncio.create_task(self._pump(self._subs.queue))
        self.adapter.sockets.add(self)
        try:
            yield
        finally:
            self.adapter.sockets.discard(self)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
            await self._subs.close()

    # -- frames from the widget -----------------------------------------------------------------------

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        try:
            if kind == "message":
                await self._message(frame)
            elif kind == "resume":
                await self._resume(frame.get("after_id"))
            elif kind == "typing":
                await self._typing(bool(frame.get("on", True)))
            elif kind == "ping":
                await self.send({"type": "pong"})
            else:
                raise refusal("bad_request")
        except FrameError as exc:
            error = {"type": "error", "code": exc.code, "text": exc.text}
            if isinstance(frame.get("client_id"), str):
                error["client_id"] = frame["client_id"]
            await self.send(error)

    async def _message(self, frame: dict[str, Any]) -> None:
        assert self.visitor is not None
        accepted = await self.adapter.accept(self.visitor, frame, ip=self.ip)
        self.awaiting[accepted.client_id] = time.monotonic()
        await self.send({"type": "received", "client_id": accepted.client_id})
        if not accepted.stored:
            await self.sync()  # a re-send of something stored before: its ack may be due now

    async def _resume(self, after_id: object) -> None:
        assert self.visitor is not None
        if after_id is not None and (
            not isinstance(after_id, int) or isinstance(after_id, bool) or not 0 <= after_id <= MAX_ID
        ):
            raise refusal("bad_request")
        if after_id is None:
            async with self._sync_lock:
                async with self.adapter.sessionmaker() as session:
                    batch = await history.tail(session, self.visitor.visitor_id, published=self.published)
                # before the first message shown, or before a reply still on its way
                self.last_id = (batch.blocked_at - 1) if batch.blocked_at and not batch.messages else 0
                await self._deliver(batch)
        else:
            self.last_id = max(after_id, self.last_id or 0)
            await self.sync()
        await self.send({"type": "synced", "last_id": self.last_id})

    async def _typing(self, on: bool) -> None:
        now = time.monotonic()
        if self.conversation_id is None or (on and now - self._typing_sent_at < TYPING_EVERY):
            return
        self._typing_sent_at = now if on else 0.0
        await self.adapter.bus.publish(
            f"conversation:{self.conversation_id}",
            {"type": "typing", "actor": "customer", "on": on, "conversation_id": self.conversation_id},
        )

    # -- what the widget is sent ----------------------------------------------------------------------

    async def sync(self) -> None:
        """Send what was stored after the widget's last id."""
        if self.visitor is None:
            return
        async with self._sync_lock:
            if self.last_id is None:
                return
            async with self.adapter.sessionmaker() as session:
                batch = await history.replay(
                    session, self.visitor.visitor_id, after_id=self.last_id, published=self.published
                )
            await self._deliver(batch)

    async def _deliver(self, batch: history.Replay) -> None:
        replied = False
        for frame in batch.messages:
            client_id = frame.get("client_id")
            if client_id and self.awaiting.pop(client_id, None) is not None:
                await self.send({"type": "ack", "client_id": client_id, "id": frame["id"]})
            await self.send(frame)
            replied = replied or frame["direction"] == "out"
            self.last_id = frame["id"]
            if frame["conversation_id"] != self.conversation_id:
                await self._follow(frame["conversation_id"])
        self.published = {i for i in self.published if self.last_id is None or i > self.last_id}
        self.blocked = batch.blocked
        if replied and self.typing:
            await self._set_typing(False)

    async def _follow(self, conversation_id: int) -> None:
        """Listen to the conversation the widget shows now (status changes, an agent typing)."""
        self.conversation_id = conversation_id
        if self._subs is not None and len(self._subs) <= KEPT_TOPICS:
            await self._subs.add(f"conversation:{conversation_id}")

    async def _set_typing(self, on: bool) -> None:
        self.typing = on
        await self.send({"type": "typing", "on": on})

    # -- events from the bus --------------------------------------------------------------------------

    async def _pump(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        try:
            while True:
                waiting = self._expire_awaiting()
                timeout = POLL_SECONDS if (self.blocked or waiting) else IDLE_SECONDS
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:  # idle too: a missed event (Redis away) costs at most IDLE_SECONDS
                    await self.sync()
                    continue
                await self._on_event(event)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database went away, or the socket did: the widget reconnects and resumes
            log.warning("widget socket stopped forwarding; closing it so the widget resumes", exc_info=True)
            with contextlib.suppress(Exception):
                await self._close(1011)

    def _expire_awaiting(self) -> bool:
        cutoff = time.monotonic() - AWAIT_SECONDS
        self.awaiting = {k: at for k, at in self.awaiting.items() if at > cutoff}
        return bool(self.awaiting)

    async def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message":
            if isinstance(event.get("message_id"), int):
                self.published.add(event["message_id"])
            await self.sync()
        elif kind == "typing" and event.get("actor") != "customer":
            await self._set_typing(bool(event.get("on")))
        elif kind == "conversation.updated" and event.get("conversation_id") == self.conversation_id:
            status = str(event.get("status") or "")
            await self.send({"type": "status", "status": status})
            if self.typing and status != ConversationStatus.BOT:
                await self._set_typing(False)  # handed over or resolved: the bot is not composing
            await self.sync()
