"""The Bot API client: aiogram's ``Bot`` over its aiohttp session, pointed at the instance's base URL
(Telegram, Bale, a local Bot API server, or the test fake). Nothing connects until the first call."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import TelegramMethod

from bot.channels.telegram.instances import Instance

REQUEST_TIMEOUT = 30.0  # Telegram answers in well under a second; the outbox allows 60 s an attempt


def make_bot(instance: Instance, *, timeout: float = REQUEST_TIMEOUT, connections: int = 100) -> Bot:
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(instance.api_base), limit=connections, timeout=timeout
    )
    return Bot(instance.token, session=session)


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates answered as plain dicts, the shape the webhook receives: one parser for both, and an
    update aiogram's models would refuse (a Telegram-compatible server's own fields) cannot stall polling."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None
