"""The durable inbound queue: webhooks store what arrived and answer at once; a worker runs the turns.

Redeliveries are dropped by the unique (channel, external_id) key. Rows of one ordering key (one chat)
run one at a time and in id order; a turn and the row's "done" mark commit in one transaction, so a
crash either leaves the row pending (it runs again after restart) or done, never half of each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.channels.base import InboundMessage
from bot.dialogue.locks import LocalLocks
from bot.storage.base import utcnow
from bot.storage.models import InboundStatus, InboundUpdate

log = logging.getLogger("pishkhan.inbound")
MAX_ATTEMPTS = 6
BATCH = 50
ProcessTurn = Callable[[AsyncSession, InboundMessage], Awaitable[Any]]
AfterCommit = Callable[[Any], Awaitable[None]]


def to_payload(message: InboundMessage) -> dict[str, Any]:
    data = asdict(message)
    data["sent_at"] = message.sent_at.isoformat()
    return data


def from_payload(data: dict[str, Any]) -> InboundMessage:
    return InboundMessage(**{**data, "sent_at": datetime.fromisoformat(data["sent_at"])})


async def enqueue(
    session: AsyncSession,
    message: InboundMessage,
    *,
    external_id: str | None = None,
    status: InboundStatus = InboundStatus.PENDING,
) -> bool:
    """Store one delivery; False when this (channel, external id) was stored before (a redelivery)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(InboundUpdate)
        .values(
            channel=message.channel,
            external_id=external_id or message.external_message_id,
            ordering_key=f"{message.channel}:{message.external_user_id}",
            payload=to_payload(message),
            status=status,
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(InboundUpdate.id)
    )
    return await session.scalar(statement) is not None


class InboundWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        process: ProcessTurn,
        *,
        locks: LocalLocks,
        after_commit: AfterCommit | None = None,
        poll_seconds: float = 1.0,
        concurrency: int = 8,
    ) -> None:
        self.sessionmaker, self.process, self.locks = sessionmaker, process, locks
        self.after_commit, self.poll_seconds = after_commit, poll_seconds
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._busy_keys: set[str] = set()

    def nudge(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be down: keep trying, rows wait safely
                log.exception("inbound worker pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def drain(self) -> int:
        """Run every due row once (per key in order); returns how many rows were handled."""
        handled = 0
        while True:
            due = await self._due()
            if not due:
                return handled
            tasks = [asyncio.create_task(self._run_key(key, row_id)) for row_id, key in due]
            done = sum(await asyncio.gather(*tasks))
            if done == 0:  # everything due is being handled elsewhere
                return handled
            handled += done

    async def _due(self) -> list[tuple[int, str]]:
        """The oldest due row of each key that has no earlier unfinished row."""
        earlier = aliased(InboundUpdate)
        blocked = (
            select(earlier.id)
            .where(
                earlier.ordering_key == InboundUpdate.ordering_key,
                earlier.id < InboundUpdate.id,
                earlier.status == InboundStatus.PENDING,
            )
            .exists()
        )
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(InboundUpdate.id, InboundUpdate.ordering_key)
                .where(
                    and_(
                        InboundUpdate.status == InboundStatus.PENDING,
                        InboundUpdate.next_attempt_at <= utcnow(),
                        ~blocked,
                    )
                )
                .order_by(InboundUpdate.id)
                .limit(BATCH)
            )
            return [(row_id, key) for row_id, key in rows if key not in self._busy_keys]

    async def _run_key(self, key: str, row_id: int) -> int:
        if key in self._busy_keys:
            return 0
        self._busy_keys.add(key)
        try:
            async with self._slots, self.locks.hold(key):
                return await self._run_row(row_id)
        finally:
            self._busy_keys.discard(key)

    async def _run_row(self, row_id: int) -> int:
        try:
            async with self.sessionmaker() as session, session.begin():
                query = select(InboundUpdate).where(
                    InboundUpdate.id == row_id, InboundUpdate.status == InboundStatus.PENDING
                )
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                row = await session.scalar(query)
                if row is None:
                    return 0  # another worker has it, or it is done
                result = await self.process(session, from_payload(row.payload))
                row.status, row.processed_at, row.attempts = InboundStatus.DONE, utcnow(), row.attempts + 1
        except Exception as exc:
            log.exception("inbound update %s failed", row_id)
            await self._record_failure(row_id, exc)
            return 1
        if self.after_commit is not None:
            try:
                await self.after_commit(result)
            except Exception:
                log.exception("after-commit hook failed for inbound update %s", row_id)
        return 1

    async def _record_failure(self, row_id: int, exc: Exception) -> None:
        async with self.sessionmaker() as session, session.begin():
            row = await session.get(InboundUpdate, row_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = InboundStatus.FAILED
            else:
                delay = min(300.0, 2**row.attempts) * (0.5 + random.random())
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
