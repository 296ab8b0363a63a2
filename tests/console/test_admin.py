"""What only admins do: agents, canned responses (read by everyone, filled per conversation), the audit
log, a customer's export and erasure. Agents trying any of it get 403 and change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.models import AuditLog, CannedResponse, Customer, Message
from tests.console.conftest import SignIn, Tx
from tests.console.seed import PASSWORD, customer_thread
from tests.shop import load_known_shop


async def test_admins_add_and_deactivate_agents_and_a_deactivated_agent_is_signed_out(
    sign_in: SignIn, tx: Tx
) -> None:
    admin = await sign_in("boss@shop.ir", role="admin")
    sara = await sign_in("sara@shop.ir")
    new = {"email": "Nima@Shop.ir", "name": "نیما", "role": "agent", "password": "long-enough-pass"}
    assert (await sara.post("/api/v1/agents", new)).status_code == 403
    created = await admin.post("/api/v1/agents", new)
    assert created.status_code == 201 and created.json()["email"] == "nima@shop.ir"
    assert (await admin.post("/api/v1/agents", new)).status_code == 422  # the email is taken
    assert (
        await admin.post("/api/v1/agents", {**new, "email": "x@shop.ir", "password": "short"})
    ).status_code == 422
    listed = (await sara.get("/api/v1/agents")).json()
    assert {a["name"] for a in listed} == {"boss", "sara", "نیما"} and "email" not in listed[0]
    assert "email" in (await admin.get("/api/v1/agents")).json()[0]

    assert (await sara.post(f"/api/v1/agents/{admin.id}/deactivate")).status_code == 403
    assert (await admin.post(f"/api/v1/agents/{admin.id}/deactivate")).status_code == 422  # not yourself
    gone = await admin.post(f"/api/v1/agents/{sara.id}/deactivate")
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert (await sara.get("/api/v1/handoffs")).status_code == 401
    login = await sara.client.post("/api/v1/auth/login", json={"email": "sara@shop.ir", "password": PASSWORD})
    assert login.status_code == 401
    assert (await admin.post(f"/api/v1/agents/{sara.id}/activate")).status_code == 200


async def test_canned_responses_are_written_by_admins_and_filled_for_the_conversation(
    sign_in: SignIn, tx: Tx
) -> None:
    admin = await sign_in("boss@shop.ir", role="admin")
    agent = await sign_in("sara@shop.ir")
    text = "{customer_name} عزیز، سفارش {order_number} امروز ارسال می‌شود."
    body = {"shortcut": "shipping", "title": "ارسال امروز", "text": text}
    assert (await agent.post("/api/v1/canned-responses", body)).status_code == 403
    created = await admin.post("/api/v1/canned-responses", body)
    assert created.status_code == 201
    bad = await admin.post("/api/v1/canned-responses", {**body, "shortcut": "x", "text": "سلام {name}"})
    assert bad.status_code == 422 and "{name}" in bad.json()["detail"]
    assert (await admin.post("/api/v1/canned-responses", body)).status_code == 422  # shortcut taken

    async with tx() as session:
        shop = await load_known_shop(session)
        thread = await customer_thread(session, customer_id=shop.sara_id)
    filled = (await agent.get(f"/api/v1/canned-responses?conversation_id={thread.conversation.id}")).json()
    assert filled[0]["text"] == text
    assert filled[0]["filled"] == "سارا احمدی عزیز، سفارش ۱۰۰۰۰۰۴ امروز ارسال می‌شود."  # her latest order

    canned_id = created.json()["id"]
    changed = await admin.put(f"/api/v1/canned-responses/{canned_id}", {**body, "title": "ارسال"})
    assert changed.status_code == 200 and changed.json()["title"] == "ارسال"
    assert (await agent.delete(f"/api/v1/canned-responses/{canned_id}")).status_code == 403
    assert (await admin.delete(f"/api/v1/canned-responses/{canned_id}")).status_code == 204
    assert (await admin.delete(f"/api/v1/canned-responses/{canned_id}")).status_code == 404
    async with tx() as session:
        assert await session.scalar(select(func.count()).select_from(CannedResponse)) == 0


async def test_the_audit_log_is_for_admins_and_records_who_saw_whom(sign_in: SignIn, tx: Tx) -> None:
    admin = await sign_in("boss@shop.ir", role="admin")
    agent = await sign_in("sara@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session)
    await agent.get(f"/api/v1/conversations/{thread.conversation.id}")
    assert (await agent.get("/api/v1/audit")).status_code == 403
    entries = (await admin.get("/api/v1/audit?action=customer.viewed")).json()
    assert [(e["actor_type"], e["actor_id"], e["subject_id"]) for e in entries] == [
        ("agent", str(agent.id), str(thread.conversation.customer_id))
    ]
    everything = (await admin.get("/api/v1/audit?limit=2")).json()
    older = (await admin.get(f"/api/v1/audit?limit=500&before_id={everything[-1]['id']}")).json()
    assert everything[0]["id"] > everything[1]["id"] > older[0]["id"]


async def test_admins_export_a_customers_data_and_the_export_is_audited(sign_in: SignIn, tx: Tx) -> None:
    admin = await sign_in("boss@shop.ir", role="admin")
    agent = await sign_in("sara@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session, texts=["شماره‌ام ۰۹۱۲۱۲۳۴۵۶۷ است"])
    url = f"/api/v1/customers/{thread.conversation.customer_id}/export"
    assert (await agent.post(url)).status_code == 403
    response = await admin.post(url)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    texts = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert "شماره‌ام ۰۹۱۲۱۲۳۴۵۶۷ است" in texts
    async with tx() as session:
        entry = await session.scalar(select(AuditLog).where(AuditLog.action == "privacy.export.by_agent"))
        assert entry is not None and entry.actor_id == str(admin.id)


async def test_admins_erase_a_customer(sign_in: SignIn, tx: Tx) -> None:
    admin = await sign_in("boss@shop.ir", role="admin")
    agent = await sign_in("sara@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session, name="مریم رضایی", texts=["آدرسم تهران، خیابان آزادی"])
    customer_id = thread.conversation.customer_id
    url = f"/api/v1/customers/{customer_id}/erase"
    assert (await agent.post(url, {"confirm": True})).status_code == 403
    assert (await admin.post(url, {})).status_code == 422  # must be confirmed
    erased = await admin.post(url, {"confirm": True})
    assert erased.status_code == 200 and erased.json()["customer_id"] == customer_id
    assert (await admin.post(url, {"confirm": True})).status_code == 409
    async with tx() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None and customer.erased_at is not None and customer.name is None
        texts = set(await session.scalars(select(Message.text)))
        assert "آدرسم تهران، خیابان آزادی" not in texts
        entry = await session.scalar(select(AuditLog).where(AuditLog.action == "privacy.erased.by_agent"))
        assert entry is not None and entry.actor_id == str(admin.id)
