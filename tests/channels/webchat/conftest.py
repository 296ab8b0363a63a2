"""Web-chat fixtures: the widget's socket sessions wired to the real inbound worker, dialogue, outbox
sender and event bus, without HTTP in between (the browser tests cover the HTTP side).

The bot understands button payloads (``/track_order{"order_id":"1000001"}``) exactly; free text goes
to a stand-in for the NLU model, so these tests need no trained model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.background import publish_turn
from api.runtime import DIALOGUE_DATA
from bot.channels.inbound import InboundWorker
from bot.channels.registry import ChannelContext
from bot.channels.webchat.adapter import WebchatAdapter
from bot.channels.webchat.sender import make_sender
from bot.channels.webchat.session import VisitorSession
from bot.channels.webchat.tokens import identity_hash
from bot.config import Settings
from bot.delivery import OutboxSender, SenderRegistry
from bot.dialogue.engine import DialogueEngine
from bot.dialogue.locks import LocalLocks
from bot.dialogue.runtime import ConversationRuntime
from bot.events import LocalBus
from tests.shop import KnownShop, load_known_shop

IDENTITY_SECRET = "test-widget-identity-secret"


class FallbackNlu:
    """Every free text is not understood; payloads never reach it."""

    def parse(self, text: str) -> dict[str, Any]:
        return {
            "text": text,
            "intent": {"name": "nlu_fallback", "confidence": 0.0},
            "entities": [],
            "intent_ranking": [],
        }


@pytest.fixture(scope="session")
def dialogue() -> DialogueEngine:
    return DialogueEngine.load(DIALOGUE_DATA)


@pytest.fixture
def chat_settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        env="test",
        _env_file=None,
        widget_identity_secret=IDENTITY_SECRET,
        widget_new_conversations_per_ip_per_hour=3,
    )


def sara_hash(shop_user: str = "u-1") -> str:
    return identity_hash(IDENTITY_SECRET, shop_user)


@dataclass
class Client:
    """One widget socket: what it was sent, in order."""

    session: VisitorSession
    frames: list[dict[str, Any]] = field(default_factory=list)
    _stack: Any = None

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == kind]

    def messages(self) -> list[dict[str, Any]]:
        return self.of("message")

    @property
    def token(self) -> str:
        return self.of("session")[-1]["token"]

    @property
    def visitor(self) -> str:
        return self.of("session")[-1]["visitor"]

    async def send(self, frame: dict[str, Any]) -> None:
        await self.session.handle(frame)

    async def say(self, text: str, client_id: str, title: str | None = None) -> None:
        await self.send({"type": "message", "text": text, "client_id": client_id, "title": title})

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.__aexit__(None, None, None)
            self._stack = None


@dataclass
class Harness:
    adapter: WebchatAdapter
    bus: LocalBus
    worker: InboundWorker
    outbox: OutboxSender
    sessionmaker: async_sessionmaker[AsyncSession]
    runtime: ConversationRuntime
    clients: list[Client] = field(default_factory=list)

    async def connect(
        self, token: str | None = None, *, after_id: int | None = None, ip: str = "203.0.113.7", **hello: Any
    ) -> Client:
        """Open a socket, say hello and resume, as the widget does."""
        client = Client(session=None)  # type: ignore[arg-type]

        async def send(frame: dict[str, Any]) -> None:
            client.frames.append(frame)

        async def close(code: int) -> None:
            client.frames.append({"type": "closed", "code": code})

        client.session = VisitorSession(self.adapter, send, close, ip=ip)
        await client.session.start({"type": "hello", "token": token, **hello})
        client._stack = client.session.live()
        await client._stack.__aenter__()
        await client.send({"type": "resume", "after_id": after_id})
        self.clients.append(client)
        return client

    async def settle(self) -> None:
        """Run queued turns, deliver the outbox, and let every socket forward what it heard."""
        for _ in range(5):
            turns = await self.worker.drain()
            sent = await self.outbox.drain()
            await self.quiet()
            if not turns and not sent:
                return

    async def quiet(self) -> None:
        """Wait until every open socket has forwarded what it heard."""
        live = [c.session for c in self.clients if c._stack is not None]
        for _ in range(300):
            await asyncio.sleep(0.01)
            if all(s._subs.queue.empty() and not s._sync_lock.locked() for s in live):  # type: ignore[union-attr]
                break
        for session in live:
            await session.sync()

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


@pytest.fixture
async def chat(
    chat_settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], dialogue: DialogueEngine
) -> AsyncIterator[Harness]:
    bus = LocalBus()
    runtime = ConversationRuntime(dialogue, FallbackNlu(), chat_settings)

    async def run_turn(session: AsyncSession, message: Any) -> Any:
        return await runtime.process(session, message, deliver_via_outbox=True)

    async def after_commit(result: Any) -> None:
        await publish_turn(bus, result)

    worker = InboundWorker(sessionmaker, run_turn, locks=LocalLocks(), after_commit=after_commit)
    adapter = WebchatAdapter(ChannelContext(chat_settings, sessionmaker, bus, nudge_inbound=lambda: None))
    registry = SenderRegistry()
    registry.register("webchat", make_sender(bus))
    outbox = OutboxSender(sessionmaker, chat_settings, registry=registry)
    outbox.open()
    harness = Harness(adapter, bus, worker, outbox, sessionmaker, runtime)
    yield harness
    await harness.close()
    await outbox.stop()
    await adapter.close()


@pytest.fixture
async def shop(sessionmaker: async_sessionmaker[AsyncSession]) -> KnownShop:
    async with sessionmaker() as session, session.begin():
        return await load_known_shop(session)
