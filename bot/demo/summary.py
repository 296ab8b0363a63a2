"""What ``pishkhan demo-data`` prints: what was stored, and the customer a tester can be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo import names
from bot.demo.orders import DEMO_NUMBERS, OrderPlan
from bot.demo.people import CHANNELS
from bot.demo.plan import DemoPlan
from bot.demo.texts import RETURN_DAYS, jalali
from bot.demo.transcript import warranty_until
from bot.storage.models import (
    Conversation,
    CsatResponse,
    Identity,
    Message,
    Order,
    ReturnRequest,
    Shipment,
    WarrantyClaim,
)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    seed: int
    now: datetime
    customers: int  # customers who have bought (the shop sent their orders)
    multi_channel_customers: int
    anonymous_users: int
    orders: tuple[tuple[str, int], ...]  # status, count; most first
    shipments: int
    conversations: tuple[tuple[str, int], ...]
    messages: int
    csat_responses: int
    return_requests: int
    warranty_claims: int
    demo_orders: tuple[str, ...]  # one line per demo order, for testers

    @property
    def order_count(self) -> int:
        return sum(count for _, count in self.orders)

    @property
    def conversation_count(self) -> int:
        return sum(count for _, count in self.conversations)

    def __str__(self) -> str:
        statuses = ", ".join(f"{status} {count}" for status, count in self.orders)
        conversations = ", ".join(f"{status} {count}" for status, count in self.conversations)
        lines = [
            f"داده‌های نمایشی پیشخوان / Pishkhan demo data (seed {self.seed}, as of {self.now:%Y-%m-%d %H:%M} UTC)",
            f"  مشتری / customers: {self.customers} ({self.multi_channel_customers} on two or three channels), "
            f"and {self.anonymous_users} anonymous channel users",
            f"  سفارش / orders: {self.order_count} ({statuses}); {self.shipments} shipments",
            f"  گفتگو / conversations: {self.conversation_count} ({conversations}), {self.messages} messages, "
            f"{self.csat_responses} CSAT ratings",
            f"  مرجوعی / return requests: {self.return_requests}; گارانتی / warranty claims: {self.warranty_claims}",
            "",
            "مشتری نمونه برای آزمایش / demo customer for testers:",
            f"  {names.DEMO_NAME} — phone {names.DEMO_PHONE}, email {names.DEMO_EMAIL}, shop account {names.DEMO_SHOP_ID}",
            "  verify on any channel with that phone (SMS code, Telegram contact) or as shop user "
            f"{names.DEMO_SHOP_ID} in the widget",
            *(f"  {line}" for line in self.demo_orders),
        ]
        return "\n".join(lines)


async def summarise(session: AsyncSession, plan: DemoPlan) -> DemoSummary:
    customers = await _count(session, select(func.count(func.distinct(Order.customer_id))))
    channel_counts = (
        select(Identity.customer_id)
        .where(Identity.channel.in_(CHANNELS), Identity.verified.is_(True))
        .group_by(Identity.customer_id)
        .having(func.count(func.distinct(Identity.channel)) >= 2)
        .subquery()
    )
    anonymous = (
        select(func.count())
        .select_from(Identity)
        .where(Identity.channel.in_(CHANNELS), Identity.verified.is_(False))
    )
    return DemoSummary(
        seed=plan.seed,
        now=plan.now,
        customers=customers,
        multi_channel_customers=await _count(session, select(func.count()).select_from(channel_counts)),
        anonymous_users=await _count(session, anonymous),
        orders=await _by_status(session, Order.status),
        shipments=await _count(session, select(func.count()).select_from(Shipment)),
        conversations=await _by_status(session, Conversation.status),
        messages=await _count(session, select(func.count()).select_from(Message)),
        csat_responses=await _count(session, select(func.count()).select_from(CsatResponse)),
        return_requests=await _count(session, select(func.count()).select_from(ReturnRequest)),
        warranty_claims=await _count(session, select(func.count()).select_from(WarrantyClaim)),
        demo_orders=tuple(
            _describe(order, plan.now)
            for order in sorted(plan.orders, key=lambda o: o.number)
            if order.number in DEMO_NUMBERS
        ),
    )


async def _count(session: AsyncSession, query: object) -> int:
    return await session.scalar(query) or 0  # type: ignore[call-overload]


async def _by_status(session: AsyncSession, column: object) -> tuple[tuple[str, int], ...]:
    rows = (await session.execute(select(column, func.count()).group_by(column))).all()  # type: ignore[call-overload]
    return tuple(sorted(((str(status), count) for status, count in rows), key=lambda r: (-r[1], r[0])))


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d} ({jalali(moment)})"


def _describe(order: OrderPlan, now: datetime) -> str:
    """One line a tester can act on: what to ask the bot about this order, and what it should answer."""
    head = f"#{order.number} {order.status.value}"
    shipment = order.shipment
    assert shipment is not None
    if order.delivered_at is None:
        eta = f", expected {_day(shipment.expected_at)}" if shipment.expected_at else ""
        return f"{head} — {shipment.carrier}, tracking {shipment.tracking_code}{eta}"
    item = next(i for i in order.items if i.serial_number is not None)
    until = warranty_until(order, item)
    assert until is not None
    deadline = order.delivered_at + timedelta(days=RETURN_DAYS)
    returnable = f"returnable until {_day(deadline)}; " if deadline > now else ""
    warranty = f"warranty until {_day(until)}" if until > now else f"warranty expired {_day(until)}"
    return (
        f"{head} {_day(order.delivered_at)} — {returnable}{item.product.title} "
        f"(serial {item.serial_number}, {item.warranty_months} months): {warranty}"
    )
