"""The Telegram sender through the real aiogram client against the fake Bot API: what arrives, and what
the outbox records when Telegram says 429, 403, 500 or 400."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.chat_action import Typing
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.instances import Instance
from bot.channels.telegram.sender import TelegramSender
from bot.config import Settings
from bot.delivery import (
    Delivered,
    OutboxItem,
    OutboxSender,
    PermanentError,
    RetryAfter,
    RetryPolicy,
    SenderRegistry,
    TransientError,
)
from bot.services import conversations, identity
from bot.storage.models import DeliveryStatus, Identity, Message, Outbox, OutboxKind, OutboxStatus
from tests.channels.telegram.conftest import CHAT
from tests.delivery.fakes import Clock
from tests.fakes.telegram import TOKEN, Failure, FakeTelegram, blocked, server_error, too_many_requests

PERSIAN = "سفارش ۱۰۰۰۰۰۱ (۳۰ آبان ۱۴۰۵): ارسال شده — کد رهگیری ۸۰۴۵۱۲۳۳۹۸۷۱ 📦 می‌رسد"
POLICY = RetryPolicy(max_attempts=3, base=10.0, factor=2.0, jitter=0.0)


@pytest.fixture
async def bot(telegram_api: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(Instance("telegram", TOKEN, None, telegram_api.url), timeout=5)
    yield bot
    await bot.session.close()


@pytest.fixture
def sender(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]) -> TelegramSender:
    return TelegramSender(bot, sessionmaker, channel="telegram")


def no_database() -> None:
    raise AssertionError("this attempt should not need the database")


@pytest.fixture
def bare(bot: Bot) -> TelegramSender:
    """A sender for attempts that touch no row (no 403, no partial send): no database needed."""
    return TelegramSender(bot, no_database, channel="telegram")  # type: ignore[arg-type]


def item(body: dict, *, row_id: int = 1, target: str = str(CHAT)) -> OutboxItem:
    return OutboxItem(
        id=row_id, kind="message", channel="telegram", target=target, ordering_key="k", body=body, attempt=1
    )


async def test_persian_text_arrives_exactly_as_written(
    bare: TelegramSender, telegram_api: FakeTelegram
) -> None:
    result = await bare(item({"text": PERSIAN}))
    [call] = telegram_api.of("sendMessage")
    assert call["text"] == PERSIAN and call["chat_id"] == str(CHAT)
    assert call["reply_markup"] == {"remove_keyboard": True}
    assert isinstance(result, Delivered) and result.external_id == f"{CHAT}:5000"  # ids count per chat


async def test_a_long_reply_arrives_in_parts_in_order_with_the_buttons_last(
    bare: TelegramSender, telegram_api: FakeTelegram
) -> None:
    text = " ".join(f"بند {n}: {PERSIAN}" for n in range(200))
    buttons = [{"title": "بله", "payload": "/affirm"}, {"title": "نه", "payload": "/deny"}]
    await bare(item({"text": text, "buttons": buttons}))
    calls = telegram_api.of("sendMessage")
    assert len(calls) == 5 and all(len(c["text"]) <= 4096 for c in calls)
    assert " ".join(c["text"] for c in calls).split() == text.split()
    keyboards = [c.get("reply_markup") for c in calls]
    assert keyboards[:-1] == [None] * 4
    assert keyboards[-1] == {
        "inline_keyboard": [
            [{"text": "بله", "callback_data": "/affirm"}, {"text": "نه", "callback_data": "/deny"}]
        ]
    }


async def test_429_asks_the_outbox_to_wait_what_telegram_said(
    bare: TelegramSender, telegram_api: FakeTelegram
) -> None:
    telegram_api.fail("sendMessage", too_many_requests(retry_after=37))
    result = await bare(item({"text": "سلام"}))
    assert result == RetryAfter(37.0, reason="telegram flood control (429): retry after 37 s")
    assert telegram_api.sent_texts() == [] and len(telegram_api.of("sendMessage")) == 1


@pytest.mark.parametrize(
    "failure, error",
    [
        (server_error(), TransientError),
        (Failure(502, "Bad Gateway"), TransientError),
        (Failure(401, "Unauthorized"), TransientError),  # the operator fixes the token; rows wait
        (Failure(400, "Bad Request: chat not found"), PermanentError),
        (Failure(200, "", body={"ok": False}), TransientError),  # no result, no description: try again
    ],
)
async def test_failures_are_sorted_into_try_again_and_give_up(
    bare: TelegramSender, telegram_api: FakeTelegram, failure: Failure, error: type[Exception]
) -> None:
    telegram_api.fail("sendMessage", failure)
    with pytest.raises(error):
        await bare(item({"text": "سلام"}))


async def test_an_unreachable_api_is_transient() -> None:
    bot = make_bot(Instance("telegram", TOKEN, None, "http://127.0.0.1:9"), timeout=2)
    try:
        with pytest.raises(TransientError, match="telegram unavailable"):
            await TelegramSender(bot, no_database, channel="telegram")(item({"text": "سلام"}))  # type: ignore[arg-type]
    finally:
        await bot.session.close()


async def test_an_ok_answer_in_an_unexpected_shape_counts_as_sent(
    bare: TelegramSender, telegram_api: FakeTelegram
) -> None:
    # a Telegram-compatible server whose message lacks fields aiogram requires: sent, not sent twice
    telegram_api.fail("sendMessage", Failure(200, "", body={"ok": True, "result": {"message_id": 77}}))
    assert await bare(item({"text": "سلام"})) == Delivered(external_id=f"{CHAT}:77")


async def test_typing_stops_when_the_reply_is_delivered(
    bot: Bot, sessionmaker, telegram_api: FakeTelegram
) -> None:
    typing = Typing(bot, interval=0.05, limit=10)
    typing.start(str(CHAT))
    await telegram_api.wait_for("sendChatAction")
    await TelegramSender(bot, sessionmaker, channel="telegram", typing=typing)(item({"text": "سلام"}))
    assert str(CHAT) not in typing
    await typing.close()


async def _reply_row(
    sessionmaker: async_sessionmaker[AsyncSession], text: str, **payload: object
) -> tuple[int, int]:
    """A stored bot reply to سارا on Telegram, queued in the outbox: (message id, outbox row id)."""
    async with sessionmaker() as session, session.begin():
        found = await identity.resolve_identity(session, channel="telegram", external_id=str(CHAT))
        conversation = await conversations.open_conversation(session, found)
        message = await conversations.store_outbound(
            session, conversation, text=text, payload=payload or None, target=str(CHAT)
        )
        await session.flush()
        row_id = await session.scalar(select(Outbox.id).where(Outbox.message_id == message.id))
    assert row_id is not None
    return message.id, row_id


def _outbox(sessionmaker, sender: TelegramSender, settings: Settings, clock: Clock) -> OutboxSender:
    registry = SenderRegistry()
    registry.register("telegram", sender)
    policies = {kind: POLICY for kind in OutboxKind}
    return OutboxSender(sessionmaker, settings, registry=registry, policies=policies, clock=clock)


async def test_429_through_the_outbox_waits_then_sends_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    sender: TelegramSender,
    settings: Settings,
    telegram_api: FakeTelegram,
) -> None:
    clock = Clock()
    message_id, row_id = await _reply_row(sessionmaker, "سلام، در خدمتم")
    telegram_api.fail("sendMessage", too_many_requests(retry_after=1))
    async with _outbox(sessionmaker, sender, settings, clock) as outbox:
        await outbox.drain()
        async with sessionmaker() as session:
            row = await session.get(Outbox, row_id)
        assert row is not None and row.status == OutboxStatus.PENDING
        assert row.next_attempt_at == clock() + timedelta(seconds=1)
        assert await outbox.drain() == 0  # not before the second Telegram asked for
        clock.advance(seconds=1)
        await outbox.drain()
    async with sessionmaker() as session:
        row = await session.get(Outbox, row_id)
        message = await session.get(Message, message_id)
    assert row is not None and row.status == OutboxStatus.SENT and row.attempts == 2
    assert message is not None and message.delivery_status == DeliveryStatus.SENT
    assert len(telegram_api.of("sendMessage")) == 2 and telegram_api.sent_texts() == ["سلام، در خدمتم"]
    assert message.external_message_id == f"{CHAT}:5000"  # the fake numbers only what it accepts


async def test_a_blocked_bot_fails_the_row_with_the_reason_and_marks_the_customer_unreachable(
    sessionmaker: async_sessionmaker[AsyncSession],
    sender: TelegramSender,
    settings: Settings,
    telegram_api: FakeTelegram,
) -> None:
    message_id, row_id = await _reply_row(sessionmaker, "سلام")
    telegram_api.fail("sendMessage", blocked())
    async with _outbox(sessionmaker, sender, settings, Clock()) as outbox:
        await outbox.drain()
    async with sessionmaker() as session:
        row = await session.get(Outbox, row_id)
        message = await session.get(Message, message_id)
        reachable = await session.scalar(select(Identity.reachable).where(Identity.channel == "telegram"))
    reason = "telegram: the customer blocked the bot or cannot be messaged (Forbidden: bot was blocked by the user)"
    assert row is not None and row.status == OutboxStatus.FAILED and row.last_error == reason
    assert row.attempts == 1  # never retried
    assert message is not None and message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error == reason
    assert reachable is False


async def test_a_retry_after_a_partial_send_sends_only_the_rest(
    sessionmaker: async_sessionmaker[AsyncSession],
    sender: TelegramSender,
    settings: Settings,
    telegram_api: FakeTelegram,
) -> None:
    clock = Clock()
    text = " ".join(f"بند {n}: {PERSIAN}" for n in range(70))  # two parts
    _, row_id = await _reply_row(sessionmaker, text)
    telegram_api.script(
        "sendMessage", None, too_many_requests(retry_after=3)
    )  # the second part meets flood control
    async with _outbox(sessionmaker, sender, settings, clock) as outbox:
        await outbox.drain()
        async with sessionmaker() as session:
            row = await session.get(Outbox, row_id)
        assert row is not None and row.status == OutboxStatus.PENDING
        assert row.body["telegram_sent_ids"] == [5000]  # remembered across the wait, in the row itself
        clock.advance(seconds=3)
        await outbox.drain()
    async with sessionmaker() as session:
        row = await session.get(Outbox, row_id)
    assert row is not None and row.status == OutboxStatus.SENT
    texts = telegram_api.sent_texts()
    assert len(texts) == 2 and " ".join(texts).split() == text.split()  # each part shown once
    assert len(telegram_api.of("sendMessage")) == 3
