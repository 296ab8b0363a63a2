"""Demo orders: what each customer bought, when, for how much, and where the parcel went.

Everything is planned in memory first (pure, seeded); ``to_order_in`` turns a plan into the shop's own
order contract, so the demo data enters the database exactly as the shop's feed would send it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.demo import catalogue, shipping
from bot.demo.catalogue import BY_SKU, Product
from bot.demo.people import CustomerPlan, Unique
from bot.services.order_data import OrderIn
from bot.storage.models import OrderStatus

S = OrderStatus
# Share of each status among the random orders: most are delivered (first: it takes what the others leave).
STATUS_SHARES: tuple[tuple[OrderStatus, float], ...] = (
    (S.DELIVERED, 0.68),
    (S.CANCELLED, 0.09),
    (S.SHIPPED, 0.07),
    (S.RETURNED, 0.05),
    (S.PROCESSING, 0.04),
    (S.PENDING_PAYMENT, 0.04),
    (S.PAID, 0.03),
)
HISTORY_DAYS = 540  # eighteen months
RECENT_DELIVERED = 0.15  # share of delivered orders still inside the seven-day return window
FIRST_NUMBER = 1_040_000
DEMO_NUMBERS = ("1000001", "1000002", "1000003")
BULKY = {"HOM-SNW-SWM84518"}


@dataclass(frozen=True, slots=True)
class ItemPlan:
    product: Product
    quantity: int
    unit_price: int
    serial_number: str | None = None
    warranty_months: int | None = None

    def as_item(self) -> dict[str, Any]:
        p = self.product
        item: dict[str, Any] = {"sku": p.sku, "title": p.title, "category": p.category}
        item |= {"quantity": self.quantity, "unit_price": self.unit_price}
        if self.serial_number is not None:
            item |= {"serial_number": self.serial_number, "warranty_months": self.warranty_months}
        return item


@dataclass(slots=True)
class OrderPlan:
    customer: CustomerPlan
    status: OrderStatus
    placed_at: datetime
    items: list[ItemPlan]
    shipment: shipping.ShipmentPlan | None = None
    settled_at: datetime | None = None  # when the status last changed (cancelled, paid, ...)
    number: str = ""

    @property
    def total(self) -> int:
        return sum(item.unit_price * item.quantity for item in self.items)

    @property
    def delivered_at(self) -> datetime | None:
        return None if self.shipment is None else self.shipment.delivered_at

    @property
    def updated_at(self) -> datetime:
        if self.shipment is not None:
            return self.shipment.events[-1].at
        return self.settled_at or self.placed_at


def to_order_in(order: OrderPlan) -> OrderIn:
    """The body the shop would PUT for this order, validated by the same schema."""
    c = order.customer
    customer = {"name": c.name, "phone": c.phone, "email": c.email, "external_id": c.external_id}
    body: dict[str, Any] = {
        "customer": {k: v for k, v in customer.items() if v is not None},
        "status": order.status.value,
        "placed_at": order.placed_at,
        "total": order.total,
        "items": [item.as_item() for item in order.items],
    }
    if (s := order.shipment) is not None:
        body["shipment"] = {
            "carrier": s.carrier,
            "status": s.status,
            "events": [{"at": e.at, "status": e.status, "description": e.description} for e in s.events],
        }
        if s.tracking_code is not None:
            body["shipment"]["tracking_code"] = s.tracking_code
        if s.expected_at is not None:
            body["shipment"]["expected_at"] = s.expected_at
    return OrderIn.model_validate(body)


class OrderPlanner:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.serials = Unique()

    # -- items ---------------------------------------------------------------------------------
    def item(self, product: Product, placed_at: datetime, *, warranty: int | None = None) -> ItemPlan:
        rng = self.rng
        age = (self.now - placed_at).total_seconds() / 86400
        price = catalogue.price_at(product, age, rng)
        if product.has_serial:
            serial = self.serials.take(lambda: catalogue.serial_number(product, rng))
            months = warranty or rng.choice(product.warranties)
            return ItemPlan(product, 1, price, serial, months)
        quantity = rng.choices(range(1, product.max_quantity + 1), weights=[6, 2, 1][: product.max_quantity])[
            0
        ]
        return ItemPlan(product, quantity, price)

    def basket(self, placed_at: datetime) -> list[ItemPlan]:
        rng = self.rng
        category = rng.choices(*zip(*catalogue.CATEGORY_WEIGHTS, strict=True))[0]
        chosen = [rng.choice(catalogue.BY_CATEGORY[category])]
        if rng.random() < 0.35:
            add_ons = catalogue.ADD_ONS.get(category)
            chosen.append(BY_SKU[rng.choice(add_ons)] if add_ons else rng.choice(catalogue.PRODUCTS))
        if rng.random() < 0.08:
            chosen.append(rng.choice(catalogue.PRODUCTS))
        unique = list({p.sku: p for p in chosen}.values())
        return [self.item(product, placed_at) for product in unique]

    # -- journeys ------------------------------------------------------------------------------
    def _placed(self, days_ago: float) -> datetime:
        """People shop until late at night, rarely between one and seven: those go to the evening before."""
        moment = (self.now - timedelta(days=days_ago)).replace(microsecond=0)
        hour = moment.astimezone(shipping.TEHRAN).hour
        if 1 <= hour < 7:
            moment -= timedelta(hours=hour, minutes=self.rng.randint(0, 240))
        return moment

    def _handover(self, placed_at: datetime) -> datetime:
        return shipping.in_daytime(placed_at + timedelta(hours=self.rng.uniform(3, 30)), self.rng)

    def _shipment(
        self,
        customer: CustomerPlan,
        items: list[ItemPlan],
        carrier: str | None = None,
        events: tuple[shipping.EventPlan, ...] = (),
    ) -> shipping.ShipmentPlan:
        bulky = any(i.product.sku in BULKY for i in items)
        carrier = carrier or shipping.choose_carrier(customer.city, self.rng, bulky=bulky)
        return shipping.ShipmentPlan(carrier, shipping.tracking_code(carrier, self.rng), events)

    def delivered(
        self,
        customer: CustomerPlan,
        *,
        days_ago: float,
        carrier: str | None = None,
        returned: bool = False,
        items: list[ItemPlan] | None = None,
    ) -> OrderPlan:
        """Delivered about ``days_ago`` days ago (never later than an hour before now).

        The trip is planned forward from a provisional order date, then moved back by whole days, which
        keeps every event at the same time of day (Iran has no daylight saving time since 2022).
        """
        rng = self.rng
        placed = self._placed(days_ago + rng.uniform(2.5, 5))
        basket = self.basket(placed) if items is None else items
        shipment = self._shipment(customer, basket, carrier)
        trip = shipping.journey(shipment.carrier, customer.city, self._handover(placed), rng)
        if returned:
            trip += shipping.return_trip(trip[-1].at, rng)
        target = self.now - timedelta(days=days_ago)
        delivered_at = next(e.at for e in trip if e.status == shipping.DELIVERED)
        days = round((delivered_at - target) / timedelta(days=1))
        while trip[-1].at - timedelta(days=days) >= self.now - timedelta(hours=1):
            days += 1
        shift = timedelta(days=days)
        events = tuple(shipping.EventPlan(e.at - shift, e.status, e.description) for e in trip)
        shipment = shipping.ShipmentPlan(shipment.carrier, shipment.tracking_code, events)
        status = S.RETURNED if returned else S.DELIVERED
        return OrderPlan(customer, status, placed - shift, basket, shipment)

    def in_transit(
        self, customer: CustomerPlan, *, carrier: str | None = None, items: list[ItemPlan] | None = None
    ) -> OrderPlan:
        """On its way: handed to the carrier, not yet delivered; the rest of the trip is the forecast."""
        rng = self.rng
        for attempt in range(1000):
            placed = self._placed(rng.uniform(0.5, 5 / (1 + attempt / 10)))
            basket = self.basket(placed) if items is None else items
            shipment = self._shipment(customer, basket, carrier)
            trip = shipping.journey(shipment.carrier, customer.city, self._handover(placed), rng)
            done = [e for e in trip if e.at < self.now]
            if 2 <= len(done) < len(trip):
                expected = max(trip[-1].at, shipping.in_daytime(self.now + timedelta(hours=20), rng))
                shipment = shipping.ShipmentPlan(
                    shipment.carrier, shipment.tracking_code, tuple(done), expected
                )
                return OrderPlan(customer, S.SHIPPED, placed, basket, shipment)
        raise AssertionError("no trip in progress found")  # each attempt has a fair chance; never seen

    def recent(self, customer: CustomerPlan, status: OrderStatus) -> OrderPlan:
        """Not shipped yet: waiting for payment, paid, or being packed (some already have a label)."""
        rng = self.rng
        days = {S.PENDING_PAYMENT: (0.05, 1.5), S.PAID: (0.1, 1.2), S.PROCESSING: (0.3, 2.5)}[status]
        placed = self._placed(rng.uniform(*days))
        order = OrderPlan(customer, status, placed, self.basket(placed))
        if status is S.PAID:
            order.settled_at = placed + timedelta(minutes=rng.randint(1, 9))
        if status is S.PROCESSING:
            label = placed + timedelta(hours=rng.uniform(1, 20))
            if rng.random() < 0.5 and label < self.now:
                event = shipping.EventPlan(label.replace(microsecond=0), shipping.REGISTERED, "ثبت در سیستم")
                order.shipment = self._shipment(customer, order.items, events=(event,))
            else:
                order.settled_at = placed + timedelta(minutes=rng.randint(1, 9))
        return order

    def cancelled(self, customer: CustomerPlan) -> OrderPlan:
        placed = self._placed(self.rng.uniform(0.5, HISTORY_DAYS))
        order = OrderPlan(customer, S.CANCELLED, placed, self.basket(placed))
        order.settled_at = min(placed + timedelta(hours=self.rng.uniform(0.2, 20)), self.now).replace(
            microsecond=0
        )
        return order

    def plan(self, customer: CustomerPlan, status: OrderStatus) -> OrderPlan:
        rng = self.rng
        if status is S.DELIVERED:
            recent = rng.random() < RECENT_DELIVERED
            return self.delivered(
                customer, days_ago=rng.uniform(0.2, 5) if recent else rng.uniform(8, HISTORY_DAYS - 8)
            )
        if status is S.RETURNED:
            return self.delivered(customer, days_ago=rng.uniform(15, HISTORY_DAYS - 8), returned=True)
        if status is S.SHIPPED:
            return self.in_transit(customer)
        if status is S.CANCELLED:
            return self.cancelled(customer)
        return self.recent(customer, status)


def demo_orders(planner: OrderPlanner, sara: CustomerPlan) -> list[OrderPlan]:
    """The three orders testers rely on: in transit, returnable with live warranty, warranty expired."""
    shipped = planner.in_transit(sara, carrier=shipping.TIPAX, items=[])
    shipped.items += [
        planner.item(BY_SKU["LAP-LEN-IPS3-I5"], shipped.placed_at, warranty=24),
        planner.item(BY_SKU["ACC-BAS-USBC-1M"], shipped.placed_at),
    ]
    returnable = planner.delivered(sara, days_ago=2, carrier=shipping.POST, items=[])
    returnable.items += [
        planner.item(BY_SKU["MOB-SAM-A55-256"], returnable.placed_at, warranty=18),
        planner.item(BY_SKU["ACC-SAM-A55-CASE"], returnable.placed_at),
    ]
    expired = planner.delivered(sara, days_ago=16 * 30.5, carrier=shipping.CHAPAR, items=[])
    expired.items += [
        planner.item(BY_SKU["AUD-XIA-RB4A"], expired.placed_at, warranty=12),
        planner.item(BY_SKU["BOK-SUVASHUN"], expired.placed_at),
    ]
    for order, number in zip((shipped, returnable, expired), DEMO_NUMBERS, strict=True):
        order.number = number
    return [shipped, returnable, expired]


def plan_orders(
    rng: random.Random, now: datetime, customers: list[CustomerPlan], count: int
) -> list[OrderPlan]:
    """The demo customer's three orders and ``count`` random ones, every customer buying at least once;
    numbered in the order they were placed, returned oldest first."""
    planner = OrderPlanner(rng, now)
    fixed = demo_orders(planner, customers[0])
    others = customers[1:]
    statuses = [s for s, share in STATUS_SHARES[1:] for _ in range(max(3, round(share * count)))]
    statuses += [S.DELIVERED] * (count - len(statuses))
    rng.shuffle(statuses)
    # A few customers buy a lot, most a little: each buys once, the rest goes by a long-tailed weight.
    weights = [rng.paretovariate(1.3) for _ in others]
    buyers = others + rng.choices(others, weights=weights, k=count - len(others))
    random_orders = [planner.plan(buyer, status) for buyer, status in zip(buyers, statuses, strict=True)]
    random_orders.sort(key=lambda o: (o.placed_at, o.customer.key))
    number = FIRST_NUMBER
    for order in random_orders:
        number += rng.randint(
            3, 45
        )  # real numbering has gaps: abandoned checkouts, test orders, other channels
        order.number = str(number)
    return sorted(fixed + random_orders, key=lambda o: (o.placed_at, o.number))
