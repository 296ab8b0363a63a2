"""Deliver one outbox row to a Telegram-compatible chat, and say what happened in the outbox's terms.

429 → ``RetryAfter`` with Telegram's own ``retry_after`` (a shorter back-off only earns another 429);
403 → the customer blocked the bot: the identity is marked unreachable and the row fails with the
reason; 5xx, timeouts and dropped connections → ``TransientError``; other refusals → ``PermanentError``.
A split message remembers which parts were accepted, so a retry sends only the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.chat_action import Typing
from bot.channels.telegram.render import send_requests
from bot.channels.telegram.split import MAX_CHARS
from bot.delivery import Delivered, DeliveryError, OutboxItem, PermanentError, RetryAfter, TransientError
from bot.services import channel_state

log = logging.getLogger("pishkhan.telegram")
PROGRESS_KEY = "telegram_sent_ids"  # in the outbox body: message ids of the parts already accepted


class TelegramSender:
    """``async (OutboxItem) -> Delivered | RetryAfter`` for the outbox worker; ``item.target`` is the chat id."""

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        channel: str,
        typing: Typing | None = None,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self.bot, self.sessionmaker, self.channel = bot, sessionmaker, channel
        self.typing, self.max_chars = typing, max_chars

    async def __call__(self, item: OutboxItem) -> Delivered | RetryAfter:
        calls = send_requests(item.target, item.body, item.id, max_chars=self.max_chars)
        if not calls:
            raise PermanentError(f"empty message: nothing to send to {self.channel}")
        sent: list[int] = list(item.body.get(PROGRESS_KEY) or [])
        for call in calls[len(sent) :]:  # a retry resumes after the parts already accepted
            try:
                sent.append(await self._send(call))
            except TelegramRetryAfter as exc:
                await self._remember(item, sent)
                # aiogram's own message names the chat; the reason is shown to agents, so keep it plain
                reason = f"{self.channel} flood control (429): retry after {exc.retry_after} s"
                return RetryAfter(float(exc.retry_after), reason=reason)
            except (TelegramAPIError, ClientDecodeError) as exc:
                await self._remember(item, sent)
                raise await self._failure(item, exc) from None
        if self.typing is not None:
            self.typing.stop(item.target)  # the reply has arrived; Telegram clears the dots itself too
        return Delivered(external_id=f"{item.target}:{sent[-1]}")

    async def _send(self, call: TelegramMethod[Any]) -> int:
        """The message id of what was sent (0 when a server said ok without one)."""
        try:
            result = await self.bot(call)
        except ClientDecodeError as exc:
            if isinstance(exc.data, dict) and exc.data.get("ok") is True:
                # Accepted, in a shape aiogram's models refuse (a Telegram-compatible server's own
                # fields): sending again would show the customer the message twice.
                result_data = exc.data.get("result")
                return int(result_data.get("message_id", 0)) if isinstance(result_data, dict) else 0
            raise
        return int(getattr(result, "message_id", 0) or 0)

    async def _remember(self, item: OutboxItem, sent: list[int]) -> None:
        if len(sent) == len(item.body.get(PROGRESS_KEY) or []):
            return  # nothing new was accepted on this attempt
        async with self.sessionmaker() as session, session.begin():
            await channel_state.record_progress(session, item, PROGRESS_KEY, sent)

    async def _failure(self, item: OutboxItem, exc: TelegramAPIError | ClientDecodeError) -> DeliveryError:
        error = classify(self.channel, exc)
        if isinstance(exc, TelegramForbiddenError):
            async with self.sessionmaker() as session, session.begin():
                await channel_state.set_reachable(
                    session, channel=self.channel, external_id=item.target, reachable=False
                )
        if isinstance(exc, TelegramUnauthorizedError | TelegramNotFound):
            log.critical(
                "%s rejected the bot token: every reply waits until the token is fixed", self.channel
            )
        if isinstance(error, PermanentError) and self.typing is not None:
            self.typing.stop(item.target)
        return error


def classify(channel: str, exc: TelegramAPIError | ClientDecodeError) -> DeliveryError:
    """Whether trying again can help; the reason is what an agent reads on the failed message."""
    description = exc.message if isinstance(exc, TelegramAPIError) else str(exc)
    if isinstance(exc, TelegramForbiddenError):
        return PermanentError(
            f"{channel}: the customer blocked the bot or cannot be messaged ({description})"
        )
    if isinstance(exc, TelegramEntityTooLarge | TelegramBadRequest | TelegramMigrateToChat):
        return PermanentError(f"{channel} refused the message: {description}")
    if isinstance(exc, TelegramUnauthorizedError | TelegramNotFound):
        # a wrong or revoked token is the operator's to fix; the rows wait for it
        return TransientError(f"{channel} rejected the bot token: {description}")
    if isinstance(exc, TelegramServerError | TelegramNetworkError | TelegramConflictError):
        return TransientError(f"{channel} unavailable: {description}")
    return TransientError(f"{channel}: {type(exc).__name__}: {description}")
