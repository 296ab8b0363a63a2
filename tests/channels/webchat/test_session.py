"""A widget socket from hello to replies: tokens, acks, typing, ordering, bad frames, the IP limit."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.models import DeliveryStatus, Direction, InboundUpdate, Message, Outbox, OutboxStatus
from tests.channels.webchat.conftest import Harness


async def test_a_new_visitor_gets_a_token_and_keeps_it(chat: Harness) -> None:
    first = await chat.connect()
    session = first.of("session")[0]
    assert session["new"] and session["visitor"].startswith("v_") and not session["verified"]
    assert first.of("synced") == [{"type": "synced", "last_id": 0}]
    again = await chat.connect(first.token)
    assert again.visitor == first.visitor and not again.of("session")[0]["new"]


async def test_a_tampered_token_starts_a_new_visitor(chat: Harness) -> None:
    first = await chat.connect()
    token = first.token
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other = await chat.connect(forged)
    assert other.of("session")[0]["new"]
    assert other.visitor != first.visitor
    stolen_id = "v_" + "0" * 24 + token[token.index(".") :]  # someone else's id with this signature
    third = await chat.connect(stolen_id)
    assert third.visitor not in (first.visitor, "v_" + "0" * 24)


async def test_a_message_is_acknowledged_answered_and_delivered_through_the_outbox(chat: Harness) -> None:
    client = await chat.connect()
    await client.say("/greet", "c-hello-1", title="سلام")
    assert client.of("received") == [{"type": "received", "client_id": "c-hello-1"}]
    await chat.settle()
    [ack] = client.of("ack")
    customer, *replies = client.messages()
    assert ack == {"type": "ack", "client_id": "c-hello-1", "id": customer["id"]}
    assert (
        customer["direction"] == "in" and customer["text"] == "سلام" and customer["client_id"] == "c-hello-1"
    )
    assert replies and all(r["direction"] == "out" and r["sender"] == "bot" for r in replies)
    assert "پیگیری سفارش" in [b["title"] for b in replies[0]["buttons"]]
    assert [m["id"] for m in client.messages()] == sorted(m["id"] for m in client.messages())
    typing = [f["on"] for f in client.of("typing")]
    assert typing[0] is True and typing[-1] is False, "typing while the bot works, off with its reply"
    async with chat.sessionmaker() as session:
        statuses = set(
            await session.scalars(
                select(Outbox.status).where(Outbox.channel == "webchat", Outbox.kind == "message")
            )
        )
        delivered = set(
            await session.scalars(select(Message.delivery_status).where(Message.direction == Direction.OUT))
        )
    assert statuses == {OutboxStatus.SENT} and delivered == {DeliveryStatus.SENT}


async def test_every_open_tab_of_the_visitor_sees_the_conversation(chat: Harness) -> None:
    tab1 = await chat.connect()
    tab2 = await chat.connect(tab1.token)
    await tab1.say("/greet", "c-tabs-0001")
    await chat.settle()
    assert [m["id"] for m in tab2.messages()] == [m["id"] for m in tab1.messages()]
    assert not tab2.of("ack"), "only the sending tab is acknowledged"


async def test_a_message_sent_again_after_a_reconnect_is_stored_once(chat: Harness) -> None:
    client = await chat.connect()
    await client.say("/greet", "c-twice-001")
    await client.close()
    again = await chat.connect(client.token, after_id=0)
    await again.say("/greet", "c-twice-001")
    await chat.settle()
    async with chat.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    assert count == 1
    assert [f["client_id"] for f in again.of("ack")] == ["c-twice-001"]


async def test_bad_frames_are_refused_with_a_reason_and_store_nothing(chat: Harness) -> None:
    client = await chat.connect()
    await client.send({"type": "dance"})
    await client.say("   ", "c-empty-001")
    await client.say("ب" * 2001, "c-long-0001")
    await client.send({"type": "message", "text": "سلام", "client_id": "x"})  # client id too short
    await client.send({"type": "resume", "after_id": "12"})
    codes = [(f["code"], f.get("client_id")) for f in client.of("error")]
    assert codes == [
        ("bad_request", None),
        ("empty", "c-empty-001"),
        ("too_long", "c-long-0001"),
        ("bad_request", "x"),
        ("bad_request", None),
    ]
    assert all(f["text"] for f in client.of("error"))
    async with chat.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 0


async def test_new_conversations_per_ip_are_limited_with_a_clear_refusal(chat: Harness) -> None:
    # chat_settings allows 3 new conversations per address and hour
    for n in range(3):
        visitor = await chat.connect(ip="198.51.100.20")
        await visitor.say("/greet", f"c-limit-{n:04d}")
        assert not visitor.of("error")
    await chat.settle()
    talkative = chat.clients[0]
    await talkative.say("/greet", "c-limit-more")  # an open conversation costs nothing more
    assert not talkative.of("error")
    late = await chat.connect(ip="198.51.100.20")
    await late.say("/greet", "c-limit-late")
    [refusal] = late.of("error")
    assert refusal["code"] == "rate_limited" and refusal["client_id"] == "c-limit-late"
    assert "کمی بعد" in refusal["text"]
    elsewhere = await chat.connect(ip="198.51.100.99")
    await elsewhere.say("/greet", "c-limit-else")
    assert not elsewhere.of("error")
    async with chat.sessionmaker() as session:
        queued = set(await session.scalars(select(InboundUpdate.external_id)))
    assert f"{late.visitor}:c-limit-late" not in queued
    assert f"{elsewhere.visitor}:c-limit-else" in queued
