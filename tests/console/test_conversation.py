"""A conversation page: customer 360 and one cross-channel timeline (audited), replies through the
outbox with their delivery state, notes, transfer, release and resolve with the CSAT question."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy import func, select

from bot.delivery import Delivered, OutboxItem, PermanentError
from bot.services import feedback
from bot.storage.models import (
    AuditLog,
    Conversation,
    ConversationStatus,
    CsatResponse,
    FirstResponse,
    Message,
    Outbox,
    Sender,
)
from tests.console.conftest import SignIn, Tx
from tests.console.seed import customer_thread
from tests.shop import load_known_shop


async def delivery_settled(app: FastAPI, message_id: int) -> None:
    """Deliver due outbox rows until the message is sent or failed (the app's own sender loop may get
    there first; either way the outcome is stored)."""
    for _ in range(50):
        await app.state.outbox_sender.drain()
        async with app.state.sessionmaker() as session:
            status = await session.scalar(select(Message.delivery_status).where(Message.id == message_id))
        if status != "pending":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {message_id} still pending")


async def _sara_on_two_channels(tx: Tx):
    """سارا (with orders) wrote on Instagram last week and now asks for a person on Telegram."""
    async with tx() as session:
        shop = await load_known_shop(session)
        earlier = await customer_thread(
            session,
            channel="instagram",
            customer_id=shop.sara_id,
            texts=["سفارشم کجاست؟"],
            intent="track_order",
            bot_reply="سفارش ۱۰۰۰۰۰۱ در راه است.",
            handoff_reason=None,
        )
        now = await customer_thread(
            session, channel="telegram", customer_id=shop.sara_id, external_id="tg-5512"
        )
    return shop, earlier, now


async def test_the_page_shows_the_customer_360_and_audits_the_view(sign_in: SignIn, tx: Tx) -> None:
    sara = await sign_in("agent@shop.ir")
    shop, _earlier, now = await _sara_on_two_channels(tx)
    response = await sara.get(f"/api/v1/conversations/{now.conversation.id}")
    assert response.status_code == 200
    page = response.json()
    assert (
        page["conversation"]["status"] == "pending" and page["conversation"]["handoff_reason"] == "requested"
    )
    assert page["can_reply"] is False  # not claimed yet
    customer = page["customer"]
    assert customer["profile"]["name"] == "سارا احمدی"
    assert {(i["channel"], i["verified"]) for i in customer["identities"]} >= {
        ("telegram", True),
        ("instagram", True),
    }
    assert "1000001" in {o["number"] for o in customer["orders"]}
    shipped = next(o for o in customer["orders"] if o["number"] == "1000001")
    assert shipped["shipment"]["tracking_code"]
    assert {c["channel"] for c in customer["conversations"]} == {"telegram", "instagram"}
    async with tx() as session:
        view = await session.scalar(select(AuditLog).where(AuditLog.action == "customer.viewed"))
        assert view is not None and view.actor_type == "agent" and view.actor_id == str(sara.id)
        assert view.subject_id == str(shop.sara_id)
    # The open page re-reads after live events: not a new opening. Opening it again is.
    assert (await sara.get(f"/api/v1/conversations/{now.conversation.id}?refresh=1")).status_code == 200
    async with tx() as session:
        assert await session.scalar(select(func.count()).where(AuditLog.action == "customer.viewed")) == 1
    await sara.get(f"/api/v1/conversations/{now.conversation.id}")
    async with tx() as session:
        assert await session.scalar(select(func.count()).where(AuditLog.action == "customer.viewed")) == 2


async def test_one_timeline_holds_both_channels_with_the_bots_understanding(sign_in: SignIn, tx: Tx) -> None:
    agent = await sign_in("agent@shop.ir")
    shop, _earlier, _now = await _sara_on_two_channels(tx)
    response = await agent.get(f"/api/v1/customers/{shop.sara_id}/timeline")
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert [m["channel"] for m in messages] == ["instagram", "instagram", "telegram", "telegram", "telegram"]
    assert messages[0]["text"] == "سفارشم کجاست؟" and messages[0]["intent"] == "track_order"
    assert messages[0]["confidence"] == 0.91
    assert messages[1]["sender"] == "bot"
    # Reads of an open page continue one audited opening; a first read is an opening of its own.
    await agent.get(f"/api/v1/customers/{shop.sara_id}/timeline")
    async with tx() as session:
        views = list(await session.scalars(select(AuditLog).where(AuditLog.action == "customer.viewed")))
        assert len(views) == 1 and views[0].detail == {"via": "timeline"}
    await agent.get(f"/api/v1/customers/{shop.sara_id}")
    async with tx() as session:
        assert await session.scalar(select(func.count()).where(AuditLog.action == "customer.viewed")) == 2


async def test_a_reply_goes_through_the_outbox_on_the_customers_channel_and_shows_its_delivery(
    app: FastAPI, sign_in: SignIn, tx: Tx
) -> None:
    agent = await sign_in("agent@shop.ir")
    shop, _earlier, now = await _sara_on_two_channels(tx)
    conversation_id = now.conversation.id
    reply_url = f"/api/v1/conversations/{conversation_id}/messages"
    assert (await agent.post(reply_url, {"text": "سلام، در خدمتم"})).status_code == 409  # claim first
    assert (await agent.post(f"/api/v1/handoffs/{conversation_id}/claim")).status_code == 200
    assert (await agent.get(f"/api/v1/conversations/{conversation_id}")).json()["can_reply"] is True
    assert (await agent.post(reply_url, {"text": "   "})).status_code == 422
    assert (await agent.post(reply_url, {"text": "x", "extra": 1})).status_code == 422

    # The telegram channel's sender is a recording fake here, registered before anything is queued.
    delivered: list[OutboxItem] = []

    async def telegram(item: OutboxItem) -> Delivered:
        delivered.append(item)
        return Delivered(external_id="tg-msg-1")

    sender = app.state.outbox_sender
    sender.registry.register("telegram", telegram)
    sent = await agent.post(reply_url, {"text": "سلام سارا جان، در خدمتم."})
    assert sent.status_code == 201
    body = sent.json()
    assert body["sender"] == "agent" and body["agent_id"] == agent.id and body["delivery_status"] == "pending"
    async with tx() as session:
        row = await session.scalar(select(Outbox).where(Outbox.message_id == body["id"]))
        assert row is not None and row.channel == "telegram" and row.target == "tg-5512"
        assert row.body["text"] == "سلام سارا جان، در خدمتم."
        first = await session.scalar(select(FirstResponse))
        assert first is not None and first.agent_id == agent.id
        assert first.handoff_at == now.conversation.handoff_at

    await delivery_settled(app, body["id"])
    assert [(i.target, i.body["text"]) for i in delivered] == [("tg-5512", "سلام سارا جان، در خدمتم.")]
    timeline = (await agent.get(f"/api/v1/customers/{shop.sara_id}/timeline")).json()["messages"]
    assert timeline[-1]["sender"] == "agent" and timeline[-1]["delivery_status"] == "sent"

    # A failure is shown with its reason (the Instagram 24-hour window, say).
    async def refuse(item: OutboxItem) -> None:
        raise PermanentError("outside the 24-hour messaging window")

    sender.registry.register("telegram", refuse)
    second = await agent.post(reply_url, {"text": "پیام دوم"})
    await delivery_settled(app, second.json()["id"])
    timeline = (await agent.get(f"/api/v1/customers/{shop.sara_id}/timeline")).json()["messages"]
    failed = next(m for m in timeline if m["id"] == second.json()["id"])
    assert failed["delivery_status"] == "failed" and "24-hour" in failed["delivery_error"]
    async with tx() as session:  # the first response after the handoff is kept, not the later reply
        assert await session.scalar(select(func.count()).select_from(FirstResponse)) == 1


async def test_only_the_holder_replies(sign_in: SignIn, tx: Tx) -> None:
    sara = await sign_in("sara@shop.ir")
    admin = await sign_in("boss@shop.ir", role="admin")
    async with tx() as session:
        thread = await customer_thread(session)
    await sara.post(f"/api/v1/handoffs/{thread.conversation.id}/claim")
    response = await admin.post(f"/api/v1/conversations/{thread.conversation.id}/messages", {"text": "سلام"})
    assert response.status_code == 403


async def test_notes_are_private(sign_in: SignIn, tx: Tx) -> None:
    agent = await sign_in("agent@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session)
    response = await agent.post(
        f"/api/v1/conversations/{thread.conversation.id}/notes", {"text": "مشتری عجله دارد"}
    )
    assert response.status_code == 201 and response.json()["agent_name"] == "agent"
    page = (await agent.get(f"/api/v1/conversations/{thread.conversation.id}")).json()
    assert [n["text"] for n in page["customer"]["notes"]] == ["مشتری عجله دارد"]
    timeline = (await agent.get(f"/api/v1/customers/{thread.conversation.customer_id}/timeline")).json()
    assert "مشتری عجله دارد" not in {m["text"] for m in timeline["messages"]}
    async with tx() as session:
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 0


async def test_transfer_hands_the_conversation_to_another_agent(sign_in: SignIn, tx: Tx) -> None:
    sara = await sign_in("sara@shop.ir")
    reza = await sign_in("reza@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session)
    base = f"/api/v1/conversations/{thread.conversation.id}"
    assert (await sara.post(base + "/transfer", {"agent_id": reza.id})).status_code == 409  # not claimed
    await sara.post(f"/api/v1/handoffs/{thread.conversation.id}/claim")
    assert (await reza.post(base + "/transfer", {"agent_id": reza.id})).status_code == 403  # not reza's
    assert (await sara.post(base + "/transfer", {"agent_id": 987654})).status_code == 404
    moved = await sara.post(base + "/transfer", {"agent_id": reza.id})
    assert moved.status_code == 200 and moved.json()["assignee_id"] == reza.id
    assert (await sara.get(base)).status_code == 403
    assert (await reza.get(base)).json()["can_reply"] is True
    assert (await reza.post(base + "/messages", {"text": "سلام، من رضا هستم"})).status_code == 201


async def test_release_gives_the_conversation_back_to_the_bot(sign_in: SignIn, tx: Tx) -> None:
    agent = await sign_in("agent@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session)
    base = f"/api/v1/conversations/{thread.conversation.id}"
    assert (await agent.post(base + "/release")).status_code == 409  # claim first
    await agent.post(f"/api/v1/handoffs/{thread.conversation.id}/claim")
    released = await agent.post(base + "/release")
    assert released.status_code == 200
    assert released.json()["status"] == "bot" and released.json()["assignee_id"] is None
    assert (await agent.get(base)).status_code == 403  # no longer the agent's
    async with tx() as session:
        assert await session.scalar(select(AuditLog.id).where(AuditLog.action == "conversation.release"))


async def test_resolve_closes_and_sends_the_csat_question_from_the_domain(
    app: FastAPI, sign_in: SignIn, tx: Tx
) -> None:
    agent = await sign_in("agent@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session, external_id="tg-77")
    base = f"/api/v1/conversations/{thread.conversation.id}"
    await agent.post(f"/api/v1/handoffs/{thread.conversation.id}/claim")
    resolved = await agent.post(base + "/resolve")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    assert (await agent.post(base + "/resolve")).status_code == 409
    async with tx() as session:
        question = await session.scalar(
            select(Message)
            .where(Message.conversation_id == thread.conversation.id)
            .order_by(Message.id.desc())
        )
        assert question is not None and question.sender == Sender.BOT
        assert question.text == "گفتگوی شما بسته شد. چقدر از پاسخ‌گویی راضی بودید؟"
        assert question.payload["response"] == "utter_ask_csat"
        assert [b["payload"] for b in question.payload["buttons"]] == [
            f'/csat{{"score":"{n}"}}' for n in (5, 4, 3, 2, 1)
        ]
        row = await session.scalar(select(Outbox).where(Outbox.message_id == question.id))
        assert row is not None and row.target == "tg-77" and len(row.body["buttons"]) == 5
        stored = await session.get(Conversation, thread.conversation.id)
        assert (
            stored is not None
            and stored.status == ConversationStatus.RESOLVED
            and stored.assignee_id == agent.id
        )
        # The customer's answer is credited to the agent who resolved it.
        assert await feedback.record_csat(session, customer_id=stored.customer_id, score="5")
        csat = await session.scalar(select(CsatResponse))
        assert csat is not None and csat.agent_id == agent.id
    # The agent still sees the conversation they resolved, with the question sent.
    page = await agent.get(base)
    assert page.status_code == 200 and page.json()["can_reply"] is False
