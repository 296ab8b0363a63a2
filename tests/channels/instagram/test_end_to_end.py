"""The whole bot on Instagram: a signed webhook in, the trained NLU and dialogue, a Persian reply out at
the fake Graph API, through the inbound queue and the outbox, as in production."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from bot.storage.models import DeliveryStatus, Direction, InboundStatus, InboundUpdate, Message
from tests.channels.instagram.conftest import (
    ACCOUNT,
    fixture_bytes,
    meta_body,
    notification,
    post_signed,
    text_event,
)
from tests.fakes.graph import FakeGraph

SARA = "1234567890123456"
GREETING = "من دستیار پشتیبانی"
T = 1718000000000


async def messages(app: FastAPI, direction: Direction) -> list[Message]:
    async with app.state.sessionmaker() as session:
        found = await session.scalars(
            select(Message).where(Message.direction == direction).order_by(Message.id)
        )
        return list(found)


async def settled(app: FastAPI, seconds: float = 10.0) -> None:
    """Wait until the inbound worker has run every stored turn and the outbox has recorded every reply."""
    waiting = (
        select(InboundUpdate.id).where(InboundUpdate.status == InboundStatus.PENDING),
        select(Message.id).where(Message.delivery_status == DeliveryStatus.PENDING),
    )
    async with asyncio.timeout(seconds):
        while True:
            async with app.state.sessionmaker() as session:
                if all([await session.scalar(query) is None for query in waiting]):
                    return
            await asyncio.sleep(0.05)


async def test_a_signed_greeting_gets_a_persian_reply_with_quick_replies(
    ig_bot: httpx.AsyncClient, ig_bot_app: FastAPI, graph: FakeGraph
) -> None:
    raw = meta_body(notification(text_event(SARA, "mid-e2e-1", "سلام", T)))
    response = await post_signed(ig_bot, raw)
    assert response.status_code == 200 and response.json()["queued"] == 1
    [sent] = await graph.wait_for(1)
    assert sent.path == f"/v21.0/{ACCOUNT}/messages"
    assert sent.body["recipient"] == {"id": SARA} and sent.body["messaging_type"] == "RESPONSE"
    assert GREETING in (sent.text or "")
    titles = [q["title"] for q in sent.body["message"]["quick_replies"]]
    assert "پیگیری سفارش" in titles and all(len(t) <= 20 for t in titles)
    [inbound] = await messages(ig_bot_app, Direction.IN)
    assert (inbound.text, inbound.external_message_id, inbound.intent) == ("سلام", "mid-e2e-1", "greet")


async def test_a_quick_reply_tap_routes_by_its_payload_and_the_echo_is_ignored(
    ig_bot: httpx.AsyncClient, ig_bot_app: FastAPI, graph: FakeGraph
) -> None:
    await post_signed(ig_bot, fixture_bytes("quick_reply"))  # "پیگیری سفارش" tapped: payload /track_order
    [sent] = await graph.wait_for(1)
    [inbound] = await messages(ig_bot_app, Direction.IN)
    assert inbound.intent == "track_order" and inbound.payload is not None
    assert inbound.payload["quick_reply"]["title"] == "پیگیری سفارش"
    assert "سفارش" in (sent.text or "")
    # Meta echoes our reply back with its mid: acknowledged, never a turn
    echo = {
        "sender": {"id": ACCOUNT},
        "recipient": {"id": SARA},
        "timestamp": T + 5000,
        "message": {"mid": sent.mid, "text": sent.text, "is_echo": True},
    }
    response = await post_signed(ig_bot, meta_body(notification(echo)))
    assert response.json()["skipped"] == {"echo": 1}
    await settled(ig_bot_app)
    assert len(await messages(ig_bot_app, Direction.IN)) == 1
    [reply, *_] = await messages(ig_bot_app, Direction.OUT)
    assert reply.external_message_id == sent.mid


async def test_a_redelivery_gets_one_reply_and_a_batch_runs_in_timestamp_order(
    ig_bot: httpx.AsyncClient, ig_bot_app: FastAPI, graph: FakeGraph
) -> None:
    raw = fixture_bytes("out_of_order")
    first, again = await post_signed(ig_bot, raw), await post_signed(ig_bot, raw)
    assert (first.json()["queued"], again.json()["duplicates"]) == (3, 3)
    await settled(ig_bot_app)
    assert [m.text for m in await messages(ig_bot_app, Direction.IN)] == ["اولی", "دومی", "سومی"]
    outbound = await messages(ig_bot_app, Direction.OUT)
    assert len(outbound) >= 3 and len(graph.sent) == len(outbound)  # every reply once, none for the repeat
    assert [m.external_message_id for m in outbound] == [r.mid for r in graph.sent]
