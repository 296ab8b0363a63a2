"""Delivery fixtures: a hand-moved clock, retry policies without jitter, the fakes, row helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Delivered, OutboxItem, OutboxSender, RetryPolicy, SenderRegistry
from bot.storage.models import Outbox, OutboxKind
from tests.delivery.fakes import Clock, FakeShop, FakeSmtp

# Deterministic backoff: attempt n waits 10 * 2**(n-1) seconds; the third failure is final.
POLICY = RetryPolicy(max_attempts=3, base=10.0, factor=2.0, jitter=0.5, random=lambda: 0.0)
POLICIES = {kind: POLICY for kind in OutboxKind}
CHAT = "fakechat"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake_shop() -> AsyncIterator[FakeShop]:
    shop = await FakeShop().start()
    yield shop
    await shop.close()


@pytest.fixture
async def fake_smtp() -> AsyncIterator[FakeSmtp]:
    server = await FakeSmtp().start()
    yield server
    await server.close()


class Recorder:
    """A chat-channel sender: records each attempt; ``script[row id]`` lists what attempts do, in turn
    (an exception to raise, or a value to return); without a script an attempt succeeds."""

    def __init__(self) -> None:
        self.attempts: list[int] = []
        self.delivered: list[int] = []
        self.script: dict[int, list[Any]] = {}

    async def __call__(self, item: OutboxItem) -> Any:
        self.attempts.append(item.id)
        steps = self.script.get(item.id)
        step = steps.pop(0) if steps else Delivered(external_id=f"ext-{item.id}")
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, Delivered):
            self.delivered.append(item.id)
        return step


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def registry(recorder: Recorder) -> SenderRegistry:
    registry = SenderRegistry()
    registry.register(CHAT, recorder)
    return registry


MakeSender = Callable[..., OutboxSender]


@pytest.fixture
async def make_sender(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, registry: SenderRegistry, clock: Clock
) -> AsyncIterator[MakeSender]:
    made: list[OutboxSender] = []

    def make(*, maker: async_sessionmaker[AsyncSession] | None = None, **options: Any) -> OutboxSender:
        options = {"registry": registry, "policies": POLICIES, "clock": clock, **options}
        sender = OutboxSender(maker or sessionmaker, options.pop("settings", settings), **options)
        made.append(sender)
        return sender

    yield make
    for sender in made:
        await sender.stop()


async def add_rows(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *rows: dict[str, Any]
) -> list[int]:
    """Commit outbox rows (chat messages on one key unless told otherwise); returns their ids."""
    async with sessionmaker() as session, session.begin():
        made = [
            Outbox(
                **{
                    "kind": OutboxKind.MESSAGE,
                    "channel": CHAT,
                    "target": "chat-1",
                    "ordering_key": f"{CHAT}:chat-1",
                    "body": {"text": "سلام"},
                    "next_attempt_at": clock(),
                    **row,
                }
            )
            for row in rows
        ]
        session.add_all(made)
        await session.flush()
        return [row.id for row in made]


async def rows_by_id(sessionmaker: async_sessionmaker[AsyncSession], *ids: int) -> dict[int, Outbox]:
    async with sessionmaker() as session:
        found = await session.scalars(select(Outbox).where(Outbox.id.in_(ids)))
        return {row.id: row for row in found}
