"""Long polling for development (``pishkhan serve --telegram-polling``): no public HTTPS address needed.

getUpdates and a webhook exclude each other (409, channels.md §5.12), so polling deletes the webhook
first, keeping the updates that wait. An update is confirmed (the next offset) only once it is stored:
a database outage means the same batch is fetched again, and the inbound queue drops what it has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramAPIError, TelegramConflictError, TelegramRetryAfter

from bot.channels.telegram.adapter import PayloadError
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.client import GetRawUpdates

log = logging.getLogger("pishkhan.telegram")
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_BACKOFF = 30.0


async def poll(
    channel: TelegramChannel,
    *,
    long_poll: int = 25,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Fetch and store updates until cancelled."""
    await _delete_webhook(channel, sleep)
    offset: int | None = None
    failures = 0
    while True:
        try:
            updates = await _fetch(channel, offset, long_poll)
            offset = await _store_all(channel, updates, offset)
            failures = 0
        except asyncio.CancelledError:
            raise
        except TelegramRetryAfter as exc:
            await sleep(float(exc.retry_after))
        except Exception as exc:  # the Bot API or the database is away: try again, a little later each time
            failures += 1
            _log_failure(channel, exc, failures)
            await sleep(min(MAX_BACKOFF, 2.0 ** min(failures, 5)))


async def _delete_webhook(channel: TelegramChannel, sleep: Callable[[float], Awaitable[None]]) -> None:
    failures = 0
    while True:
        try:
            await channel.bot.delete_webhook(drop_pending_updates=False)
            log.info("%s: webhook deleted; polling for updates", channel.name)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            _log_failure(channel, exc, failures)
            await sleep(min(MAX_BACKOFF, 2.0 ** min(failures, 5)))


async def _fetch(channel: TelegramChannel, offset: int | None, long_poll: int) -> list[dict[str, Any]]:
    method = GetRawUpdates(offset=offset, timeout=long_poll, allowed_updates=ALLOWED_UPDATES)
    # the request must outlive the long poll, or every quiet poll would end as a timeout
    return await channel.bot(method, request_timeout=int(channel.bot.session.timeout + long_poll))


async def _store_all(
    channel: TelegramChannel, updates: list[dict[str, Any]], offset: int | None
) -> int | None:
    for update in updates:
        try:
            await channel.receive(update)
        except PayloadError as exc:  # one malformed update must not stall every later one
            log.warning("%s: update skipped: %s", channel.name, exc)
        if isinstance(update.get("update_id"), int):
            offset = update["update_id"] + 1
    return offset


def _log_failure(channel: TelegramChannel, exc: Exception, failures: int) -> None:
    if isinstance(exc, TelegramConflictError):
        log.error("%s: getUpdates conflicts with a webhook or another poller: %s", channel.name, exc.message)
    elif isinstance(exc, TelegramAPIError):
        log.warning("%s: polling failed (%d): %s", channel.name, failures, exc.message)
    else:
        log.warning("%s: polling failed (%d): %s", channel.name, failures, type(exc).__name__)
