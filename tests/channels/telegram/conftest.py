"""Telegram fixtures: the fake Bot API on a loopback port, settings pointing both Telegram and Bale at
it, apps with and without the trained bot, and builders of real-shaped updates."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.runtime import Runtime
from bot.config import Settings
from bot.storage.models import InboundStatus, InboundUpdate, Outbox, OutboxStatus
from tests.apps import serve
from tests.fakes.telegram import TOKEN, FakeTelegram

SECRET = "test-telegram-secret_1"
BALE_TOKEN = "1234567890:bale-test-token"
BALE_SECRET = "test-bale-secret"
CHAT = 1111111  # سارا's Telegram user id (a private chat's id is the user's)
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "telegram"
_ids = itertools.count(int(time.time()) % 1_000_000 * 100)


def next_id() -> int:
    return next(_ids)


def user(uid: int = CHAT, name: str = "سارا") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name, "language_code": "fa"}


def chat(uid: int = CHAT) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": "سارا"}


def text_update(
    text: str, *, uid: int = CHAT, update_id: int | None = None, message_id: int | None = None
) -> dict[str, Any]:
    update_id = update_id or next_id()
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id or update_id,
            "date": int(time.time()),
            "chat": chat(uid),
            "from": user(uid),
            "text": text,
        },
    }


def contact_update(phone: str, *, contact_user: int | None, uid: int = CHAT, **extra: Any) -> dict[str, Any]:
    update_id = next_id()
    contact: dict[str, Any] = {"phone_number": phone, "first_name": "سارا"}
    if contact_user is not None:
        contact["user_id"] = contact_user
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat(uid), "from": user(uid)}
    return {"update_id": update_id, "message": {**message, "contact": contact, **extra}}


def callback_update(data: str, *, uid: int = CHAT, title: str = "دکمه") -> dict[str, Any]:
    update_id = next_id()
    keyboard = {"inline_keyboard": [[{"text": title, "callback_data": data}]]}
    message = {
        "message_id": update_id - 1,
        "date": int(time.time()),
        "chat": chat(uid),
        "text": "…",
        "reply_markup": keyboard,
    }
    query = {
        "id": f"cbq-{update_id}",
        "chat_instance": "-1",
        "from": user(uid),
        "message": message,
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}


async def post_update(
    client: httpx.AsyncClient,
    update: dict[str, Any],
    *,
    secret: str | None = SECRET,
    path: str = "/webhooks/telegram",
) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return await client.post(path, json=update, headers=headers)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    """Until ``check()`` holds (a database state, which no event announces); fails after ``within`` s."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def settled(maker: async_sessionmaker[AsyncSession]) -> bool:
    """No inbound turn waits and no outbox row is still to send."""
    async with maker() as session:
        waiting = await session.scalar(
            select(func.count())
            .select_from(InboundUpdate)
            .where(InboundUpdate.status == InboundStatus.PENDING)
        )
        unsent = await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        )
    return not waiting and not unsent


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram(tokens={TOKEN, BALE_TOKEN}).start()
    yield fake
    await fake.close()


@pytest.fixture
def tg_settings(database_url: str, telegram_api: FakeTelegram) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        env="test",
        _env_file=None,
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base=telegram_api.url,
        bale_token=BALE_TOKEN,
        bale_webhook_secret=BALE_SECRET,
        bale_api_base=telegram_api.url,
    )


@pytest.fixture
async def tg_app(tg_settings: Settings) -> FastAPI:
    """Webhooks and senders without the bot: stored updates stay queued, nothing answers them."""
    return create_app(tg_settings, load_conversations=False)


@pytest.fixture
async def tg_client(tg_app: FastAPI, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(tg_app, engine):
        yield client


@pytest.fixture
async def tg_bot_app(tg_settings: Settings, runtime: Runtime) -> FastAPI:
    """The whole bot: webhook → inbound worker → trained NLU and dialogue → outbox → aiogram → the fake."""
    runtime.conversations.settings = tg_settings
    return create_app(tg_settings, runtime=runtime)


@pytest.fixture
async def tg_bot(tg_bot_app: FastAPI, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(tg_bot_app, engine):
        yield client
