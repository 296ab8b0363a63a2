"""Long polling for development: the webhook goes first, then every update is stored once, in order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from bot.channels.inbound import from_payload
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.instances import Instance
from bot.channels.telegram.polling import poll
from bot.config import Settings
from bot.storage.models import InboundUpdate
from tests.apps import serve
from tests.channels.telegram.conftest import SECRET, eventually, text_update
from tests.fakes.telegram import TOKEN, FakeTelegram, server_error


@pytest.fixture
async def channel(
    telegram_api: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[TelegramChannel]:
    instance = Instance("telegram", TOKEN, SECRET, telegram_api.url, polling=True)
    bot = make_bot(instance, timeout=5)
    yield TelegramChannel(instance, bot, sessionmaker, nudge=lambda: None)
    await bot.session.close()


async def stored_texts(maker: async_sessionmaker[AsyncSession]) -> list[str | None]:
    async with maker() as session:
        rows = await session.scalars(select(InboundUpdate.payload).order_by(InboundUpdate.id))
        return [from_payload(p).text for p in rows]


@contextlib.asynccontextmanager
async def polling(channel: TelegramChannel, **options: object) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poll(channel, long_poll=1, **options))  # type: ignore[arg-type]
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_polling_deletes_the_webhook_then_stores_each_update_once(
    channel: TelegramChannel, telegram_api: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    telegram_api.webhooks[TOKEN] = {"url": "https://shop.example/webhooks/telegram"}  # left from production
    first, second = text_update("سلام"), text_update("سفارش ۱۰۰۰۰۰۱ کجاست؟")
    await telegram_api.push_update(first)
    await telegram_api.push_update(second)
    async with polling(channel):
        await eventually(lambda: _count(sessionmaker, 2))
        await telegram_api.wait_for("getUpdates", count=2)  # the next poll confirms both
    methods = [c.method for c in telegram_api.calls]
    assert methods[0] == "deleteWebhook" and telegram_api.of("deleteWebhook") == [
        {"drop_pending_updates": "false"}
    ]
    assert TOKEN not in telegram_api.webhooks
    polls = telegram_api.of("getUpdates")
    assert polls[0].get("offset") is None and int(polls[1]["offset"]) == second["update_id"] + 1
    assert polls[0]["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert await stored_texts(sessionmaker) == ["سلام", "سفارش ۱۰۰۰۰۰۱ کجاست؟"]


async def test_an_update_of_an_unusable_shape_is_skipped_and_polling_goes_on(
    channel: TelegramChannel, telegram_api: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    good = text_update("هنوز اینجام")
    await telegram_api.push_update({"update_id": good["update_id"] - 1, "message": "not an object"})
    await telegram_api.push_update({"update_id": good["update_id"] - 2, "oops": True, "update_id_": 1})
    await telegram_api.push_update(good)
    async with polling(channel):
        await eventually(lambda: _count(sessionmaker, 1))
    assert await stored_texts(sessionmaker) == ["هنوز اینجام"]


async def test_an_api_outage_is_waited_out(
    channel: TelegramChannel, telegram_api: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    telegram_api.fail("deleteWebhook", server_error())
    telegram_api.fail("getUpdates", server_error(), times=2)
    await telegram_api.push_update(text_update("سلام"))
    async with polling(channel, sleep=sleep):
        await eventually(lambda: _count(sessionmaker, 1))
    assert slept == [2.0, 2.0, 4.0]  # backing off, not hammering


async def _count(maker: async_sessionmaker[AsyncSession], n: int) -> bool:
    return len(await stored_texts(maker)) >= n


async def test_serve_with_polling_on_runs_it_inside_the_server(
    tg_settings: Settings, engine: AsyncEngine, telegram_api: FakeTelegram
) -> None:
    settings = tg_settings.model_copy(update={"telegram_polling": True, "bale_token": None})
    app: FastAPI = create_app(settings, load_conversations=False)
    await telegram_api.push_update(text_update("سلام از حالت توسعه"))
    async for _client in serve(app, engine):
        await eventually(lambda: _count(app.state.sessionmaker, 1))
        assert await stored_texts(app.state.sessionmaker) == ["سلام از حالت توسعه"]
