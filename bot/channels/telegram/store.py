"""What the Telegram channel reads and writes in the database, in one place and in short statements.

These queries belong with the services (DESIGN §1: channels do not touch the ORM); they live here until
``bot.services`` offers them, so moving them is one import change for their callers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.telegram.buttons import parse_reference
from bot.delivery import OutboxItem
from bot.storage.models import Identity, Outbox, OutboxStatus

PROGRESS_KEY = "telegram_sent_ids"  # in the outbox body: message ids of the parts already accepted


async def button_payload(session: AsyncSession, *, channel: str, chat_id: str, reference: str) -> str | None:
    """The payload behind a ``~<row>.<index>`` button, only from a row this channel sent to this chat:
    a forged reference cannot read another customer's buttons."""
    parsed = parse_reference(reference)
    if parsed is None:
        return None
    row_id, index = parsed
    body: dict[str, Any] | None = await session.scalar(
        select(Outbox.body).where(Outbox.id == row_id, Outbox.channel == channel, Outbox.target == chat_id)
    )
    buttons = (body or {}).get("buttons") or []
    if not 0 <= index < len(buttons) or not isinstance(buttons[index], dict):
        return None
    payload = buttons[index].get("payload") or buttons[index].get("title")
    return str(payload) if payload else None


async def set_reachable(session: AsyncSession, *, channel: str, user_id: str, reachable: bool) -> bool:
    """Blocked (403, or my_chat_member "kicked"): the console shows it and proactive messages skip it.
    True when the flag changed; False when it already said so or we never heard from this user."""
    result = await session.execute(
        update(Identity)
        .where(Identity.channel == channel, Identity.external_id == user_id, Identity.reachable != reachable)
        .values(reachable=reachable)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_progress(session: AsyncSession, item: OutboxItem, sent: list[int]) -> bool:
    """Remember which parts of a split message Telegram accepted, so a retry sends only the rest. Fenced
    like the outbox's own bookkeeping: only while this attempt still holds the row."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.id == item.id, Outbox.status == OutboxStatus.SENDING, Outbox.attempts == item.attempt)
        .values(body={**item.body, PROGRESS_KEY: sent})
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
