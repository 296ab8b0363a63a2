"""The whole bot on Telegram: an update through the webhook, the inbound worker, the trained NLU and
dialogue, the outbox, and aiogram's real client to the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.channels.base import InboundMessage
from bot.storage.models import (
    DeliveryStatus,
    Direction,
    Identity,
    InboundUpdate,
    Message,
    Outbox,
    OutboxStatus,
)
from tests.channels.telegram.conftest import (
    BALE_SECRET,
    BALE_TOKEN,
    CHAT,
    callback_update,
    contact_update,
    eventually,
    post_update,
    settled,
    text_update,
)
from tests.fakes.telegram import FakeTelegram, blocked
from tests.shop import SARA_PHONE, KnownShop, load_known_shop

GREETING = "سلام، وقت‌تان بخیر"
ASK_ORDER = "لطفاً شمارهٔ سفارش را بفرستید"
ASK_PHONE = "شمارهٔ موبایلی را که هنگام ثبت سفارش"
TRACKING = "۸۰۴۵۱۲۳۳۹۸۷۱"  # order 1000001's Tipax code, in Persian digits


@pytest.fixture
async def shop(tg_bot_app: FastAPI, tg_bot: httpx.AsyncClient) -> KnownShop:
    async with tg_bot_app.state.sessionmaker() as session, session.begin():
        return await load_known_shop(session)


async def turn(
    client: httpx.AsyncClient, app: FastAPI, update: dict[str, Any], **post: Any
) -> httpx.Response:
    """Post an update and wait until its turn ran and every reply left the outbox."""
    response = await post_update(client, update, **post)
    assert response.status_code == 200, response.text
    await eventually(lambda: settled(app.state.sessionmaker))
    return response


async def telegram_identity(app: FastAPI, uid: int = CHAT) -> Identity:
    async with app.state.sessionmaker() as session:
        found = await session.scalar(
            select(Identity).where(Identity.channel == "telegram", Identity.external_id == str(uid))
        )
    assert found is not None
    return found


async def test_a_greeting_is_answered_in_persian_with_buttons(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    await turn(tg_bot, tg_bot_app, text_update("سلام"))
    [reply] = telegram_api.accepted
    assert GREETING in reply["text"] and reply["chat"]["id"] == CHAT
    payloads = [b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert payloads == ["/track_order", "/return_request", "/human_handoff"]
    first = telegram_api.calls[0]
    assert (first.method, first.params["action"]) == ("sendChatAction", "typing")  # before the reply


async def test_a_pressed_button_is_answered_and_its_payload_is_the_turns_text(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    press = callback_update("/track_order", title="پیگیری سفارش")
    await turn(tg_bot, tg_bot_app, press)
    [answer] = await telegram_api.wait_for("answerCallbackQuery")
    assert answer["callback_query_id"] == press["callback_query"]["id"]
    assert [ASK_ORDER in t for t in telegram_api.sent_texts()] == [True]
    async with tg_bot_app.state.sessionmaker() as session:
        said = await session.scalar(select(Message).where(Message.direction == Direction.IN))
    assert said is not None and said.text == "/track_order" and said.intent == "track_order"
    assert said.payload == {"button": {"title": "پیگیری سفارش"}}


async def test_a_duplicate_update_makes_one_turn_and_one_reply(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    update = text_update("سلام")
    await turn(tg_bot, tg_bot_app, update)
    await asyncio.gather(*(post_update(tg_bot, update) for _ in range(3)))  # Telegram retrying a slow answer
    await turn(tg_bot, tg_bot_app, update)
    assert len(telegram_api.sent_texts()) == 1
    async with tg_bot_app.state.sessionmaker() as session:
        inbound = list(await session.scalars(select(Message).where(Message.direction == Direction.IN)))
    assert len(inbound) == 1


Process = Callable[[Any, InboundMessage], Awaitable[Any]]


def gate_turns(app: FastAPI) -> tuple[asyncio.Event, list[str]]:
    """Hold every turn of سارا's chat until the event is set; record the order turns start in."""
    worker = app.state.inbound_worker
    release, started = asyncio.Event(), []
    process: Process = worker.process

    async def held(session: Any, message: InboundMessage) -> Any:
        started.append(message.text or "")
        if message.external_user_id == str(CHAT):
            await release.wait()
        return await process(session, message)

    worker.process = held
    return release, started


