"""Who may see which order (DESIGN §4, §9): a verified customer sees their own orders; anyone else
sees an order only after proving the phone on it, and never learns whether an order or phone exists."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, customers, orders
from bot.storage.base import utcnow
from bot.storage.models import AuditLog, Customer, Identity, IdentityKind, Order
from bot.text.phone import InvalidPhone, normalize_phone

MAX_FAILURES_PER_HOUR = 5


class OrderPhoneCheck(StrEnum):
    OK = "ok"
    MISMATCH = (
        "mismatch"  # the order does not exist, or its phone is another one: the customer is not told which
    )
    LOCKED = "locked"


async def is_verified(session: AsyncSession, customer_id: int) -> bool:
    found = await session.scalar(
        select(Identity.id).where(Identity.customer_id == customer_id, Identity.verified.is_(True)).limit(1)
    )
    return found is not None


async def access_order(
    session: AsyncSession, *, customer_id: int, verified: bool, number: str, unlocked: list[str] | None = None
) -> Order | None:
    """The order if this customer may see it, else None (also when it does not exist)."""
    order = await orders.get_order(session, number)
    if order is None:
        return None
    if verified and order.customer_id == customer_id:
        return order
    if number in (unlocked or []):
        return order
    return None


async def recent_orders(session: AsyncSession, customer_id: int, *, limit: int = 5) -> list[Order]:
    """The few latest orders a conversation offers as buttons."""
    return await customers.list_orders(session, customer_id, limit=limit)


async def is_locked(session: AsyncSession, *, identity_id: int) -> bool:
    """Too many wrong order/phone answers from this identity in the last hour."""
    failures = await session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action == "verification.order_phone.failed",
            AuditLog.actor_type == "customer",
            AuditLog.actor_id == str(identity_id),
            AuditLog.created_at >= utcnow() - timedelta(hours=1),
        )
    )
    return (failures or 0) >= MAX_FAILURES_PER_HOUR


async def check_order_phone(
    session: AsyncSession, *, identity_id: int, number: str, phone: str
) -> OrderPhoneCheck:
    """Does ``phone`` belong to order ``number``'s customer? Failures are counted per identity."""
    if await is_locked(session, identity_id=identity_id):
        return OrderPhoneCheck.LOCKED
    matches = await _phone_matches(session, number, phone)
    audit.record(
        session,
        action="verification.order_phone." + ("ok" if matches else "failed"),
        subject_type="order",
        subject_id=number,
        actor_type="customer",
        actor_id=identity_id,
    )
    return OrderPhoneCheck.OK if matches else OrderPhoneCheck.MISMATCH


async def _phone_matches(session: AsyncSession, number: str, phone: str) -> bool:
    try:
        wanted = normalize_phone(phone)
    except InvalidPhone:
        return False
    order = await session.scalar(select(Order).where(Order.number == number))
    if order is None:
        return False
    customer = await session.get(Customer, order.customer_id)
    if customer is not None and customer.phone == wanted:
        return True
    owner = await session.scalar(
        select(Identity.customer_id).where(
            Identity.channel == IdentityKind.PHONE,
            Identity.external_id == wanted,
            Identity.verified.is_(True),
        )
    )
    return owner == order.customer_id
