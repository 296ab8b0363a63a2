"""Cancelling an order: allowed before shipping, asked once, recorded and told to the shop.

Pishkhan does not cancel anything itself: the shop owns the order. It records the customer's request,
audits it and queues an ``order.cancellation_requested`` event for the shop's webhook.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit, shop_events
from bot.services.shop_events import ShopEvent
from bot.storage.base import utcnow
from bot.storage.models import Identity, IdentityKind, Order, OrderStatus, Outbox

CANCELLABLE = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.PROCESSING})
ON_THE_WAY = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
CLOSED = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})


class CancelCheck(StrEnum):
    OK = "ok"
    ALREADY_REQUESTED = "already_requested"
    SHIPPED = "shipped"  # shipped or delivered: the way back is a return
    CLOSED = "closed"  # cancelled or returned already


class CancellationRefused(Exception):
    """The order cannot be cancelled (any more): its state changed since the customer was asked."""

    def __init__(self, check: CancelCheck) -> None:
        super().__init__(f"cancellation refused: {check.value}")
        self.check = check


def check_cancellable(order: Order) -> CancelCheck:
    status = OrderStatus(order.status)
    if status in ON_THE_WAY:
        return CancelCheck.SHIPPED
    if status not in CANCELLABLE:
        return CancelCheck.CLOSED
    if order.cancel_requested_at is not None:
        return CancelCheck.ALREADY_REQUESTED
    return CancelCheck.OK


async def request_cancellation(
    session: AsyncSession,
    settings: Settings,
    *,
    order: Order,
    requested_by: int,
    channel: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> Outbox | None:
    """Record the customer's request and queue the shop event (None when the shop has no webhook).

    Raises CancellationRefused when the order is not cancellable now. The request is taken with one
    conditional UPDATE, so two channels answering "yes" at once record it, and tell the shop, once.
    """
    check = check_cancellable(order)
    if check is not CancelCheck.OK:
        raise CancellationRefused(check)
    now = now or utcnow()
    taken = await session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.cancel_requested_at.is_(None),
            Order.status.in_([s.value for s in CANCELLABLE]),
        )
        .values(cancel_requested_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(order, ["status", "cancel_requested_at"])
        raise CancellationRefused(check_cancellable(order))
    order.cancel_requested_at = now
    audit.record(
        session,
        action="order.cancel_requested",
        subject_type="order",
        subject_id=order.number,
        actor_type="customer",
        actor_id=requested_by,
        detail={"channel": channel, "reason": reason} if reason else {"channel": channel},
    )
    data = {
        "order_number": order.number,
        "order_status": str(order.status),
        "customer_id": order.customer_id,
        "shop_customer_id": await _shop_account(session, order.customer_id),
        "requested_by_owner": requested_by == order.customer_id,
        "channel": channel,
        "reason": reason,
        "requested_at": now.isoformat(),
    }
    row = shop_events.enqueue(session, settings, event=ShopEvent.CANCELLATION_REQUESTED, data=data)
    await session.flush()
    return row


async def _shop_account(session: AsyncSession, customer_id: int) -> str | None:
    """The shop's own id for this customer, so the shop can find them without our ids."""
    return await session.scalar(
        select(Identity.external_id)
        .where(Identity.customer_id == customer_id, Identity.channel == IdentityKind.SHOP)
        .order_by(Identity.id)
        .limit(1)
    )
