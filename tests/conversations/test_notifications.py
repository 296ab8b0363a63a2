"""Proactive notices: the shop marks an order shipped or delivered; the customer hears it once, on the
channel they used last, within that channel's rules."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from bot.services import conversations, identity
from bot.storage.base import utcnow
from bot.storage.models import Message, Outbox, VerificationMethod
from tests.conftest import API_KEY
from tests.shop import SARA_PHONE, KnownShop

AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def _customer_wrote(app: FastAPI, channel: str, external_id: str, *, ago: timedelta) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        found = await identity.resolve_identity(session, channel=channel, external_id=external_id)
        if not found.verified:
            await identity.verify_with_phone(
                session, identity=found, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
            )
        conversation = await conversations.open_conversation(session, found)
        message = await conversations.store_inbound(
            session,
            conversation,
            external_message_id=f"{channel}-{external_id}-{ago}",
            text="سلام",
            payload=None,
        )
        assert message is not None
        message.created_at = utcnow() - ago


async def _ship(bot: httpx.AsyncClient, number: str, status: str) -> None:
    current = (await bot.get(f"/api/v1/orders/{number}", headers=AUTH)).json()
    body = {k: current[k] for k in ("status", "placed_at", "total")}
    body.update(status=status, customer={"external_id": "u-1", "name": "سارا احمدی", "phone": SARA_PHONE})
    body["items"] = [{k: i[k] for k in ("sku", "title", "quantity", "unit_price")} for i in current["items"]]
    body["shipment"] = {
        "carrier": "پست پیشتاز",
        "tracking_code": "123456789012345678901234",
        "status": status,
        "events": [{"at": utcnow().isoformat(), "status": status}],
    }
    response = await bot.put(f"/api/v1/orders/{number}", json=body, headers=AUTH)
    assert response.status_code == 200, response.text


async def _notices(app: FastAPI) -> list[Outbox]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(Outbox)
            .join(Message, Message.id == Outbox.message_id)
            .where(Message.payload["notice"].isnot(None))
            .order_by(Outbox.id)
        )
        return list(rows)


async def test_shipping_is_told_once_on_the_last_channel(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    await _customer_wrote(bot_app, "instagram", "ig-sara", ago=timedelta(days=3))
    await _customer_wrote(bot_app, "telegram", "tg-sara", ago=timedelta(hours=2))
    await _ship(bot, "1000004", "shipped")
    await _ship(bot, "1000004", "shipped")  # the shop sends the same update again
    notices = await _notices(bot_app)
    assert [(n.channel, n.target) for n in notices] == [("telegram", "tg-sara")]
    assert "۱۰۰۰۰۰۴" in notices[0].body["text"] and "ارسال شد" in notices[0].body["text"]
    assert "۱۲۳۴۵۶۷۸۹۰۱۲۳۴۵۶۷۸۹۰۱۲۳۴" in notices[0].body["text"]
    await _ship(bot, "1000004", "delivered")
    assert [n.body["text"].startswith("سفارش ۱۰۰۰۰۰۴ تحویل") for n in await _notices(bot_app)] == [
        False,
        True,
    ]


async def test_instagram_outside_its_window_is_skipped_for_an_older_channel(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    await _customer_wrote(bot_app, "webchat", "visitor-1", ago=timedelta(days=5))
    await _customer_wrote(bot_app, "instagram", "ig-sara", ago=timedelta(days=2))
    await _ship(bot, "1000004", "shipped")
    assert [(n.channel, n.target) for n in await _notices(bot_app)] == [("webchat", "visitor-1")]


async def test_nobody_reachable_means_no_notice(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    await _customer_wrote(bot_app, "rest", "rest-sara", ago=timedelta(minutes=1))
    await _customer_wrote(bot_app, "instagram", "ig-sara", ago=timedelta(days=2))
    await _ship(bot, "1000004", "shipped")
    assert await _notices(bot_app) == []
