"""Privacy with a real one-time code, end to end through POST /webhooks/rest/webhook.

Stories cannot know a random code; these tests read it from the SMS row in the outbox, as a developer
does with the development SMS provider.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from bot.services import identity
from bot.storage.base import utcnow
from bot.storage.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Identity,
    Order,
    Outbox,
    OutboxKind,
    VerificationCode,
    VerificationMethod,
)
from bot.text.digits import to_persian_digits
from tests.leaks import find_text
from tests.shop import REZA_PHONE, SARA_PHONE, KnownShop

NEEDS_VERIFICATION = "اول باید هویت شما را تأیید کنیم"
ASK_PHONE = "شمارهٔ موبایل ثبت‌شده در فروشگاه را بفرستید"
ASK_CODE = "یک کد ۶ رقمی به آن پیامک شد"
WRONG = "کد درست نیست یا منقضی شده"
TOO_MANY = "تعداد درخواست‌ها یا تلاش‌ها زیاد بوده"
VERIFIED = "هویت شما تأیید شد"
ASK_CHOICE = "چه کاری برای اطلاعات شخصی‌تان انجام دهم"


async def say(bot: httpx.AsyncClient, sender: str, message: str) -> str:
    response = await bot.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status_code == 200, response.text
    return "\n".join(r.get("text", "") for r in response.json())


async def latest_code(app: FastAPI, phone: str) -> str:
    async with app.state.sessionmaker() as session:
        body = await session.scalar(
            select(Outbox.body)
            .where(Outbox.kind == OutboxKind.SMS, Outbox.target == phone)
            .order_by(Outbox.id.desc())
            .limit(1)
        )
    assert body is not None, "no SMS was recorded"
    match = re.search(r"\b(\d{6})\b", body["text"])
    assert match is not None
    return match.group(1)


async def sms_count(app: FastAPI, phone: str) -> int:
    async with app.state.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.kind == OutboxKind.SMS, Outbox.target == phone)
        )
    return count or 0


async def verify_by_code(bot: httpx.AsyncClient, app: FastAPI, sender: str, phone: str) -> str:
    assert NEEDS_VERIFICATION in await say(bot, sender, "اطلاعاتم رو پاک کنید")
    assert ASK_CODE in await say(bot, sender, phone)
    code = await latest_code(app, phone)
    typed = to_persian_digits(f"{code[:3]} {code[3:]}")  # Persian digits with a space, as people type
    return await say(bot, sender, typed)


async def test_export_after_a_code_read_from_the_outbox(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    sender = "otp-export"
    replies = await verify_by_code(bot, bot_app, sender, SARA_PHONE)
    assert VERIFIED in replies and ASK_CHOICE in replies
    replies = await say(bot, sender, '/choose{"privacy_choice":"export"}')
    link = re.search(r"http://\S+/privacy/export/\S+", replies)
    assert link is not None, replies
    download = await bot.get(link.group().replace("http://127.0.0.1:8000", ""))
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    data = download.json()
    assert data["customer"]["name"] == "سارا احمدی"
    assert {o["number"] for o in data["orders"]} >= {"1000001", "1000002", "1000004"}
    said = [m["text"] for c in data["conversations"] for m in c["messages"] if m["direction"] == "in"]
    assert "اطلاعاتم رو پاک کنید" in said
    async with bot_app.state.sessionmaker() as session:
        code_rows = list(await session.scalars(select(VerificationCode)))
    assert [row.consumed_at is not None for row in code_rows] == [True]
    assert all(len(row.code_hash) == 64 for row in code_rows)  # only the hash is kept


async def test_deletion_end_to_end_leaves_nothing_personal(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    other_device = "sara-laptop"
    async with bot_app.state.sessionmaker() as session, session.begin():
        laptop = await identity.resolve_identity(session, channel="rest", external_id=other_device)
        await identity.verify_with_phone(
            session, identity=laptop, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
        )
    # Free text with a third person's name, inside a request the bot answers (by email, which puts
    # the address in the outbox and in the reply too).
    secret_words = "فاکتور سفارش ۱۰۰۰۰۰۲ رو به ایمیلم بفرستید، خانم توکلی همسایه‌مون هم خرید کرده"
    assert "sara.ahmadi@example.com" in await say(bot, other_device, secret_words)
    async with bot_app.state.sessionmaker() as session:
        assert await find_text(session, [secret_words, SARA_PHONE, "sara.ahmadi"])  # the search finds them
    sender = "otp-delete"
    assert VERIFIED in await verify_by_code(bot, bot_app, sender, SARA_PHONE)
    assert "مطمئنید" in await say(bot, sender, '/choose{"privacy_choice":"delete"}')
    assert "برای آخرین بار" in await say(bot, sender, "بله")
    assert "اطلاعات شخصی شما حذف شد" in await say(bot, sender, "بله، برای همیشه حذف شود")

    async with bot_app.state.sessionmaker() as session:
        leaks = await find_text(
            session,
            ["سارا احمدی", "سارا", SARA_PHONE, "9121234567", "sara.ahmadi", secret_words, "خانم توکلی"],
        )
        assert leaks == [], leaks
        kept = await session.scalar(select(Order).where(Order.number == "1000001"))
        assert kept is not None and kept.customer_id == shop.sara_id  # kept, on an anonymous record
        sara = await session.get(Customer, shop.sara_id)
        assert sara is not None and sara.erased_at is not None
        assert (sara.name, sara.phone, sara.email) == (None, None, None)
        statuses = set(await session.scalars(select(Conversation.status)))
        assert statuses == {ConversationStatus.RESOLVED}

    # The same channel users are strangers now: nothing private without proving it again.
    replies = await say(bot, sender, '/track_order{"order_id":"1000001"}')
    assert "شمارهٔ موبایلی را که هنگام ثبت سفارش" in replies
    assert NEEDS_VERIFICATION in await say(bot, other_device, "/privacy_request")


async def test_an_expired_code_is_wrong_and_a_new_one_is_offered(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    sender = "otp-expired"
    await say(bot, sender, "/privacy_request")
    await say(bot, sender, SARA_PHONE)
    code = await latest_code(bot_app, SARA_PHONE)
    async with bot_app.state.sessionmaker() as session, session.begin():
        await session.execute(update(VerificationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    replies = await say(bot, sender, code)
    assert WRONG in replies and ASK_PHONE in replies and VERIFIED not in replies
    assert ASK_CODE in await say(bot, sender, SARA_PHONE)  # a fresh code
    replies = await say(bot, sender, await latest_code(bot_app, SARA_PHONE))
    assert VERIFIED in replies


async def test_a_code_works_once(bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop) -> None:
    first, second = "otp-once-a", "otp-once-b"
    await say(bot, first, "/privacy_request")
    await say(bot, first, SARA_PHONE)
    code = await latest_code(bot_app, SARA_PHONE)
    assert VERIFIED in await say(bot, first, code)
    await say(bot, second, "/privacy_request")
    await say(bot, second, REZA_PHONE)
    # another identity typing the first identity's (used) code learns nothing
    assert WRONG in await say(bot, second, code)


async def test_three_codes_per_quarter_hour_then_the_form_stops(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    sender = "otp-many"
    for _ in range(3):
        await say(bot, sender, "/privacy_request")
        assert ASK_CODE in await say(bot, sender, SARA_PHONE)
    await say(bot, sender, "/privacy_request")
    replies = await say(bot, sender, SARA_PHONE)
    assert TOO_MANY in replies and ASK_CODE not in replies and ASK_PHONE not in replies
    assert await sms_count(bot_app, SARA_PHONE) == 3
    # the form has stopped: a code typed now is not taken for an answer to it
    assert WRONG not in await say(bot, sender, "123456")


async def test_five_wrong_codes_end_the_attempt(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    sender = "otp-guess"
    await say(bot, sender, "/privacy_request")
    await say(bot, sender, SARA_PHONE)
    for _ in range(4):
        replies = await say(bot, sender, "012345")
        assert WRONG in replies and ASK_CODE in replies
    replies = await say(bot, sender, "012345")
    assert TOO_MANY in replies and ASK_CODE not in replies
    await say(bot, sender, "/privacy_request")
    await say(bot, sender, SARA_PHONE)  # a new code may be asked for; the old one is dead
    assert VERIFIED in await say(bot, sender, await latest_code(bot_app, SARA_PHONE))


async def test_a_phone_of_another_verified_customer_goes_to_a_person(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop
) -> None:
    sender = "otp-conflict"
    async with bot_app.state.sessionmaker() as session, session.begin():
        user = await identity.resolve_identity(session, channel="rest", external_id=sender)
        # verified for Reza by a method that is not enough for privacy, so the code is asked for
        await identity.verify_with_phone(
            session, identity=user, phone=REZA_PHONE, method=VerificationMethod.ORDER_PHONE
        )
    replies = await verify_by_code(bot, bot_app, sender, SARA_PHONE)
    assert VERIFIED not in replies and "همکاران پشتیبانی" in replies
    async with bot_app.state.sessionmaker() as session:
        user = await session.scalar(select(Identity).where(Identity.external_id == sender))
        assert user is not None and user.customer_id == shop.reza_id  # never moved silently
        status = await session.scalar(select(Conversation.status).where(Conversation.identity_id == user.id))
        assert status == ConversationStatus.PENDING
    assert await say(bot, sender, "سلام؟") == ""  # a person holds the conversation now
