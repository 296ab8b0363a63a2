"""Telegram figures for ``make bench`` (issue 6 item 8).

- Webhook: ``POST /webhooks/telegram`` requests per second, each acknowledged once its update is stored
  in the inbound queue. The turns are off (no NLU model loaded: the inbound worker does not run), so
  only the request path is measured; it includes the "typing…" call each stored message starts, made
  in the background to the fake Bot API. Beside it, the bare echo app in the same run, same bodies.
- Sender: outbox rows delivered per second by the real outbox worker and Telegram sender (aiogram,
  multipart HTTP, outcome recorded; SQLite) to the fake Bot API in its own process, beside aiogram's
  bare sendMessage calls per second against the same fake, and the outbox worker with a sender that
  makes no call at all (its own bookkeeping, the ceiling for any channel).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from typing import Any

import httpx
from aiogram import Bot
from aiogram.methods import SendMessage

from bot.channels.telegram.client import make_bot
from bot.channels.telegram.instances import Instance
from bot.channels.telegram.sender import TelegramSender
from bot.config import Settings
from bot.delivery import Delivered, OutboxSender, SenderRegistry
from bot.services import conversations, identity
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.migrate import upgrade
from tests.bench.servers import drive, loopback_process, uvicorn_server
from tests.fakes.telegram import TOKEN

SECRET = "bench-telegram-secret"
REQUESTS = 1000
CHATS = 64
OUTBOX_CHATS, PER_CHAT = 100, 10
TEXT = "سلام، سفارش ۱۰۰۰۰۰۱ من کی می‌رسه؟"


def update(i: int) -> dict[str, Any]:
    chat = 500_000_000 + i % CHATS
    return {
        "update_id": 800_000_000 + i,
        "message": {
            "message_id": 10 + i,
            "date": 1718000000 + i,
            "chat": {"id": chat, "type": "private", "first_name": "سارا"},
            "from": {"id": chat, "is_bot": False, "first_name": "سارا", "language_code": "fa"},
            "text": TEXT,
        },
    }


async def measure_webhook(base: str, concurrency: int, *, path: str, offset: int) -> dict[str, Any]:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def post(client: httpx.AsyncClient, i: int) -> httpx.Response:
        # warm-up requests come with negative i: give them ids of their own
        return await client.post(
            base + path, json=update(offset + (i if i >= 0 else 900_000 - i)), headers=headers
        )

    return (await drive(post, total=REQUESTS, concurrency=concurrency)).as_dict()


async def webhook_figures(tmp: str, api: str) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{tmp}/webhook.db"
    await asyncio.to_thread(upgrade, url)
    env = {
        "PISHKHAN_DATABASE_URL": url,
        "PISHKHAN_LOG_LEVEL": "WARNING",
        "PISHKHAN_TELEGRAM_TOKEN": TOKEN,
        "PISHKHAN_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PISHKHAN_TELEGRAM_API_BASE": api,
    }
    results: dict[str, Any] = {"requests": REQUESTS, "worker": "off (acknowledged and queued)"}
    with uvicorn_server("tests.bench.servers:webhook_only_app", env, factory=True) as base:
        for n, concurrency in enumerate((1, 16)):
            results[f"webhook_c{concurrency}"] = await measure_webhook(
                base, concurrency, path="/webhooks/telegram", offset=n * 1_000_000
            )
    with uvicorn_server("tests.bench.echo_app:app") as base:
        for concurrency in (1, 16):
            results[f"echo_c{concurrency}"] = await measure_webhook(base, concurrency, path="/echo", offset=0)
    for concurrency in (1, 16):
        webhook, echo = results[f"webhook_c{concurrency}"], results[f"echo_c{concurrency}"]
        results[f"webhook_vs_echo_c{concurrency}"] = round(webhook["per_second"] / echo["per_second"], 3)
    return results


async def queue_replies(sessionmaker: Any) -> int:
    """Chats with replies waiting in the outbox, ``PER_CHAT`` each (one chat's rows leave in order)."""
    async with sessionmaker() as session, session.begin():
        for n in range(OUTBOX_CHATS):
            chat = str(600_000_000 + n)
            found = await identity.resolve_identity(session, channel="telegram", external_id=chat)
            conversation = await conversations.open_conversation(session, found)
            for k in range(PER_CHAT):
                buttons = [{"title": "بله", "payload": "/affirm"}, {"title": "نه", "payload": "/deny"}]
                await conversations.store_outbound(
                    session, conversation, text=f"{TEXT} ({k})", payload={"buttons": buttons}, target=chat
                )
    return OUTBOX_CHATS * PER_CHAT


async def raw_client(bot: Bot, total: int = 1000, concurrency: int = 32) -> dict[str, Any]:
    """aiogram alone, ``concurrency`` sends at a time: the ceiling for the sender."""
    requests = iter(range(total))

    async def worker() -> None:
        for i in requests:
            await bot(SendMessage(chat_id=700_000_000 + i, text=TEXT))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "requests": total,
        "concurrency": concurrency,
        "per_second": round(total / (time.perf_counter() - started), 1),
    }


async def drain_outbox(url: str, sender: Any) -> dict[str, Any]:
    """Queue the replies in a fresh database and time the outbox worker delivering them with ``sender``."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessionmaker = make_sessionmaker(engine)
    try:
        total = await queue_replies(sessionmaker)
        registry = SenderRegistry()
        registry.register("telegram", sender(sessionmaker))
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        async with OutboxSender(sessionmaker, settings, registry=registry) as outbox:
            started = time.perf_counter()
            attempts = await outbox.drain()
            elapsed = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {"messages": total, "attempts": attempts, "per_second": round(total / elapsed, 1)}


async def sender_figures(tmp: str, api: str) -> dict[str, Any]:
    bot = make_bot(Instance("telegram", TOKEN, SECRET, api))

    async def accept(_item: Any) -> Delivered:
        return Delivered()

    try:
        results: dict[str, Any] = {"aiogram_client": await raw_client(bot)}
        results["outbox"] = await drain_outbox(
            f"sqlite+aiosqlite:///{tmp}/sender.db",
            lambda maker: TelegramSender(bot, maker, channel="telegram"),
        )
        # the same rows with a sender that only says "delivered": the outbox's own bookkeeping
        results["outbox_without_http"] = await drain_outbox(
            f"sqlite+aiosqlite:///{tmp}/noop.db", lambda _m: accept
        )
    finally:
        await bot.session.close()
    results["outbox_vs_client"] = round(
        results["outbox"]["per_second"] / results["aiogram_client"]["per_second"], 3
    )
    return results


async def run() -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        loopback_process(["-m", "tests.fakes.telegram", "{port}"]) as api,
    ):
        return {**await webhook_figures(tmp, api), "sender": await sender_figures(tmp, api)}
