"""Looking at the outbox and sending failed rows again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import queue
from bot.storage.models import OutboxKind, OutboxStatus
from tests.delivery.conftest import MakeSender, Recorder, add_rows, rows_by_id
from tests.delivery.fakes import Clock


async def test_failed_rows_can_be_sent_again(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    recorder: Recorder,
    clock: Clock,
    settings: Settings,
) -> None:
    failed, sent = await add_rows(
        sessionmaker,
        clock,
        {"status": OutboxStatus.FAILED, "attempts": 8, "last_error": "HTTP 503"},
        {
            "status": OutboxStatus.SENT,
            "kind": OutboxKind.SHOP_EVENT,
            "channel": "shop",
            "ordering_key": "shop:x",
        },
    )
    assert await queue.status(settings.database_url) == {"message": {"failed": 1}, "shop_event": {"sent": 1}}

    assert await queue.retry(settings.database_url, kind="shop_event") == 0
    assert await queue.retry(settings.database_url, ids=[failed, sent]) == 1
    row = (await rows_by_id(sessionmaker, failed))[failed]
    assert row.status == OutboxStatus.PENDING and row.attempts == 0
    clock.advance(seconds=5)
    await make_sender().drain()
    assert recorder.delivered == [failed]
