""" "typing…" in the customer's chat while their turn runs (DESIGN §2: the bot shows it is working).

Telegram shows a chat action for 5 s, or until our next message arrives. The action starts when a
message is queued, is repeated while no reply has gone to that chat, and gives up after ``limit``
seconds: a turn that goes silent (an agent holds the conversation) must not look like typing forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot

log = logging.getLogger("pishkhan.telegram")


class Typing:
    def __init__(self, bot: Bot, *, interval: float = 4.0, limit: float = 15.0) -> None:
        self.bot, self.interval, self.limit = bot, interval, limit
        self._chats: dict[str, asyncio.Task[None]] = {}

    def start(self, chat_id: str) -> None:
        """Show typing in ``chat_id`` until ``stop`` (or the limit); already typing there: nothing new."""
        if chat_id in self._chats:
            return
        task = asyncio.create_task(self._run(chat_id), name=f"pishkhan-typing-{chat_id}")
        self._chats[chat_id] = task
        task.add_done_callback(lambda _t: self._forget(chat_id, task))

    def stop(self, chat_id: str) -> None:
        task = self._chats.pop(chat_id, None)
        if task is not None:
            task.cancel()

    def __contains__(self, chat_id: object) -> bool:
        return chat_id in self._chats

    async def close(self) -> None:
        tasks = list(self._chats.values())
        self._chats.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, chat_id: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limit
        while True:
            try:
                await self.bot.send_chat_action(chat_id=chat_id, action="typing")
            except Exception as exc:  # blocked, flood control, network: the reply matters, the dots do not
                log.debug("chat action not shown: %s", type(exc).__name__)
                return
            if loop.time() + self.interval >= deadline:
                return
            await asyncio.sleep(self.interval)

    def _forget(self, chat_id: str, task: asyncio.Task[None]) -> None:
        if self._chats.get(chat_id) is task:
            del self._chats[chat_id]
