"""Looking at the outbox and sending failed rows again (for the CLI and, later, the console)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.base import utcnow
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.models import Outbox, OutboxStatus


async def outbox_counts(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Rows by kind, then by status: ``{"shop_event": {"sent": 12, "failed": 1}, …}``."""
    rows = await session.execute(
        select(Outbox.kind, Outbox.status, func.count()).group_by(Outbox.kind, Outbox.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        counts.setdefault(str(kind), {})[str(status)] = count
    return counts


async def requeue_failed(
    session: AsyncSession,
    *,
    ids: Sequence[int] | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> int:
    """Make failed rows pending again with a fresh count of attempts; returns how many."""
    statement = update(Outbox).where(Outbox.status == OutboxStatus.FAILED)
    if ids is not None:
        statement = statement.where(Outbox.id.in_(list(ids)))
    if kind is not None:
        statement = statement.where(Outbox.kind == kind)
    result = await session.execute(
        statement.values(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now or utcnow()
        ).execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


async def status(database_url: str) -> dict[str, dict[str, int]]:
    """``outbox_counts`` on a database of its own (the CLI)."""
    async with _session(database_url) as session:
        return await outbox_counts(session)


async def retry(database_url: str, *, ids: Sequence[int] | None = None, kind: str | None = None) -> int:
    """``requeue_failed`` on a database of its own, committed (the CLI)."""
    async with _session(database_url) as session, session.begin():
        return await requeue_failed(session, ids=ids, kind=kind)


@asynccontextmanager
async def _session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()
