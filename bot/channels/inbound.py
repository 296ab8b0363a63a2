"""The inbound worker: runs the turns of what channel webhooks stored in the durable inbound queue.

A turn and its row's "done" mark commit in one transaction, so a crash either leaves the row pending
(it runs again after restart) or done, never half of each. Storage lives in bot.services.inbound_queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import InboundMessage
from bot.dialogue.locks import LocalLocks
from bot.services import inbound_queue
from bot.services.inbound_queue import enqueue, from_payload, to_payload
from bot.storage.engine import is_unavailable

__all__ = ["InboundWorker", "enqueue", "from_payload", "to_payload"]

log = logging.getLogger("pishkhan.inbound")
ProcessTurn = Callable[[AsyncSession, InboundMessage], Awaitable[Any]]
AfterCommit = Callable[[Any], Awaitable[None]]


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
        async with self.sessionmaker() as session:
            rows = await inbound_queue.due_rows(session)
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
                row = await inbound_queue.claim(session, row_id)
                if row is None:
                    return 0  # another worker has it, or it is done
                result = await self.process(session, from_payload(row.payload))
                inbound_queue.mark_done(row)
        except Exception as exc:
            outage = is_unavailable(exc)  # an outage or an exhausted pool: the row waits, its attempts intact
            if outage:
                log.warning("inbound update %s waits: database unavailable (%s)", row_id, type(exc).__name__)
            else:
                log.exception("inbound update %s failed", row_id)
            await self._record_failure(row_id, exc, counts=not outage)
            return 1
        if self.after_commit is not None:
            try:
                await self.after_commit(result)
            except Exception:
                log.exception("after-commit hook failed for inbound update %s", row_id)
        return 1

    async def _record_failure(self, row_id: int, exc: Exception, *, counts: bool) -> None:
        async with self.sessionmaker() as session, session.begin():
            await inbound_queue.record_failure(session, row_id, f"{type(exc).__name__}: {exc}", counts=counts)
