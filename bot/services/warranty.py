"""Warranty (گارانتی): how long an item is covered, finding it by serial number, and recording claims.

Cover starts on the day the item was delivered and lasts ``warranty_months`` Jalali months, the way
Iranian warranty cards count them; it holds through its last day in Tehran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import jdatetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit, orders, shop_events
from bot.services.returns import add_with_reference, delivered_at, match_items, tehran_date
from bot.services.shop_events import ShopEvent
from bot.storage.models import Order, OrderItem, OrderStatus, WarrantyClaim, WarrantyStatus
from bot.text.digits import to_ascii_digits
from bot.text.normalize import normalize_text

# Words that only say "warranty", "broken" or "please": a message made of little else does not
# describe the fault yet, so the customer is asked for one.
_FILLER_WORDS = """
    گارانتی گارانتیش گارانتیم گارانتی‌اش وارانتی ضمانت تعمیر تعمیرش تعمیرات درخواست سرویس سریال سریالش شماره
    سفارش کالا دستگاه خراب خرابه خراب‌شده شده شد کار نمیکنه نمی‌کنه نمیکند مشکل داره دارد دارم پیدا کرده
    میخوام می‌خوام میخواهم می‌خواهم لطفا لطفاً سلام ممنون مرسی چیکار چکار کنم کنید بکنم بفرستم ارسال
    برای با به از رو را و که این اون هست است تحت پوشش راهنمایی
    garanti kharab shode mikham lotfan salam