async def test_a_slow_turn_does_not_delay_the_webhook_answer(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    release, started = gate_turns(tg_bot_app)
    async with asyncio.timeout(5):  # answered while the turn is still held
        response = await post_update(tg_bot, text_update("سلام"))
    assert response.status_code == 200 and response.json()["queued"] == 1
    await eventually(lambda: has_started(started))
    assert telegram_api.sent_texts() == []
    release.set()
    await eventually(lambda: settled(tg_bot_app.state.sessionmaker))
    assert len(telegram_api.sent_texts()) == 1


async def has_started(started: list[str]) -> bool:
    return bool(started)


async def test_updates_are_stored_while_a_turn_runs(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        # A turn is one BEGIN IMMEDIATE transaction: SQLite has one writer at a time, so a webhook
        # waits (up to busy_timeout) for the running turn to commit. Turns take milliseconds; a
        # long one delays storage on SQLite, never on PostgreSQL.
        pytest.skip("SQLite serialises writers: the webhook waits for the running turn's commit")
    release, started = gate_turns(tg_bot_app)
    await post_update(tg_bot, text_update("سلام"))
    await eventually(lambda: has_started(started))
    async with asyncio.timeout(5):  # the turn still holds its transaction
        later = await asyncio.gather(
            post_update(tg_bot, text_update("سفارشم کجاست")),
            post_update(tg_bot, text_update("سلام", uid=3333333)),
        )
    assert [r.json()["queued"] for r in later] == [1, 1]
    release.set()
    await eventually(lambda: settled(tg_bot_app.state.sessionmaker))
    assert len(telegram_api.sent_texts(CHAT)) >= 2 and telegram_api.sent_texts(3333333)


def record_turns(app: FastAPI) -> list[tuple[str, str]]:
    """("start" | "end", text) of every turn, as the worker runs them."""
    worker = app.state.inbound_worker
    seen: list[tuple[str, str]] = []
    process: Process = worker.process

    async def recorded(session: Any, message: InboundMessage) -> Any:
        seen.append(("start", message.text or ""))
        await asyncio.sleep(0.05)  # long enough for a second turn to start, were it allowed to
        result = await process(session, message)
        seen.append(("end", message.text or ""))
        return result

    worker.process = recorded
    return seen


async def test_two_messages_of_one_chat_delivered_together_are_handled_one_at_a_time_in_order(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram, shop: KnownShop
) -> None:
    seen = record_turns(tg_bot_app)
    first, second = text_update("سلام"), text_update("سفارشم کجاست")
    responses = await asyncio.gather(post_update(tg_bot, first), post_update(tg_bot, second))
    assert all(r.status_code == 200 and r.json()["queued"] == 1 for r in responses)
    await eventually(lambda: settled(tg_bot_app.state.sessionmaker))
    async with tg_bot_app.state.sessionmaker() as session:
        arrival = list(
            await session.scalars(
                select(InboundUpdate.payload)
                .where(InboundUpdate.channel == "telegram")
                .order_by(InboundUpdate.id)
            )
        )
    order = [p["text"] for p in arrival]
    assert sorted(order) == sorted(["سلام", "سفارشم کجاست"])
    assert seen == [("start", order[0]), ("end", order[0]), ("start", order[1]), ("end", order[1])]
    replies = telegram_api.sent_texts(CHAT)
    assert (GREETING in replies[0]) is (order[0] == "سلام")  # the first turn's reply left first


async def test_own_contact_verifies_and_links_to_the_shops_customer(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram, shop: KnownShop
) -> None:
    await turn(tg_bot, tg_bot_app, text_update("/track_order"))
    await turn(tg_bot, tg_bot_app, text_update("۱۰۰۰۰۰۱"))
    ask = telegram_api.accepted[-1]
    assert ASK_PHONE in ask["text"]
    assert ask["reply_markup"]["keyboard"][0][0]["request_contact"] is True  # the "share my number" button
    await turn(tg_bot, tg_bot_app, contact_update("989121234567", contact_user=CHAT))
    found = await telegram_identity(tg_bot_app)
    assert found.verified and found.method == "telegram_contact" and found.customer_id == shop.sara_id
    assert any(TRACKING in text for text in telegram_api.sent_texts()[2:])
    # and she is known from then on: her orders without asking again
    before = len(telegram_api.sent_texts())
    await turn(tg_bot, tg_bot_app, text_update("سفارشم کجاست"))
    assert any("۱۰۰۰۰۰۲" in t or TRACKING in t for t in telegram_api.sent_texts()[before:]), (
        telegram_api.sent_texts()
    )


@pytest.mark.parametrize(
    "contact",
    [
        contact_update(SARA_PHONE, contact_user=2222222),  # someone else's card
        contact_update(SARA_PHONE, contact_user=None),  # a card typed into the address book
        contact_update(
            SARA_PHONE,
            contact_user=CHAT,
            forward_origin={"type": "hidden_user", "date": 1, "sender_user_name": "x"},
        ),
    ],
    ids=["another_user", "no_user_id", "forwarded"],
)
async def test_a_contact_that_is_not_the_senders_own_verifies_nothing(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, shop: KnownShop, contact: dict[str, Any]
) -> None:
    await turn(tg_bot, tg_bot_app, text_update("سلام"))
    await turn(tg_bot, tg_bot_app, contact)
    found = await telegram_identity(tg_bot_app)
    assert not found.verified and found.customer_id != shop.sara_id


async def test_a_customer_who_blocked_the_bot_is_marked_unreachable_and_the_reply_failed(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    telegram_api.fail("sendMessage", blocked())
    await turn(tg_bot, tg_bot_app, text_update("سلام"))
    assert not (await telegram_identity(tg_bot_app)).reachable
    async with tg_bot_app.state.sessionmaker() as session:
        row = await session.scalar(select(Outbox))
        reply = await session.scalar(select(Message).where(Message.direction == Direction.OUT))
    assert row is not None and row.status == OutboxStatus.FAILED and "blocked" in (row.last_error or "")
    assert (
        reply is not None
        and reply.delivery_status == DeliveryStatus.FAILED
        and "blocked" in (reply.delivery_error or "")
    )


async def test_bale_is_a_channel_of_its_own_with_the_same_bot(
    tg_bot: httpx.AsyncClient, tg_bot_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    await turn(tg_bot, tg_bot_app, text_update("سلام"), secret=BALE_SECRET, path="/webhooks/bale")
    [reply] = [c for c in telegram_api.calls if c.method == "sendMessage"]
    assert reply.token == BALE_TOKEN and GREETING in reply.params["text"]
    async with tg_bot_app.state.sessionmaker() as session:
        channels = set(await session.scalars(select(Identity.channel)))
    assert channels == {"bale"}
