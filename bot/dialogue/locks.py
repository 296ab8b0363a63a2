"""Per-conversation serialisation: turns of one conversation run one at a time, in arrival order —
within a process by asyncio locks, across workers by a PostgreSQL advisory lock."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class LocalLocks:
    """Keyed asyncio locks for one process; a key's lock is dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


async def lock_across_workers(session: AsyncSession, key: str) -> None:
    """Hold the conversation's lock for the rest of the transaction, whichever worker or machine runs it.

    On PostgreSQL a transaction-level advisory lock (released at commit or rollback); SQLite needs none,
    because its write transactions (BEGIN IMMEDIATE) already run one at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(key.encode()).digest()
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
    )
