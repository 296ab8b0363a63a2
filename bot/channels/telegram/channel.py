"""One Telegram-compatible messenger receiving: the webhook and polling both hand updates to ``receive``,
which stores them durably and answers at once; the turn runs later in the inbound worker.

Redeliveries are dropped by the inbound queue's unique key, ``<chat>:<message id>`` (or ``cb:<query
id>``), which a redelivered update repeats exactly. The update_id would serve too, but Telegram picks a
random new sequence after a quiet week, so an old id could come back on a new message.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import InboundMessage
from bot.channels.inbound import enqueue
from bot.channels.telegram.adapter import ButtonPress, Parsed, PayloadError, load, parse_update
from bot.channels.telegram.buttons import parse_reference
from bot.channels.telegram.chat_action import Typing
from bot.channels.telegram.instances import Instance
from bot.channels.wire import BodyError, check_document
from bot.services import channel_state

log = logging.getLogger("pishkhan.telegram")
EXPIRED_BUTTON = "این گزینه دیگر در دسترس نیست؛ لطفاً دوباره بپرسید."


@dataclass(frozen=True, slots=True)
class Receipt:
    queued: int
    duplicates: int
    skipped: dict[str, int]


class TelegramChannel:
    """The adapter object of a Telegram-compatible channel plugin (``ChannelPlugin.adapter``)."""

    def __init__(
        self,
        instance: Instance,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        nudge: Callable[[], None],
        typing: Typing | None = None,
    ) -> None:
        self.instance, self.bot, self.sessionmaker = instance, bot, sessionmaker
        self.nudge, self.typing = nudge, typing
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def name(self) -> str:
        return self.instance.name

    def accepts(self, secret_header: str | None) -> bool:
        """The webhook's ``X-Telegram-Bot-Api-Secret-Token``, compared in constant time. Without a
        configured secret nothing is accepted: a forged update could claim any customer's phone."""
        expected = self.instance.webhook_secret
        if not expected or secret_header is None:
            return False
        return hmac.compare_digest(secret_header.encode(), expected.encode())

    def parse(self, raw: bytes) -> list[InboundMessage]:
        """The customer messages of one webhook body (the contract every channel adapter meets)."""
        return parse_update(load(raw), self.name).messages

    async def receive_raw(self, raw: bytes) -> Receipt:
        """A webhook body (``load`` checks and cleans it as it reads it)."""
        return await self._store(load(raw))

    async def receive(self, update: dict[str, Any]) -> Receipt:
        """A polled update, read by aiogram's JSON reader: checked and cleaned as a webhook body is."""
        try:
            update = check_document(update)
        except BodyError as exc:
            raise PayloadError(str(exc)) from None
        return await self._store(update)

    async def _store(self, update: dict[str, Any]) -> Receipt:
        """Store what the update says, commit, then answer the button and show typing (after the commit:
        a rolled-back update must not look handled)."""
        parsed = parse_update(update, self.name)
        if parsed.skipped.get("malformed"):  # acknowledged all the same: Telegram would re-send it forever
            log.info("%s: update %s: %s", self.name, parsed.update_id, dict(parsed.skipped))
        async with self.sessionmaker() as session, session.begin():
            expired = await self._resolve_button(session, parsed)
            queued = [m for m in parsed.messages if await enqueue(session, m)]
            if parsed.reachability is not None:
                await channel_state.set_reachable(
                    session,
                    channel=self.name,
                    external_id=parsed.reachability.user_id,
                    reachable=parsed.reachability.reachable,
                )
        if queued:
            self.nudge()
            if self.typing is not None:
                for chat in {m.external_user_id for m in queued}:
                    self.typing.start(chat)
        if parsed.button is not None:
            self._background(self._answer(parsed.button, EXPIRED_BUTTON if expired else None))
        skipped = dict(parsed.skipped)
        return Receipt(len(queued), len(parsed.messages) - len(queued), skipped)

    async def _resolve_button(self, session: AsyncSession, parsed: Parsed) -> bool:
        """Put the payload behind a referenced button into its message; True when it is gone."""
        press = parsed.button
        if press is None or press.reference is None or not parsed.messages:
            return False
        reference = parse_reference(press.reference)
        payload = None
        if reference is not None:
            payload = await channel_state.button_payload(
                session, channel=self.name, chat_id=press.chat_id, row_id=reference[0], index=reference[1]
            )
        if payload is None:
            parsed.messages.clear()
            parsed.skipped["expired_button"] += 1
            return True
        parsed.messages[0] = dataclasses.replace(parsed.messages[0], text=payload)
        return False

    async def _answer(self, press: ButtonPress, text: str | None) -> None:
        try:
            await self.bot.answer_callback_query(callback_query_id=press.query_id, text=text)
        except Exception as exc:  # too old, already answered: the spinner times out on its own
            log.info("%s: callback query not answered: %s", self.name, type(exc).__name__)

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)  # a strong reference: the loop keeps only weak ones
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the answers under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.settle(), 5)
        for task in list(self._tasks):
            task.cancel()
