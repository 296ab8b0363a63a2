"""One customer across every channel: profile, identities, orders, and one timeline (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import orders
from bot.storage.models import Conversation, Customer, Identity, Message, Order


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    message: Message
    conversation: Conversation


async def list_identities(session: AsyncSession, customer_id: int) -> list[Identity]:
    rows = await session.scalars(
        select(Identity).where(Identity.customer_id == customer_id).order_by(Identity.channel, Identity.id)
    )
    return list(rows)


async def list_orders(session: AsyncSession, customer_id: int, *, limit: int = 50) -> list[Order]:
    rows = await session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
        .options(*orders.detail_options())
    )
    return list(rows)


async def timeline(
    session: AsyncSession,
    customer_id: int,
    *,
    before: datetime | None = None,
    limit: int = 500,
) -> list[TimelineEntry]:
    """Every message of every conversation on every channel of the customer, oldest first.

    ``before`` and ``limit`` page backwards from the newest message.
    """
    query = (
        select(Message, Conversation)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.customer_id == customer_id)
    )
    if before is not None:
        query = query.where(Message.created_at < before)
    query = query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    rows = (await session.execute(query)).all()
    return [TimelineEntry(message=m, conversation=c) for m, c in reversed(rows)]


async def get_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)
