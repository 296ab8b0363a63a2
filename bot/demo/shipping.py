"""Iranian carriers, their tracking-code formats, and the journeys parcels take with them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.demo.names import LOCAL_CITIES

TEHRAN = ZoneInfo("Asia/Tehran")

POST = "پست پیشتاز"
TIPAX = "تیپاکس"
CHAPAR = "چاپار"
MAHEX = "ماهکس"
COURIER = "پیک فروشگاه"
CARRIERS = (POST, TIPAX, CHAPAR, MAHEX, COURIER)
_WEIGHTS = {POST: 40, TIPAX: 25, CHAPAR: 14, MAHEX: 9, COURIER: 12}

# Shipment and event statuses (Shipment.status is what the shop reports as the parcel's state).
REGISTERED = "registered"
PICKED_UP = "picked_up"
AT_HUB = "at_hub"
DEPARTED = "departed"
ARRIVED = "arrived"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
RETURN_REQUESTED = "return_requested"
RETURN_PICKED_UP = "return_picked_up"
RETURNED = "returned"
IN_TRANSIT = "in_transit"
_SHIPMENT_STATUS = {
    REGISTERED: REGISTERED,
    PICKED_UP: IN_TRANSIT,
    AT_HUB: IN_TRANSIT,
    DEPARTED: IN_TRANSIT,
    ARRIVED: IN_TRANSIT,
    OUT_FOR_DELIVERY: OUT_FOR_DELIVERY,
    DELIVERED: DELIVERED,
    RETURN_REQUESTED: DELIVERED,
    RETURN_PICKED_UP: RETURNED,
    RETURNED: RETURNED,
}


@dataclass(frozen=True, slots=True)
class EventPlan:
    at: datetime
    status: str
    description: str


@dataclass(frozen=True, slots=True)
class ShipmentPlan:
    carrier: str
    tracking_code: str | None
    events: tuple[EventPlan, ...]
    expected_at: datetime | None = None

    @property
    def status(self) -> str:
        return _SHIPMENT_STATUS[self.events[-1].status]

    @property
    def delivered_at(self) -> datetime | None:
        return next((e.at for e in self.events if e.status == DELIVERED), None)

    def last_event_before(self, moment: datetime) -> EventPlan | None:
        earlier = [e for e in self.events if e.at <= moment]
        return earlier[-1] if earlier else None


def choose_carrier(city: str, rng: random.Random, *, bulky: bool = False) -> str:
    """Post and Tipax go everywhere; the shop's own couriers only ride in Tehran and Karaj; bulky goods
    never go by post."""
    names = [c for c in CARRIERS if (c != COURIER or city in LOCAL_CITIES) and not (bulky and c == POST)]
    return rng.choices(names, weights=[_WEIGHTS[c] for c in names])[0]


def tracking_code(carrier: str, rng: random.Random) -> str | None:
    """Each carrier's own format: Post 24 digits, Tipax 12 digits, Chapar and Mahex letters then digits;
    the shop's couriers have none."""
    if carrier == POST:
        return str(rng.randint(1, 9)) + _digits(rng, 23)
    if carrier == TIPAX:
        return "21" + _digits(rng, 10)
    if carrier == CHAPAR:
        return "CH" + _digits(rng, 10)
    if carrier == MAHEX:
        return "MX" + _digits(rng, 9)
    return None


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def journey(carrier: str, city: str, start: datetime, rng: random.Random) -> list[EventPlan]:
    """The whole trip from the shop's warehouse in Tehran to the customer's door, starting at ``start``.

    Counters and couriers work in the daytime; sorting centres work around the clock.
    """
    steps: list[tuple[str, str, float, float, bool]]  # status, description, min h, max h, daytime only
    if carrier == COURIER:
        steps = [
            (REGISTERED, "ثبت در سیستم", 0, 0, True),
            (OUT_FOR_DELIVERY, "تحویل به پیک فروشگاه", 1, 20, True),
            (DELIVERED, "تحویل به گیرنده", 0.5, 4, True),
        ]
    else:
        handed = "قبول مرسوله در واحد پستی تهران" if carrier == POST else f"تحویل به شرکت حمل ({carrier})"
        hub = "مرکز مبادلات تهران" if carrier == POST else f"هاب {carrier} تهران"
        steps = [
            (REGISTERED, "ثبت در سیستم", 0, 0, True),
            (PICKED_UP, handed, 1, 20, True),
            (AT_HUB, f"در حال پردازش در {hub}", 1, 6, False),
        ]
        if city not in LOCAL_CITIES:
            steps += [
                (DEPARTED, "خروج از مبدا", 3, 12, False),
                (ARRIVED, f"رسیده به شهر مقصد ({city})", 10, 30, False),
            ]
        steps += [
            (OUT_FOR_DELIVERY, "تحویل به مامور توزیع", 6, 20, True),
            (DELIVERED, "تحویل به گیرنده", 1, 6, True),
        ]
    events: list[EventPlan] = []
    moment = start
    for status, description, low, high, daytime in steps:
        moment = _second(moment + timedelta(hours=rng.uniform(low, high)))
        if daytime:
            moment = in_daytime(moment, rng)
        events.append(EventPlan(moment, status, description))
    return events


def return_trip(delivered_at: datetime, rng: random.Random) -> list[EventPlan]:
    """What happens after the customer asks to send a delivered parcel back."""
    asked = in_daytime(_second(delivered_at + timedelta(days=rng.uniform(1, 6))), rng)
    collected = in_daytime(_second(asked + timedelta(days=rng.uniform(0.5, 2))), rng)
    received = in_daytime(_second(collected + timedelta(days=rng.uniform(1, 3))), rng)
    return [
        EventPlan(asked, RETURN_REQUESTED, "درخواست مرجوعی ثبت شد"),
        EventPlan(collected, RETURN_PICKED_UP, "جمع‌آوری کالای مرجوعی از مشتری"),
        EventPlan(received, RETURNED, "دریافت کالای مرجوعی در انبار فروشگاه"),
    ]


def in_daytime(moment: datetime, rng: random.Random) -> datetime:
    """``moment``, or the next morning in Tehran (08:00–09:30) when it falls at night."""
    local = moment.astimezone(TEHRAN)
    if 8 <= local.hour < 21:
        return moment
    day = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
    morning = datetime(day.year, day.month, day.day, 8, tzinfo=TEHRAN) + timedelta(minutes=rng.randint(0, 90))
    return _second(morning.astimezone(moment.tzinfo))


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)
