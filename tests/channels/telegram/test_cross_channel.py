"""One customer across channels (issue 6, item 7): سارا, known on Telegram by her own shared contact,
verifies on another channel with an SMS code and is the same customer there, with one timeline."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from bot.config import Settings
from bot.storage.models import Conversation, Identity
from tests.channels.telegram.conftest import (
    CHAT,
    contact_update,
    eventually,
    post_update,
    settled,
    text_update,
)
from tests.conversations.test_otp_webhook import VERIFIED, latest_code, say
from tests.fakes.telegram import FakeTelegram
from tests.shop import SARA_PHONE, load_known_shop

WEB_VISITOR = "sara-laptop-browser"


async def telegram_says(client: httpx.AsyncClient, app: FastAPI, update: dict) -> None:
    assert (await post_update(client, update)).status_code == 200
    await eventually(lambda: settled(app.state.sessionmaker))


async def test_a_telegram_customer_who_verifies_elsewhere_is_one_customer_with_one_timeline(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, tg_settings: Settings, telegram_api: FakeTelegram
) -> None:
    async with tg_bot_app.state.sessionmaker() as session, session.begin():
        shop = await load_known_shop(session)

    # Telegram: سارا asks after her order and shares her own number with the button
    await telegram_says(tg_bot, tg_bot_app, text_update("سفارش ۱۰۰۰۰۰۱ کجاست؟"))
    await telegram_says(tg_bot, tg_bot_app, contact_update("+989121234567", contact_user=CHAT))

    # the web (Rasa REST channel): a stranger to the bot until she proves the phone with a code
    assert "شمارهٔ موبایل" in await say(tg_bot, WEB_VISITOR, "اطلاعاتم رو پاک کنید")
    await say(tg_bot, WEB_VISITOR, SARA_PHONE)
    assert VERIFIED in await say(tg_bot, WEB_VISITOR, await latest_code(tg_bot_app, SARA_PHONE))

    async with tg_bot_app.state.sessionmaker() as session:
        identities = {
            (i.channel, i.external_id): (i.customer_id, i.verified, i.method)
            for i in await session.scalars(select(Identity).where(Identity.channel.in_(["telegram", "rest"])))
        }
        owners = set(await session.scalars(select(Conversation.customer_id)))
    assert identities == {
        ("telegram", str(CHAT)): (shop.sara_id, True, "telegram_contact"),
        ("rest", WEB_VISITOR): (shop.sara_id, True, "sms_otp"),
    }
    assert owners == {shop.sara_id}  # the conversations of both channels moved to her

    response = await tg_bot.get(
        f"/api/v1/customers/{shop.sara_id}/timeline",
        headers={"Authorization": f"Bearer {tg_settings.api_key.get_secret_value()}"},
    )
    assert response.status_code == 200
    timeline = response.json()["messages"]
    said = [(m["channel"], m["text"]) for m in timeline if m["direction"] == "in"]
    assert ("telegram", "سفارش ۱۰۰۰۰۰۱ کجاست؟") in said and ("rest", "اطلاعاتم رو پاک کنید") in said
    assert [m["created_at"] for m in timeline] == sorted(m["created_at"] for m in timeline)  # one time line
    assert {m["channel"] for m in timeline if m["direction"] == "out"} == {"telegram", "rest"}
    telegram_replies = [m["text"] for m in timeline if m["channel"] == "telegram" and m["direction"] == "out"]
    assert telegram_replies and set(telegram_replies) <= set(telegram_api.sent_texts(CHAT))
