"""The handoff queue, claiming (one winner when two agents claim at once) and who may see what."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select, update

from bot.services import console
from bot.storage.base import utcnow
from bot.storage.models import AuditLog, Conversation, ConversationStatus
from tests.console.conftest import SignIn, Tx
from tests.console.seed import customer_thread, make_agent


async def test_the_queue_lists_waiting_conversations_oldest_first_with_what_an_agent_needs(
    sign_in: SignIn, tx: Tx
) -> None:
    sara = await sign_in("sara@shop.ir")
    async with tx() as session:
        newer = await customer_thread(
            session,
            channel="instagram",
            name="رضا کریمی",
            texts=["کالا خراب رسید"],
            intent="complaint",
            handoff_reason="complaint",
        )
        older = await customer_thread(
            session, channel="telegram", name="مریم", texts=["سلام", "اپراتور لطفا"]
        )
        await customer_thread(session, channel="webchat", name="بی‌صبر", handoff_reason=None)  # with the bot
        older.conversation.handoff_at = utcnow() - timedelta(minutes=12)
    response = await sara.get("/api/v1/handoffs")
    assert response.status_code == 200
    queue = response.json()
    assert [item["conversation_id"] for item in queue] == [older.conversation.id, newer.conversation.id]
    first = queue[0]
    assert first["channel"] == "telegram" and first["customer_name"] == "مریم"
    assert first["reason"] == "requested" and first["last_customer_message"] == "اپراتور لطفا"
    assert 12 * 60 - 5 <= first["waiting_seconds"] <= 12 * 60 + 60
    assert queue[1]["reason"] == "complaint" and queue[1]["last_customer_message"] == "کالا خراب رسید"


async def test_claiming_assigns_the_conversation_and_a_second_claim_is_told_who_won(
    sign_in: SignIn, tx: Tx
) -> None:
    sara = await sign_in("sara@shop.ir", name="سارا")
    reza = await sign_in("reza@shop.ir", name="رضا")
    async with tx() as session:
        thread = await customer_thread(session)
    url = f"/api/v1/handoffs/{thread.conversation.id}/claim"
    won = await sara.post(url)
    assert won.status_code == 200
    assert won.json()["status"] == "open" and won.json()["assignee_id"] == sara.id
    lost = await reza.post(url)
    assert lost.status_code == 409
    assert "سارا" in lost.json()["detail"]
    assert (await sara.get("/api/v1/handoffs")).json() == []
    mine = (await sara.get("/api/v1/handoffs?status=open")).json()
    assert [item["conversation_id"] for item in mine] == [thread.conversation.id]
    assert (await reza.get("/api/v1/handoffs?status=open")).json() == []


async def test_two_agents_claiming_at_once_one_wins_the_other_gets_409(sign_in: SignIn, tx: Tx) -> None:
    agents = [await sign_in(f"agent{n}@shop.ir") for n in range(4)]
    async with tx() as session:
        thread = await customer_thread(session)
    url = f"/api/v1/handoffs/{thread.conversation.id}/claim"
    responses = await asyncio.gather(*(agent.post(url) for agent in agents))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409]
    winner = next(a for a, r in zip(agents, responses, strict=True) if r.status_code == 200)
    async with tx() as session:
        stored = await session.get(Conversation, thread.conversation.id)
        assert (
            stored is not None
            and stored.assignee_id == winner.id
            and stored.status == ConversationStatus.OPEN
        )
        claims = await session.scalars(select(AuditLog).where(AuditLog.action == "conversation.claimed"))
        assert [c.actor_id for c in claims] == [str(winner.id)]


async def test_concurrent_claims_in_separate_transactions_have_one_winner(app: FastAPI, tx: Tx) -> None:
    async with tx() as session:
        agents = [await make_agent(session, f"a{n}@shop.ir") for n in range(3)]
        thread = await customer_thread(session)

    async def claim(agent_id: int) -> str:
        try:
            async with app.state.sessionmaker() as session, session.begin():
                agent = await session.get(type(agents[0]), agent_id)
                await console.do_claim(session, agent, thread.conversation.id)
                await asyncio.sleep(0.05)  # hold the transaction open while the others try
                return "won"
        except console.Conflict:
            return "lost"

    outcomes = await asyncio.gather(*(claim(a.id) for a in agents))
    assert sorted(outcomes) == ["lost", "lost", "won"]


async def test_an_agent_sees_only_waiting_conversations_and_their_own(sign_in: SignIn, tx: Tx) -> None:
    sara = await sign_in("sara@shop.ir")
    reza = await sign_in("reza@shop.ir")
    async with tx() as session:
        waiting = await customer_thread(session, name="منتظر")
        with_bot = await customer_thread(session, name="با ربات", handoff_reason=None)
        rezas = await customer_thread(session, name="مشتری رضا")
    assert (await reza.post(f"/api/v1/handoffs/{rezas.conversation.id}/claim")).status_code == 200

    assert (await sara.get(f"/api/v1/conversations/{waiting.conversation.id}")).status_code == 200
    for hidden in (with_bot, rezas):
        conversation, customer = hidden.conversation.id, hidden.conversation.customer_id
        assert (await sara.get(f"/api/v1/conversations/{conversation}")).status_code == 403
        assert (await sara.get(f"/api/v1/customers/{customer}")).status_code == 403
        assert (await sara.get(f"/api/v1/customers/{customer}/timeline")).status_code == 403
        assert (await sara.get(f"/api/v1/canned-responses?conversation_id={conversation}")).status_code == 403
    assert (
        await sara.post(f"/api/v1/conversations/{rezas.conversation.id}/messages", {"text": "سلام"})
    ).status_code == 403
    assert (await sara.get("/api/v1/conversations/999999")).status_code == 404
    assert (await sara.get("/api/v1/customers/999999")).status_code == 404
    async with tx() as session:  # refusals leave no trace of a view
        views = await session.scalars(select(AuditLog).where(AuditLog.action == "customer.viewed"))
        assert {v.subject_id for v in views} == {str(waiting.conversation.customer_id)}


async def test_an_admin_sees_everything_and_may_take_a_conversation_from_the_bot(
    sign_in: SignIn, tx: Tx
) -> None:
    admin = await sign_in("boss@shop.ir", role="admin")
    agent = await sign_in("sara@shop.ir")
    async with tx() as session:
        with_bot = await customer_thread(session, handoff_reason=None)
    assert (await admin.get(f"/api/v1/conversations/{with_bot.conversation.id}")).status_code == 200
    assert (await admin.get(f"/api/v1/customers/{with_bot.conversation.customer_id}")).status_code == 200
    assert (await agent.post(f"/api/v1/handoffs/{with_bot.conversation.id}/claim")).status_code == 409
    taken = await admin.post(f"/api/v1/handoffs/{with_bot.conversation.id}/claim")
    assert taken.status_code == 200 and taken.json()["handoff_reason"] == "agent"
    assert (await admin.get("/api/v1/handoffs?status=open")).json()[0]["assignee_id"] == admin.id


async def test_the_shop_key_still_reads_customers_and_nothing_else_does(
    app: FastAPI, tx: Tx, shop_auth: dict
) -> None:
    from tests.console.conftest import asgi_client

    async with tx() as session:
        thread = await customer_thread(session)
        await session.execute(update(Conversation).values(status=ConversationStatus.PENDING))
    url = f"/api/v1/customers/{thread.conversation.customer_id}"
    async with asgi_client(app) as client:
        assert (await client.get(url, headers=shop_auth)).status_code == 200
        assert (await client.get(url + "/timeline", headers=shop_auth)).status_code == 200
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await client.get("/api/v1/handoffs", headers=shop_auth)).status_code == 401