"""
_NOT_A_DESCRIPTION = frozenset(normalize_text(w).replace("\u200c", "") for w in _FILLER_WORDS.split())
MIN_DESCRIPTION_WORDS = 3
MIN_DESCRIPTION_CHARS = 3
MAX_DESCRIPTION_CHARS = 2000


class Cover(StrEnum):
    NONE = "none"  # the item has no warranty
    NOT_STARTED = "not_started"  # not delivered yet: cover starts on delivery
    VALID = "valid"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Warranty:
    item: OrderItem
    order: Order
    cover: Cover
    months: int
    until: date | None  # the last covered day (Tehran calendar)


@dataclass(frozen=True, slots=True)
class Found:
    item: OrderItem
    order: Order


# -- cover ---------------------------------------------------------------------------------------------


def add_jalali_months(start: date, months: int) -> date:
    """``start`` plus whole Jalali months; a day the target month lacks becomes its last day
    (31 Shahrivar + 1 month = 30 Mehr; 30 Bahman + 1 month = 29 or 30 Esfand)."""
    jalali = jdatetime.date.fromgregorian(date=start)
    index = jalali.month - 1 + months
    year, month = jalali.year + index // 12, index % 12 + 1
    last_day = jdatetime.j_days_in_month[month - 1]
    if month == 12 and jdatetime.date(year, 1, 1).isleap():
        last_day = 30
    return jdatetime.date(year, month, min(jalali.day, last_day)).togregorian()


def warranty_of(item: OrderItem, order: Order, *, now: datetime) -> Warranty:
    months = item.warranty_months or 0
    if months <= 0:
        return Warranty(item, order, Cover.NONE, 0, None)
    delivered = delivered_at(order)
    if delivered is None or order.status == OrderStatus.CANCELLED:
        return Warranty(item, order, Cover.NOT_STARTED, months, None)
    until = add_jalali_months(tehran_date(delivered), months)
    cover = Cover.VALID if tehran_date(now) <= until else Cover.EXPIRED
    return Warranty(item, order, cover, months, until)


# -- finding the item -------------------------------------------------------------------------------


def normalize_serial(raw: str) -> str:
    """Serials as the shop stores them: ASCII digits, upper case, no spaces or dashes typed around."""
    return re.sub(r"[\s\-_]+", "", to_ascii_digits(raw.strip())).upper()


async def find_by_serial(
    session: AsyncSession, serial: str, *, prefer_customer_id: int | None = None
) -> Found | None:
    """The item carrying this serial number (the customer's own first, then the latest sold)."""
    rows = await _items(session, OrderItem.serial_number == normalize_serial(serial))
    if not rows:
        return None
    rows.sort(key=lambda f: (f.order.customer_id == prefer_customer_id, f.order.placed_at), reverse=True)
    return rows[0]


async def access_serial(
    session: AsyncSession, *, serial: str, customer_id: int, verified: bool, unlocked: list[str]
) -> Found | None:
    """The item with this serial if this customer may act on it, else None (also when it exists)."""
    rows = await _items(session, OrderItem.serial_number == normalize_serial(serial))
    allowed = [
        f for f in rows if may_access(f.order, customer_id=customer_id, verified=verified, unlocked=unlocked)
    ]
    return max(allowed, key=lambda f: f.order.placed_at, default=None)


async def access_item(
    session: AsyncSession, *, item_id: object, customer_id: int, verified: bool, unlocked: list[str]
) -> Found | None:
    """The item ``item_id`` if this customer may see it, else None (also when it does not exist)."""
    if not str(item_id).isdigit():
        return None
    rows = await _items(session, OrderItem.id == int(str(item_id)))
    if rows and may_access(rows[0].order, customer_id=customer_id, verified=verified, unlocked=unlocked):
        return rows[0]
    return None


def may_access(order: Order, *, customer_id: int, verified: bool, unlocked: list[str]) -> bool:
    return (verified and order.customer_id == customer_id) or order.number in unlocked


async def delivered_items(session: AsyncSession, customer_id: int) -> list[Found]:
    """Every item the customer has received, newest order first: the ones a warranty can be about."""
    rows = await _items(
        session,
        Order.customer_id == customer_id,
        Order.status.in_((OrderStatus.DELIVERED, OrderStatus.RETURNED)),
    )
    return sorted(rows, key=lambda f: (f.order.placed_at, -f.item.position), reverse=True)


def with_warranty(items: list[Found]) -> list[Found]:
    return [f for f in items if (f.item.warranty_months or 0) > 0]


def order_items(order: Order) -> list[Found]:
    return [Found(item, order) for item in order.items]


def match_found(text: str, items: list[Found]) -> list[Found]:
    """The items a message names by title ("گوشیم" names the phone), as :func:`returns.match_items`."""
    named = {id(i) for i in match_items(text, [f.item for f in items])}
    return [f for f in items if id(f.item) in named]


async def _items(session: AsyncSession, *conditions: object) -> list[Found]:
    result = await session.execute(
        select(OrderItem, Order)
        .join(Order, Order.id == OrderItem.order_id)
        .where(*conditions)  # type: ignore[arg-type]
        .options(*orders.detail_options())
    )
    return [Found(item, order) for item, order in result.all()]


# -- the customer's words -----------------------------------------------------------------------------


def fault_from_message(text: str | None) -> str | None:
    """The message itself when it already describes the fault ("گوشیم شارژ نمیگیره"): at least a few
    words besides "warranty", "broken", serial or order numbers and courtesy; else None."""
    if not text or text.startswith("/"):
        return None
    words = re.split(r"[\W_]+", normalize_text(text).replace("\u200c", "").lower())
    telling = [w for w in words if w and not any(c.isdigit() for c in w) and w not in _NOT_A_DESCRIPTION]
    return clean_description(text) if len(telling) >= MIN_DESCRIPTION_WORDS else None


def clean_description(text: str) -> str:
    return " ".join(text.split())[:MAX_DESCRIPTION_CHARS]


# -- recording ----------------------------------------------------------------------------------------


async def do_claim(
    session: AsyncSession,
    settings: Settings,
    *,
    found: Found,
    fault: str,
    customer_id: int,
    conversation_id: int | None,
) -> WarrantyClaim:
    """Record the warranty claim with a reference the customer can quote and tell the shop."""
    item, order = found.item, found.order
    claim = WarrantyClaim(
        customer_id=customer_id,
        order_item_id=item.id,
        conversation_id=conversation_id,
        serial_number=item.serial_number,
        fault_description=clean_description(fault),
        status=WarrantyStatus.SUBMITTED,
    )
    await add_with_reference(session, claim, prefix="W")
    audit.record(
        session,
        action="warranty.claimed",
        subject_type="order",
        subject_id=order.number,
        actor_type="customer",
        actor_id=customer_id,
        detail={"reference": claim.reference, "item_id": item.id},
    )
    shop_events.enqueue(
        session,
        settings,
        event=ShopEvent.WARRANTY_CLAIMED,
        data={
            "reference": claim.reference,
            "order_number": order.number,
            "item": {"sku": item.sku, "title": item.title, "serial_number": item.serial_number},
            "fault_description": claim.fault_description,
            "customer_id": customer_id,
        },
    )
    await session.flush()
    return claim
