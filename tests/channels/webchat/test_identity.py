"""The shop's identity hash: a logged-in shop customer is recognised, a wrong hash leaves the visitor
anonymous, a logged-out browser starts over, and one customer has one timeline across channels."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from api.app import create_app
from bot.channels.base import InboundMessage
from bot.config import Settings
from bot.services import identity
from bot.storage.base import utcnow
from bot.storage.models import Identity, InboundUpdate, VerificationMethod
from tests.channels.webchat.conftest import Harness, sara_hash
from tests.conftest import API_KEY
from tests.shop import SARA_PHONE, KnownShop


async def _visitor(chat: Harness, visitor: str) -> Identity:
    async with chat.sessionmaker() as session:
        found = await identity.find_identity(session, channel="webchat", external_id=visitor)
    assert found is not None
    return found


def _texts(frames: list[dict]) -> str:
    return "\n".join(f["text"] or "" for f in frames if f["direction"] == "out")


async def test_a_good_identity_hash_makes_the_visitor_that_shop_customer(
    chat: Harness, shop: KnownShop
) -> None:
    client = await chat.connect(shop_user="u-1", identity_hash=sara_hash("u-1"))
    assert client.of("session")[0]["verified"] is True
    await client.say("/track_order", "c-sara-0001", title="پیگیری سفارش")
    await chat.settle()
    visitor = await _visitor(chat, client.visitor)
    assert visitor.verified and visitor.method == VerificationMethod.SHOP_TOKEN
    assert visitor.customer_id == shop.sara_id
    assert "۱۰۰۰۰۰۴" in _texts(client.messages()), "a verified customer is shown her own orders"


async def test_a_wrong_identity_hash_leaves_the_visitor_anonymous(chat: Harness, shop: KnownShop) -> None:
    client = await chat.connect(shop_user="u-1", identity_hash=sara_hash("u-2"))
    session = client.of("session")[0]
    assert session["verified"] is False and session["identity_rejected"] is True
    await client.say("/track_order", "c-anon-0001")
    await chat.settle()
    visitor = await _visitor(chat, client.visitor)
    assert not visitor.verified and visitor.customer_id != shop.sara_id
    async with chat.sessionmaker() as db:
        payloads = list(await db.scalars(select(InboundUpdate.payload)))
    assert all("verify" not in (p.get("payload") or {}) for p in payloads)
    replies = _texts(client.messages())
    assert "شمارهٔ سفارش" in replies and "۱۰۰۰۰۰۴" not in replies, "nothing private for an anonymous visitor"


async def test_a_logged_out_browser_or_another_user_starts_a_new_visitor(
    chat: Harness, shop: KnownShop
) -> None:
    sara = await chat.connect(shop_user="u-1", identity_hash=sara_hash("u-1"))
    await sara.say("/track_order", "c-out-00001")
    await chat.settle()
    await sara.close()
    again = await chat.connect(sara.token, shop_user="u-1", identity_hash=sara_hash("u-1"))
    assert again.visitor == sara.visitor and again.messages(), "Sara, back: her chat"
    await again.close()
    logged_out = await chat.connect(sara.token)
    assert logged_out.visitor != sara.visitor and logged_out.messages() == []
    reza = await chat.connect(sara.token, shop_user="u-2", identity_hash=sara_hash("u-2"))
    assert reza.visitor != sara.visitor and reza.messages() == []


async def test_a_customer_known_on_another_channel_is_one_customer_and_the_bot_remembers(
    chat: Harness, shop: KnownShop, settings: Settings
) -> None:
    # Sara on the REST channel: verified by her phone, asks about order 1000002 (delivered).
    async with chat.sessionmaker() as session, session.begin():
        rest = await identity.resolve_identity(session, channel="rest", external_id="sara-on-rest")
        await identity.verify_with_phone(
            session, identity=rest, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
        )
        message = InboundMessage(
            channel="rest",
            external_user_id="sara-on-rest",
            external_message_id="rest-1",
            text='/track_order{"order_id":"1000002"}',
            sent_at=utcnow() - timedelta(minutes=3),
        )
        result = await chat.runtime.process(session, message, deliver_via_outbox=False)
        assert "تحویل" in result.replies[0][0].text
    # Later, on the shop's site, logged in: the widget's first words are just "track my order".
    widget = await chat.connect(shop_user="u-1", identity_hash=sara_hash("u-1"))
    await widget.say("/track_order", "c-cross-001", title="پیگیری سفارش")
    await chat.settle()
    assert (await _visitor(chat, widget.visitor)).customer_id == shop.sara_id
    replies = _texts(widget.messages())
    assert "۱۰۰۰۰۰۲" in replies and "تحویل" in replies, f"the bot should remember order 1000002: {replies}"

    app = create_app(settings, load_conversations=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            response = await api.get(
                f"/api/v1/customers/{shop.sara_id}/timeline", headers={"Authorization": f"Bearer {API_KEY}"}
            )
    assert response.status_code == 200, response.text
    timeline = response.json()["messages"]
    assert {m["channel"] for m in timeline} >= {"rest", "webchat"}
    assert next(m["text"] for m in timeline if m["channel"] == "rest") == '/track_order{"order_id":"1000002"}'
    assert any(m["channel"] == "webchat" and "۱۰۰۰۰۰۲" in (m["text"] or "") for m in timeline)
