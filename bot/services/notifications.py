"""Proactive messages: when the shop marks an order shipped or delivered, tell the customer once, on the
channel they used last, inside that channel's rules (Instagram only answers within 24 hours)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, conversations
from bot.storage.base import utcnow
from bot.storage.models import (
    AuditLog,
    Conversation,
    ConversationStatus,
    Direction,
    Identity,
    Message,
    Order,
    OrderStatus,
)

NOTIFIED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
# How old the customer's last message may be for the bot to write first; None: never (no push channel).
PROACTIVE_WINDOW: dict[str, timedelta | None] = {"instagram": timedelta(hours=24), "rest": None}
CANDIDATES = 10


@dataclass(frozen=True)
class Target:
    conversation: Conversation
    identity: Identity


def needs_notice(order: Order, previous_status: str | None) -> bool:
    return order.status in NOTIFIED and previous_status != order.status


async def already_notified(session: AsyncSession, order: Order) -> bool:
    found = await session.scalar(
        select(AuditLog.id)
        .where(AuditLog.action == f"order.notified.{order.status}", AuditLog.subject_id == order.number)
        .limit(1)
    )
    return found is not None


async def choose_target(
    session: AsyncSession, customer_id: int, now: datetime | None = None
) -> Target | None:
    """The customer's most recently used channel that the bot may write to first right now."""
    now = now or utcnow()
    rows = await session.execute(
        select(Conversation, Identity, Message.created_at)
        .join(Message, Message.conversation_id == Conversation.id)
        .join(Identity, Identity.id == Conversation.identity_id)
        .where(Conversation.customer_id == customer_id, Message.direction == Direction.IN)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(CANDIDATES * 5)
    )
    seen: set[int] = set()
    for conversation, found, last_inbound in rows:
        if found.id in seen:
            continue
        seen.add(found.id)
        window = PROACTIVE_WINDOW.get(conversation.channel, timedelta.max)
        if (
            not found.reachable
            or window is None
            or (window != timedelta.max and now - last_inbound >= window)
        ):
            continue
        return Target(conversation, found)
    return None


async def notify_order_update(
    session: AsyncSession, *, order: Order, text_for: Callable[[str], str | None], now: datetime | None = None
) -> Message | None:
    """Queue the notice on the best channel and record it, so a repeated update never notifies twice.
    Returns None when there is nobody to tell (no usable channel) or it was told already."""
    if order.status not in NOTIFIED or await already_notified(session, order):
        return None
    target = await choose_target(session, order.customer_id, now)
    if target is None:
        return None
    conversation = target.conversation
    text = text_for(conversation.channel)  # the wording may differ per channel, never the content
    if not text:
        return None
    if conversation.status == ConversationStatus.RESOLVED:
        conversation = await conversations.open_conversation(session, target.identity)
    message = await conversations.store_outbound(
        session,
        conversation,
        text=text,
        payload={"notice": f"order.{order.status}"},
        target=target.identity.external_id,
    )
    audit.record(
        session,
        action=f"order.notified.{order.status}",
        subject_type="order",
        subject_id=order.number,
        detail={"channel": conversation.channel, "message_id": message.id},
    )
    return message
