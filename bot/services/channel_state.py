"""What channel adapters read and write about their users and deliveries: whether a user can be reached,
when they last wrote, which parts of a split message went out, and the payload behind a long button."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import OutboxItem
from bot.storage.models import Conversation, Direction, Identity, Message, Outbox, OutboxStatus, Sender


@dataclass(frozen=True, slots=True)
class DeliveryFacts:
    last_inbound_at: datetime | None  # the customer's latest message to us on this channel
    by_agent: bool  # typed by a person in the console


async def last_inbound_at(session: AsyncSession, *, channel: str, external_id: str) -> datetime | None:
    """When the user last wrote to us on this channel, across all their conversations (resolved ones too):
    a messaging window, such as Instagram's 24 hours, runs per user."""
    return await session.scalar(
        select(func.max(Message.created_at))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Identity, Identity.id == Conversation.identity_id)
        .where(
            Identity.channel == channel,
            Identity.external_id == external_id,
            Message.direction == Direction.IN,
        )
    )


async def delivery_facts(
    session: AsyncSession, *, channel: str, external_id: str, message_id: int | None
) -> DeliveryFacts:
    sender = None
    if message_id is not None:
        sender = await session.scalar(select(Message.sender).where(Message.id == message_id))
    last = await last_inbound_at(session, channel=channel, external_id=external_id)
    return DeliveryFacts(last_inbound_at=last, by_agent=sender == Sender.AGENT)


async def set_reachable(session: AsyncSession, *, channel: str, external_id: str, reachable: bool) -> bool:
    """The platform says the user blocked us or cannot get our messages (or unblocked us): the console
    shows it and proactive messages skip the user. True when the flag changed."""
    result = await session.execute(
        update(Identity)
        .where(
            Identity.channel == channel, Identity.external_id == external_id, Identity.reachable != reachable
        )
        .values(reachable=reachable)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_progress(session: AsyncSession, item: OutboxItem, key: str, parts: list[Any]) -> bool:
    """Remember in the outbox row which parts of a split message the platform accepted, so a retry sends
    only the rest. Fenced like the outbox's own bookkeeping: only while this attempt still holds the row."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.id == item.id, Outbox.status == OutboxStatus.SENDING, Outbox.attempts == item.attempt)
        .values(body={**item.body, key: parts})
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def button_payload(
    session: AsyncSession, *, channel: str, chat_id: str, row_id: int, index: int
) -> str | None:
    """The payload of button ``index`` of outbox row ``row_id`` — only a row this channel sent to this
    chat, so a forged reference cannot read another customer's buttons."""
    body: dict[str, Any] | None = await session.scalar(
        select(Outbox.body).where(Outbox.id == row_id, Outbox.channel == channel, Outbox.target == chat_id)
    )
    buttons = (body or {}).get("buttons") or []
    if not 0 <= index < len(buttons) or not isinstance(buttons[index], dict):
        return None
    payload = buttons[index].get("payload") or buttons[index].get("title")
    return str(payload) if payload else None
