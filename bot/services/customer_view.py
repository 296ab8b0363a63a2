"""The customer 360 an agent sees beside the timeline: profile, identities per channel, orders with
shipments, returns, warranty claims, satisfaction history, notes and every conversation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import customers, replies
from bot.storage.models import (
    Agent,
    Conversation,
    CsatResponse,
    Customer,
    Identity,
    Note,
    Order,
    OrderItem,
    ReturnRequest,
    WarrantyClaim,
)


@dataclass(frozen=True, slots=True)
class Customer360:
    customer: Customer
    identities: list[Identity]
    orders: list[Order]
    returns: list[tuple[ReturnRequest, str, str]]  # request, order number, item title
    warranty_claims: list[tuple[WarrantyClaim, str]]  # claim, item title
    csat: list[CsatResponse]
    notes: list[tuple[Note, str]]  # note, agent name
    conversations: list[tuple[Conversation, str | None]]  # conversation, assignee name


async def customer_360(session: AsyncSession, customer: Customer) -> Customer360:
    returns = await session.execute(
        select(ReturnRequest, Order.number, OrderItem.title)
        .join(Order, Order.id == ReturnRequest.order_id)
        .join(OrderItem, OrderItem.id == ReturnRequest.order_item_id)
        .where(ReturnRequest.customer_id == customer.id)
        .order_by(ReturnRequest.created_at.desc())
        .limit(50)
    )
    claims = await session.execute(
        select(WarrantyClaim, OrderItem.title)
        .join(OrderItem, OrderItem.id == WarrantyClaim.order_item_id)
        .where(WarrantyClaim.customer_id == customer.id)
        .order_by(WarrantyClaim.created_at.desc())
        .limit(50)
    )
    csat = await session.scalars(
        select(CsatResponse)
        .where(CsatResponse.customer_id == customer.id)
        .order_by(CsatResponse.created_at.desc())
        .limit(50)
    )
    threads = await session.execute(
        select(Conversation, Agent.name)
        .outerjoin(Agent, Agent.id == Conversation.assignee_id)
        .where(Conversation.customer_id == customer.id)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(100)
    )
    return Customer360(
        customer=customer,
        identities=await customers.list_identities(session, customer.id),
        orders=await customers.list_orders(session, customer.id, limit=20),
        returns=[(r, number, title) for r, number, title in returns.all()],
        warranty_claims=[(w, title) for w, title in claims.all()],
        csat=list(csat),
        notes=await replies.list_notes(session, customer.id),
        conversations=[(c, name) for c, name in threads.all()],
    )
