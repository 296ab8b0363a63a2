"""What the Instagram sender reads and writes in the database, in one place and in short transactions.

These queries belong with the services (DESIGN §1: channels do not touch the ORM); they live here until
``bot.services`` offers them, so moving them is one import change in ``sender.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import OutboxItem
from bot.storage.models import Conversation, Direction, Identity, Message, Outbox, OutboxStatus, Sender

PROGRESS_KEY = "instagram_sent_mids"  # in the outbox body: parts already accepted by Meta


@dataclass(frozen=True, slots=True)
class DeliveryFacts:
    last_inbound_at: datetime | None  # the customer's latest message to us on Instagram
    by_agent: bool  # typed by a person in the console (may carry the HUMAN_AGENT tag)


async def last_inbound_at(session: AsyncSession, *, channel: str, igsid: str) -> datetime | None:
    """When the customer last wrote to us on this channel: the window is per Instagram user, across all
    their conversations (a resolved one included). Proactive messages check it with ``within_window``."""
    return await session.scalar(
        select(func.max(Message.created_at))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Identity, Identity.id == Conversation.identity_id)
        .where(Identity.channel == channel, Identity.external_id == igsid, Message.direction == Direction.IN)
    )


async def delivery_facts(
    session: AsyncSession, *, channel: str, igsid: str, message_id: int | None
) -> DeliveryFacts:
    sender = None
    if message_id is not None:
        sender = await session.scalar(select(Message.sender).where(Message.id == message_id))
    last = await last_inbound_at(session, channel=channel, igsid=igsid)
    return DeliveryFacts(last_inbound_at=last, by_agent=sender == Sender.AGENT)


async def mark_unreachable(session: AsyncSession, *, channel: str, igsid: str) -> bool:
    """Meta says the user cannot get our messages (551): the console shows it, proactive messages skip it."""
    result = await session.execute(
        update(Identity)
        .where(Identity.channel == channel, Identity.external_id == igsid)
        .values(reachable=False)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_progress(session: AsyncSession, item: OutboxItem, mids: list[str | None]) -> bool:
    """Remember which parts of a split message Meta accepted, so a retry sends only the rest. Fenced like
    the outbox's own bookkeeping: only while this attempt still holds the row."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.id == item.id, Outbox.status == OutboxStatus.SENDING, Outbox.attempts == item.attempt)
        .values(body={**item.body, PROGRESS_KEY: mids})
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
