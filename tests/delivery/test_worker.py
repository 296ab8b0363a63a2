"""The outbox sender on SQLite and PostgreSQL: order per key, retries, leases, commits, shutdown."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Delivered, OutboxItem, PermanentError, RetryAfter, SenderRegistry, TransientError
from bot.delivery.claims import Outcome, claim_due, record
from bot.services import conversations, identity
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.models import DeliveryStatus, Message, Outbox, OutboxKind, OutboxStatus
from tests.delivery.conftest import CHAT, MakeSender, Recorder, add_rows, rows_by_id
from tests.delivery.fakes import Clock


async def test_rows_of_one_chat_wait_while_the_first_is_retried(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder, clock: Clock
) -> None:
    first, second, third = await add_rows(sessionmaker, clock, {}, {}, {})
    (other,) = await add_rows(sessionmaker, clock, {"target": "chat-2", "ordering_key": f"{CHAT}:chat-2"})
    recorder.script[first] = [TransientError("HTTP 502"), TransientError("HTTP 502")]
    sender = make_sender()

    await sender.drain()
    assert recorder.attempts == [first, other]  # the other chat is not held up
    clock.advance(seconds=10)
    await sender.drain()
    assert recorder.attempts == [first, other, first]
    rows = await rows_by_id(sessionmaker, first, second, third)
    assert [rows[i].status for i in (first, second, third)] == ["pending", "pending", "pending"]
    assert rows[first].attempts == 2 and rows[first].last_error == "HTTP 502"
    assert rows[second].attempts == 0 and rows[third].attempts == 0

    clock.advance(seconds=20)
    await sender.drain()
    assert recorder.attempts == [first, other, first, first, second, third]
    assert recorder.delivered == [other, first, second, third]


async def test_backoff_grows_then_the_row_fails_with_the_reason(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder, clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, {})
    recorder.script[row_id] = [TransientError("connection reset")] * 3
    sender = make_sender()
    started = clock()

    await sender.drain()
    assert (await rows_by_id(sessionmaker, row_id))[row_id].next_attempt_at == started + timedelta(seconds=10)
    clock.advance(seconds=9)
    assert await sender.drain() == 0  # not due yet
    clock.advance(seconds=1)
    await sender.drain()
    assert (await rows_by_id(sessionmaker, row_id))[row_id].next_attempt_at == clock() + timedelta(seconds=20)
    clock.advance(seconds=20)
    await sender.drain()

    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert row.last_error == "gave up after 3 attempts: connection reset"
    clock.advance(days=2)
    assert await sender.drain() == 0  # failed rows stay, visible, and are not tried again


async def test_retry_after_from_the_platform_is_honoured_exactly(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder, clock: Clock
) -> None:
    returned, raised = await add_rows(
        sessionmaker, clock, {}, {"target": "chat-2", "ordering_key": f"{CHAT}:chat-2"}
    )
    recorder.script[returned] = [RetryAfter(37, "Too Many Requests: retry after 37")]
    recorder.script[raised] = [TransientError("HTTP 429", retry_after=123)]
    sender = make_sender()
    await sender.drain()

    rows = await rows_by_id(sessionmaker, returned, raised)
    assert rows[returned].next_attempt_at == clock() + timedelta(seconds=37)
    assert rows[returned].last_error == "Too Many Requests: retry after 37"
    assert rows[raised].next_attempt_at == clock() + timedelta(seconds=123)
    clock.advance(seconds=36)
    assert await sender.drain() == 0
    clock.advance(seconds=1)
    await sender.drain()
    assert recorder.delivered == [returned]


async def test_a_message_records_delivery_on_the_message(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder
) -> None:
    async with sessionmaker() as session, session.begin():
        found = await identity.resolve_identity(session, channel=CHAT, external_id="u-77")
        conversation = await conversations.open_conversation(session, found)
        sent = await conversations.store_outbound(
            session, conversation, text="سلام", payload=None, target="u-77"
        )
        refused = await conversations.store_outbound(
            session, conversation, text="دوباره سلام", payload=None, target="u-77"
        )
    async with sessionmaker() as session:
        outbox = {r.message_id: r for r in await session.scalars(select(Outbox))}
    recorder.script[outbox[refused.id].id] = [PermanentError("Forbidden: bot was blocked by the user")]
    await make_sender().drain()

    async with sessionmaker() as session:
        messages = {m.id: m for m in await session.scalars(select(Message))}
        rows = {r.message_id: r for r in await session.scalars(select(Outbox))}
    assert messages[sent.id].delivery_status == DeliveryStatus.SENT
    assert messages[sent.id].external_message_id == f"ext-{outbox[sent.id].id}"
    assert messages[refused.id].delivery_status == DeliveryStatus.FAILED
    assert messages[refused.id].delivery_error == "Forbidden: bot was blocked by the user"
    assert rows[refused.id].status == OutboxStatus.FAILED and rows[refused.id].attempts == 1
    assert rows[sent.id].sent_at is not None


async def test_a_platform_id_clash_does_not_undo_the_record_of_a_send(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder
) -> None:
    async with sessionmaker() as session, session.begin():
        found = await identity.resolve_identity(session, channel=CHAT, external_id="u-78")
        conversation = await conversations.open_conversation(session, found)
        first = await conversations.store_outbound(
            session, conversation, text="یک", payload=None, target="u-78"
        )
        second = await conversations.store_outbound(
            session, conversation, text="دو", payload=None, target="u-78"
        )
    async with sessionmaker() as session:
        for row in await session.scalars(select(Outbox)):
            recorder.script[row.id] = [Delivered(external_id="77")]  # a per-chat id given as if global
    await make_sender().drain()

    async with sessionmaker() as session:
        messages = {m.id: m for m in await session.scalars(select(Message))}
        statuses = set(await session.scalars(select(Outbox.status)))
    assert statuses == {OutboxStatus.SENT}
    assert messages[first.id].external_message_id == "77"
    assert messages[second.id].delivery_status == DeliveryStatus.SENT
    assert messages[second.id].external_message_id is None


async def test_a_channel_without_a_sender_keeps_its_rows_pending_and_says_why(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder, clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, {"channel": "telegram", "ordering_key": "telegram:42"})
    sender = make_sender()
    await sender.drain()

    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.PENDING and row.attempts == 0
    assert row.last_error == "no sender registered for 'telegram'; the row waits until one is"
    assert row.next_attempt_at == clock() + timedelta(minutes=1)

    sender.registry.register("telegram", recorder)  # the adapter starts
    clock.advance(minutes=1)
    await sender.drain()
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.SENT and row.attempts == 1 and row.last_error is None


async def test_a_row_left_sending_by_a_dead_worker_is_sent_once_after_its_lease(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder, clock: Clock
) -> None:
    (row_id,) = await add_rows(
        sessionmaker,
        clock,
        {"status": OutboxStatus.SENDING, "attempts": 1, "next_attempt_at": clock() + timedelta(minutes=5)},
    )
    sender = make_sender()
    assert await sender.drain() == 0  # its worker may still be sending it
    clock.advance(minutes=5)
    await sender.drain()
    clock.advance(hours=1)
    await sender.drain()

    assert recorder.attempts == [row_id]
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.SENT and row.attempts == 2


async def test_rows_stored_before_a_crash_are_sent_after_restart(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    recorder: Recorder,
    clock: Clock,
    settings: Settings,
) -> None:
    ids = await add_rows(sessionmaker, clock, {}, {})
    crashed = make_sender()
    async with sessionmaker() as session, session.begin():  # it claimed a row, then the process died
        claimed = await claim_due(session, now=clock(), lease=crashed.lease, limit=1)
    assert [item.id for item in claimed] == ids[:1]

    restarted = make_sender()
    await restarted.drain()
    assert recorder.attempts == []  # the first row's lease holds the chat until it runs out
    clock.advance(minutes=5)
    await restarted.drain()
    assert recorder.delivered == ids


async def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_new_claim(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, {})
    lease = timedelta(minutes=5)
    async with sessionmaker() as session, session.begin():
        (slow,) = await claim_due(session, now=clock(), lease=lease, limit=5)
    clock.advance(minutes=6)
    async with sessionmaker() as session, session.begin():
        (fresh,) = await claim_due(session, now=clock(), lease=lease, limit=5)
    assert (slow.attempt, fresh.attempt) == (1, 2)

    async with sessionmaker() as session, session.begin():
        assert not await record(session, slow, Outcome(OutboxStatus.FAILED, error="late"), now=clock())
        assert await record(session, fresh, Outcome(OutboxStatus.SENT), now=clock())
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.SENT and row.last_error is None


async def test_nothing_is_sent_before_the_enqueuing_transaction_commits(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder, clock: Clock
) -> None:
    committed = False
    delivered = asyncio.Event()
    seen_committed: list[bool] = []

    async def chat_sender(item: object) -> Delivered:
        seen_committed.append(committed)
        delivered.set()
        return Delivered()

    sender = make_sender(poll_seconds=30.0)  # only the commit's nudge can wake it in time
    sender.registry.register(CHAT, chat_sender)
    await sender.start()
    async with sessionmaker() as session, session.begin():
        session.add(
            Outbox(
                kind=OutboxKind.MESSAGE,
                channel=CHAT,
                target="chat-9",
                ordering_key=f"{CHAT}:chat-9",
                body={"text": "پاسخ"},
                next_attempt_at=clock(),
            )
        )
        await session.flush()
        sender.nudge()
        await asyncio.sleep(0.2)
        assert not delivered.is_set()
        committed = True
    await asyncio.wait_for(delivered.wait(), 5)
    assert seen_committed == [True]


async def test_stop_gives_back_a_row_whose_send_was_cut_short(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, {})
    started = asyncio.Event()

    async def hanging(item: object) -> Delivered:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    sender = make_sender(poll_seconds=0.05)
    sender.registry.register(CHAT, hanging)
    await sender.start()
    await asyncio.wait_for(started.wait(), 5)
    await sender.stop(grace=0.1)

    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.PENDING and row.next_attempt_at == clock()
    assert row.last_error == "interrupted by shutdown"


async def test_a_sender_that_hangs_past_its_timeout_is_retried(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, {})

    async def slow(item: object) -> Delivered:
        await asyncio.sleep(5)
        return Delivered()

    sender = make_sender(delivery_timeout=0.05)
    sender.registry.register(CHAT, slow)
    await sender.drain()
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.PENDING and row.last_error == "no answer within 0.05 s"


async def test_a_sender_bug_delays_the_row_and_never_drops_it(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, recorder: Recorder, clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, {})
    recorder.script[row_id] = [KeyError("chat_id")]
    sender = make_sender()
    await sender.drain()
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.PENDING and row.last_error == "KeyError: 'chat_id'"
    clock.advance(seconds=10)
    await sender.drain()
    assert recorder.delivered == [row_id]


async def test_two_senders_never_deliver_the_same_row_twice(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, clock: Clock, settings: Settings
) -> None:
    """Two workers (separate engines, as two processes) drain 60 rows of 6 chats concurrently."""
    rows = [{"target": f"chat-{n % 6}", "ordering_key": f"{CHAT}:chat-{n % 6}"} for n in range(60)]
    ids = await add_rows(sessionmaker, clock, *rows)
    deliveries: list[tuple[str, int]] = []

    def worker(name: str):
        async def send(item: OutboxItem) -> Delivered:
            await asyncio.sleep(0.001)
            deliveries.append((name, item.id))
            return Delivered()

        return send

    other_engine = create_engine(settings.database_url)
    try:
        first = make_sender(batch=4)
        second = make_sender(batch=4, maker=make_sessionmaker(other_engine))
        first.registry.register(CHAT, worker("first"))
        second.registry = SenderRegistry()
        second.registry.register(CHAT, worker("second"))
        for _ in range(40):
            await asyncio.gather(first.run_once(), second.run_once())
            if len(deliveries) == len(ids):
                break
    finally:
        await second.stop()
        await other_engine.dispose()

    delivered_ids = [row_id for _, row_id in deliveries]
    assert sorted(delivered_ids) == ids  # every row once, none twice
    assert {name for name, _ in deliveries} == {"first", "second"}
    chat_of = {row_id: n % 6 for n, row_id in enumerate(ids)}
    for chat in range(6):
        of_chat = [row_id for row_id in delivered_ids if chat_of[row_id] == chat]
        assert of_chat == sorted(of_chat)  # each chat in order, whichever worker sent it
    async with sessionmaker() as session:
        statuses = set(await session.scalars(select(Outbox.status)))
    assert statuses == {OutboxStatus.SENT}


async def test_the_app_starts_and_stops_a_sender(app: object) -> None:
    sender = app.state.outbox_sender  # type: ignore[attr-defined]
    assert sender._task is not None and not sender._task.done()
