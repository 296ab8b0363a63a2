"""The inbound worker's failures: a message whose turn keeps failing gives up after its attempts; a
database that is away or out of connections never uses a message's attempts up (it would be lost)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import InboundMessage
from bot.channels.inbound import InboundWorker, enqueue
from bot.dialogue.locks import LocalLocks
from bot.services.inbound_queue import MAX_ATTEMPTS
from bot.storage.base import utcnow
from bot.storage.engine import is_unavailable
from bot.storage.models import InboundStatus, InboundUpdate


async def failing_worker(
    maker: async_sessionmaker[AsyncSession], error: Exception, times: int
) -> InboundWorker:
    left = times

    async def process(_session: AsyncSession, _message: InboundMessage) -> None:
        nonlocal left
        if left:
            left -= 1
            raise error

    async with maker() as session, session.begin():
        message = InboundMessage("rest", "u-1", "m-1", "سلام", sent_at=utcnow())
        assert await enqueue(session, message)
    return InboundWorker(maker, process, locks=LocalLocks())


async def run_passes(
    maker: async_sessionmaker[AsyncSession], worker: InboundWorker, passes: int
) -> InboundUpdate:
    for _ in range(passes):
        await worker.drain()
        async with maker() as session, session.begin():  # its retry is due now, not after the backoff
            await session.execute(
                update(InboundUpdate).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
    async with maker() as session:
        return (await session.scalars(select(InboundUpdate))).one()


async def test_an_unavailable_database_never_uses_up_a_messages_attempts(sessionmaker) -> None:
    pool_exhausted = sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached")
    worker = await failing_worker(sessionmaker, pool_exhausted, times=MAX_ATTEMPTS * 2)
    row = await run_passes(sessionmaker, worker, MAX_ATTEMPTS * 2)
    assert (row.status, row.attempts) == (InboundStatus.PENDING, 0) and "QueuePool" in row.last_error
    row = await run_passes(sessionmaker, worker, 1)
    assert (row.status, row.attempts) == (InboundStatus.DONE, 1)


async def test_a_turn_that_keeps_failing_gives_up_after_its_attempts(sessionmaker) -> None:
    worker = await failing_worker(sessionmaker, ValueError("a bug"), times=MAX_ATTEMPTS)
    row = await run_passes(sessionmaker, worker, MAX_ATTEMPTS)
    assert (row.status, row.attempts) == (InboundStatus.FAILED, MAX_ATTEMPTS)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (sa_exc.TimeoutError("pool"), True),
        (sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError()), True),
        (ConnectionResetError(), True),
        (sa_exc.IntegrityError("INSERT", {}, ValueError()), False),
        (ValueError(), False),
    ],
)
def test_what_counts_as_the_database_being_unavailable(error: Exception, unavailable: bool) -> None:
    assert is_unavailable(error) is unavailable
