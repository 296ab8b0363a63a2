"""The whole demo data set, planned in memory from one seed and one moment, before anything is stored."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.demo.chats import ChannelUserPlan, plan_chats
from bot.demo.messages import assign_message_ids
from bot.demo.orders import OrderPlan, plan_orders
from bot.demo.people import CustomerPlan, make_customers
from bot.demo.shipping import RETURN_REQUESTED
from bot.demo.texts import RETURN_REASONS
from bot.demo.transcript import ReturnPlan
from bot.storage.models import OrderStatus, ReturnStatus

CUSTOMERS = 64  # besides the demo customer
ORDERS = 233  # besides the demo customer's three


@dataclass(frozen=True, slots=True)
class DemoPlan:
    seed: int
    now: datetime
    customers: list[CustomerPlan]
    orders: list[OrderPlan]  # oldest first
    users: list[ChannelUserPlan]
    returns: list[ReturnPlan]  # returns that were not asked for in a chat (by phone, on the website)


def start_of_today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def make_plan(seed: int, now: datetime) -> DemoPlan:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = random.Random(seed)
    customers = make_customers(rng, CUSTOMERS)
    orders = plan_orders(rng, now, customers, ORDERS)
    users = plan_chats(rng, now, customers, orders)
    assign_message_ids(users, rng)
    asked = {
        conv.return_request.order.number
        for user in users
        for conv in user.conversations
        if conv.return_request is not None
    }
    returns = []
    for order in orders:
        if order.status is OrderStatus.RETURNED and order.number not in asked:
            assert order.shipment is not None
            at = next(e.at for e in order.shipment.events if e.status == RETURN_REQUESTED)
            item = rng.choice(order.items)
            reason = rng.choice(sorted(RETURN_REASONS))
            label, comments = RETURN_REASONS[reason]
            comment = f"{label}: {rng.choice(comments)}"
            returns.append(ReturnPlan(order, item, reason, comment, ReturnStatus.REFUNDED, at))
    return DemoPlan(seed, now, customers, orders, users, returns)
