"""Instagram delivery through the real outbox worker and HTTP client, against the fake Graph API:
the 24-hour window and HUMAN_AGENT, Meta's error codes, retries, split messages, quick replies."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.instagram.graph import GraphClient
from bot.channels.instagram.sender import InstagramSender
from bot.config import Settings
from bot.delivery import OutboxSender, SenderRegistry
from bot.services import conversations, identity
from bot.storage.models import DeliveryStatus, Identity, Message, Outbox, OutboxStatus, Sender
from tests.channels.instagram.conftest import ACCOUNT
from tests.delivery.conftest import POLICIES
from tests.delivery.fakes import Clock
from tests.fakes.graph import TOKEN, FakeGraph, GraphReply

SARA = "1234567890123456"
LONG = " ".join(["سفارش شما امروز به شرکت پست تحویل داده شد و تا سه روز کاری به دست‌تان می‌رسد."] * 25)
MakeOutbox = Callable[..., OutboxSender]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def graph_client(graph: FakeGraph) -> AsyncIterator[GraphClient]:
    client = GraphClient(base_url=f"{graph.url}/v21.0", access_token=TOKEN, account_id=ACCOUNT, timeout=0.5)
    yield client
    await client.aclose()


@pytest.fixture
async def make_outbox(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    graph_client: GraphClient,
    clock: Clock,
) -> AsyncIterator[MakeOutbox]:
    made: list[OutboxSender] = []

    def make(*, human_agent_tag: bool = False) -> OutboxSender:
        registry = SenderRegistry()
        sender = InstagramSender(graph_client, sessionmaker, human_agent_tag=human_agent_tag, clock=clock)
        registry.register("instagram", sender)
        outbox = OutboxSender(sessionmaker, settings, registry=registry, policies=POLICIES, clock=clock)
        made.append(outbox)
        return outbox

    yield make
    for outbox in made:
        await outbox.stop()


async def reply(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    wrote_ago: timedelta | None,
    by: Sender = Sender.BOT,
    text: str | None = "سلام، بفرمایید.",
    payload: dict[str, Any] | None = None,
    igsid: str = SARA,
) -> int:
    """A customer who last wrote ``wrote_ago`` (None: never), and a reply queued to them; the message id."""
    async with sessionmaker() as session, session.begin():
        found = await identity.resolve_identity(session, channel="instagram", external_id=igsid)
        conversation = await conversations.open_conversation(session, found)
        if wrote_ago is not None:
            inbound = await conversations.store_inbound(
                session, conversation, external_message_id=f"in-{igsid}", text="سلام", payload=None
            )
            assert inbound is not None
            inbound.created_at = clock() - wrote_ago
        message = await conversations.store_outbound(
            session, conversation, text=text, payload=payload, sender=by, target=igsid
        )
        return message.id


async def delivery(sessionmaker: async_sessionmaker[AsyncSession], message_id: int) -> tuple[Message, Outbox]:
    async with sessionmaker() as session:
        message = await session.get(Message, message_id)
        row = await session.scalar(select(Outbox).where(Outbox.message_id == message_id))
        assert message is not None and row is not None
        return message, row


async def test_a_bot_reply_inside_the_window_is_sent_and_its_mid_recorded(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(minutes=5))
    await make_outbox().drain()
    [request] = graph.requests
    assert request.body == {
        "recipient": {"id": SARA},
        "messaging_type": "RESPONSE",
        "message": {"text": "سلام، بفرمایید."},
    }
    message, row = await delivery(sessionmaker, message_id)
    assert (row.status, message.delivery_status) == (OutboxStatus.SENT, DeliveryStatus.SENT)
    assert message.external_message_id == request.mid  # so the echo of it is recognised


async def test_an_agent_reply_after_24_hours_fails_with_the_reason_without_calling_meta(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(hours=30), by=Sender.AGENT)
    await make_outbox(human_agent_tag=False).drain()
    assert graph.requests == []
    message, row = await delivery(sessionmaker, message_id)
    assert (row.status, message.delivery_status) == (OutboxStatus.FAILED, DeliveryStatus.FAILED)
    assert message.delivery_error is not None
    assert "24-hour window" in message.delivery_error and "30 hours" in message.delivery_error
    assert "PISHKHAN_INSTAGRAM_HUMAN_AGENT_TAG" in message.delivery_error  # what the shop can do about it


async def test_with_human_agent_enabled_a_late_agent_reply_is_sent_with_the_tag(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    graph.closed.add(SARA)  # "Meta" refuses anything untagged to her now
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(days=3), by=Sender.AGENT)
    await make_outbox(human_agent_tag=True).drain()
    [request] = graph.sent
    assert (request.body["messaging_type"], request.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    message, _ = await delivery(sessionmaker, message_id)
    assert message.delivery_status == DeliveryStatus.SENT


async def test_human_agent_ends_after_7_days(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(days=8), by=Sender.AGENT)
    await make_outbox(human_agent_tag=True).drain()
    assert graph.requests == []
    message, _ = await delivery(sessionmaker, message_id)
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "7-day human-agent window" in (message.delivery_error or "")


async def test_bot_messages_never_use_the_tag(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    bot = await reply(sessionmaker, clock, wrote_ago=timedelta(hours=30), by=Sender.BOT)
    never = await reply(sessionmaker, clock, wrote_ago=None, igsid="999", by=Sender.AGENT)
    await make_outbox(human_agent_tag=True).drain()
    assert graph.requests == []
    assert "24-hour window" in ((await delivery(sessionmaker, bot))[0].delivery_error or "")
    assert "never written" in ((await delivery(sessionmaker, never))[0].delivery_error or "")


async def test_meta_refusing_for_the_window_marks_the_message_failed(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    graph.closed.add(SARA)  # Meta's clock disagrees with ours (the customer wrote just before 24 h)
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(hours=23, minutes=59))
    await make_outbox().drain()
    assert len(graph.requests) == 1  # refused once, not retried
    message, row = await delivery(sessionmaker, message_id)
    assert row.status == OutboxStatus.FAILED
    assert "24-hour window" in (message.delivery_error or "") and "2534022" in (message.delivery_error or "")


async def test_a_rate_limit_is_retried_when_meta_says(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    graph.script.append(GraphReply.rate_limited(retry_after=30))
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(minutes=1))
    outbox = make_outbox()
    await outbox.drain()
    message, row = await delivery(sessionmaker, message_id)
    assert (row.status, message.delivery_status) == (OutboxStatus.PENDING, DeliveryStatus.PENDING)
    assert row.next_attempt_at == clock() + timedelta(seconds=30) and "rate limited" in (row.last_error or "")
    clock.advance(seconds=29)
    assert await outbox.drain() == 0  # not before Meta's time
    clock.advance(seconds=2)
    await outbox.drain()
    assert len(graph.requests) == 2 and len(graph.sent) == 1
    assert (await delivery(sessionmaker, message_id))[0].delivery_status == DeliveryStatus.SENT


@pytest.mark.parametrize("trouble", [GraphReply.server_error(), GraphReply.hang(3)], ids=["500", "timeout"])
async def test_server_errors_and_timeouts_are_retried(
    make_outbox: MakeOutbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    graph: FakeGraph,
    trouble: GraphReply,
) -> None:
    graph.script.append(trouble)
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(minutes=1))
    outbox = make_outbox()
    await outbox.drain()
    assert (await delivery(sessionmaker, message_id))[1].status == OutboxStatus.PENDING
    clock.advance(seconds=60)
    await outbox.drain()
    assert (await delivery(sessionmaker, message_id))[0].delivery_status == DeliveryStatus.SENT


async def test_an_unreachable_user_fails_and_is_marked(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    graph.script.append(GraphReply.fail(551, 1545041, message="This person isn't available right now."))
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(minutes=1))
    await make_outbox().drain()
    assert "cannot be reached" in ((await delivery(sessionmaker, message_id))[0].delivery_error or "")
    async with sessionmaker() as session:
        found = await session.scalar(select(Identity).where(Identity.external_id == SARA))
        assert found is not None and found.reachable is False


async def test_an_expired_token_fails_loudly(
    make_outbox: MakeOutbox,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    graph: FakeGraph,
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph.token = "a-renewed-token"  # ours is now out of date
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(minutes=1))
    with caplog.at_level(logging.CRITICAL, logger="pishkhan.instagram"):
        await make_outbox().drain()
    assert "access token" in ((await delivery(sessionmaker, message_id))[0].delivery_error or "")
    assert any(r.levelno == logging.CRITICAL and "190" in r.getMessage() for r in caplog.records)


async def test_a_long_persian_reply_goes_in_parts_with_the_buttons_on_the_last(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    buttons = [{"title": "گفتگو با پشتیبان انسانی فروشگاه", "payload": "/human_handoff"}]
    message_id = await reply(
        sessionmaker, clock, wrote_ago=timedelta(minutes=1), text=LONG, payload={"buttons": buttons}
    )
    await make_outbox().drain()
    parts = graph.sent
    assert len(parts) > 1 and len(parts) == len(graph.requests)  # the fake refuses > 1,000 bytes
    assert all(len((p.text or "").encode()) <= 1000 for p in parts)
    assert " ".join(p.text or "" for p in parts).split() == LONG.split()
    assert all("quick_replies" not in p.body["message"] for p in parts[:-1])
    [quick] = parts[-1].body["message"]["quick_replies"]
    assert quick == {"content_type": "text", "title": "گفتگو با پشتیبان…", "payload": "/human_handoff"}
    assert (await delivery(sessionmaker, message_id))[0].external_message_id == parts[0].mid


async def test_a_retry_after_a_partial_send_sends_only_the_rest(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    graph.script += [GraphReply(), GraphReply.rate_limited(retry_after=5)]  # part 1 taken, part 2 throttled
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(minutes=1), text=LONG)
    outbox = make_outbox()
    await outbox.drain()
    clock.advance(seconds=6)
    await outbox.drain()
    texts = [p.text for p in graph.sent]
    assert len(texts) == len(set(texts))  # no part twice
    assert " ".join(t or "" for t in texts).split() == LONG.split()
    assert (await delivery(sessionmaker, message_id))[0].delivery_status == DeliveryStatus.SENT


async def test_an_empty_message_is_refused(
    make_outbox: MakeOutbox, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, graph: FakeGraph
) -> None:
    message_id = await reply(sessionmaker, clock, wrote_ago=timedelta(minutes=1), text="   ")
    await make_outbox().drain()
    assert graph.requests == []
    assert "empty" in ((await delivery(sessionmaker, message_id))[0].delivery_error or "")
