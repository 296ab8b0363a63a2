"""Delivery to the widget: the sender publishes and marks sent; a visitor away gets it by replay, once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.channels.webchat import session as session_module
from bot.channels.webchat.sender import make_sender, visitor_topic
from bot.channels.webchat.tokens import new_visitor_id
from bot.delivery import Delivered, OutboxItem, PermanentError
from bot.events import LocalBus
from bot.services import conversations, identity
from bot.services import webchat_history as history
from bot.storage.models import Agent, Conversation, DeliveryStatus, Message, Outbox, OutboxStatus, Sender
from tests.channels.webchat.conftest import Harness


def item(target: str, message_id: int = 7) -> OutboxItem:
    return OutboxItem(
        id=1,
        kind="message",
        channel="webchat",
        target=target,
        ordering_key=f"webchat:{target}",
        body={"text": "سلام"},
        attempt=1,
        conversation_id=3,
        message_id=message_id,
    )


async def test_the_sender_publishes_to_the_visitors_topic() -> None:
    bus = LocalBus()
    send = make_sender(bus)
    visitor = new_visitor_id()
    async with bus.subscribe(visitor_topic(visitor)) as queue:
        assert await send(item(visitor)) == Delivered()
        event = queue.get_nowait()
    assert event["type"] == "message" and event["message_id"] == 7 and event["conversation_id"] == 3
    assert await send(item(new_visitor_id())) == Delivered(), "nobody listening: delivered, replayed later"
    with pytest.raises(PermanentError):
        await send(item("not-a-visitor"))


async def _agent_says(chat: Harness, visitor: str, text: str) -> int:
    """An agent's reply from the console: stored, and queued in the outbox."""
    async with chat.sessionmaker() as session, session.begin():
        agent = await session.scalar(select(Agent).where(Agent.email == "maryam@example.com"))
        if agent is None:
            agent = Agent(email="maryam@example.com", name="مریم", password_hash="-")
            session.add(agent)
            await session.flush()
        found = await identity.find_identity(session, channel="webchat", external_id=visitor)
        assert found is not None
        conversation = await conversations.open_conversation(session, found)
        message = await conversations.store_outbound(
            session,
            conversation,
            text=text,
            payload=None,
            sender=Sender.AGENT,
            agent_id=agent.id,
            target=visitor,
        )
        return message.id


async def test_a_message_for_a_visitor_without_a_socket_is_sent_and_replayed_later(chat: Harness) -> None:
    client = await chat.connect()
    await client.say("/greet", "c-away-0001")
    await chat.settle()
    seen = client.messages()[-1]["id"]
    await client.close()
    reply = await _agent_says(chat, client.visitor, "سفارش شما فردا می‌رسد.")
    assert await chat.outbox.drain() == 1
    async with chat.sessionmaker() as session:
        stored = await session.get(Message, reply)
        row = await session.scalar(select(Outbox).where(Outbox.message_id == reply))
    assert stored is not None and stored.delivery_status == DeliveryStatus.SENT
    assert row is not None and row.status == OutboxStatus.SENT
    back = await chat.connect(client.token, after_id=seen)
    assert [(m["id"], m["sender"], m["agent"], m["text"]) for m in back.messages()] == [
        (reply, "agent", "مریم", "سفارش شما فردا می‌رسد.")
    ]
    assert back.of("synced")[-1]["last_id"] == reply


async def test_replay_after_a_reconnect_returns_exactly_the_missed_messages(chat: Harness) -> None:
    client = await chat.connect()
    await client.say("/greet", "c-miss-0001")
    await chat.settle()
    before = [m["id"] for m in client.messages()]
    await client.close()
    missed = [await _agent_says(chat, client.visitor, f"پیام {n}") for n in range(3)]
    await chat.outbox.drain()
    back = await chat.connect(client.token, after_id=before[-1])
    await chat.settle()
    assert [m["id"] for m in back.messages()] == missed
    async with chat.sessionmaker() as session:
        replay = await history.replay(session, client.visitor, after_id=before[-1])
        everything = await history.replay(session, client.visitor, after_id=0)
    assert [m["id"] for m in replay.messages] == missed
    assert [m["id"] for m in everything.messages] == before + missed


async def test_nothing_is_shown_past_a_reply_still_in_the_outbox(chat: Harness) -> None:
    client = await chat.connect()
    await client.say("/greet", "c-gap-00001")
    await chat.settle()
    last = client.messages()[-1]["id"]
    first = await _agent_says(chat, client.visitor, "اول")
    async with chat.sessionmaker() as session:
        replay = await history.replay(session, client.visitor, after_id=last)
        assert replay.messages == [] and replay.blocked
        published = await history.replay(session, client.visitor, after_id=last, published={first})
        assert [m["id"] for m in published.messages] == [first] and not published.blocked
    await chat.settle()
    assert [m["id"] for m in client.messages()][-1] == first


async def test_a_page_load_shows_the_latest_messages_in_order(chat: Harness) -> None:
    client = await chat.connect()
    await client.say("/greet", "c-tail-0001")
    await client.say("/bot_challenge", "c-tail-0002")
    await chat.settle()
    shown = [m["id"] for m in client.messages()]
    reload = await chat.connect(client.token)  # after_id None: the page's first sync
    assert [m["id"] for m in reload.messages()] == shown
    async with chat.sessionmaker() as session:
        tail = await history.tail(session, client.visitor, limit=2)
        conversation = await session.scalar(select(Conversation))
    assert [m["id"] for m in tail.messages] == shown[-2:]
    assert conversation is not None and conversation.channel == "webchat"


async def test_an_idle_socket_that_missed_an_event_catches_up_by_itself(
    chat: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis away: an agent's reply published on another worker never reaches this socket's bus. The
    socket finds it anyway at its next idle look (IDLE_SECONDS, shortened here)."""
    monkeypatch.setattr(session_module, "IDLE_SECONDS", 0.05)
    client = await chat.connect()
    await client.say("/greet", "c-idle-0001")
    await chat.settle()
    assert not client.session.awaiting and not client.session.blocked  # idle: not polling for a reply
    monkeypatch.setattr(chat.bus, "deliver", lambda _topic, _data: None)  # every event is lost
    reply = await _agent_says(chat, client.visitor, "پاسخ کارشناس")
    assert await chat.outbox.drain() == 1
    async with asyncio.timeout(5):
        while reply not in [m["id"] for m in client.messages()]:  # noqa: ASYNC110 (frames, no event)
            await asyncio.sleep(0.02)
