"""Returns (مرجوعی): who may return what, and recording the request the shop acts on.

The rules live here so every channel and the console agree: an order can be returned once it is
delivered and until the end of the window's last day in Tehran; an item cannot be returned twice or
when its category is excluded by the shop's policy (``PISHKHAN_RETURN_EXCLUDED_CATEGORIES``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit, orders, shop_events
from bot.services.shop_events import ShopEvent
from bot.storage.models import Order, OrderItem, OrderStatus, ReturnRequest, ReturnStatus, WarrantyClaim
from bot.text.digits import to_persian_digits
from bot.text.jalali import IRAN, format_date
from bot.text.normalize import normalize_text

# The reason codes the buttons send, and how each reads to the customer (the buttons' titles).
REASONS = {
    "wrong_size": "سایز مناسب نیست",
    "not_as_described": "رنگ یا مدل متفاوت است",
    "damaged": "آسیب‌دیده یا معیوب رسید",
    "changed_mind": "از خرید منصرف شدم",
}
# Word stems that give a typed reason away; a text that hits two reasons (or none) is asked again.
_REASON_STEMS = {
    "wrong_size": ("سایز", "اندازه", "کوچیک", "کوچک", "بزرگ", "تنگ", "گشاد", "size"),
    "not_as_described": ("رنگ", "مدل", "عکس", "توضیح", "اشتباه", "فرق", "متفاوت", "مغایر", "rang"),
    "damaged": ("آسیب", "شکست", "خراب", "معیوب", "ترک", "خش", "پاره", "سوخت", "kharab"),
    "changed_mind": ("پشیمون", "پشیمان", "منصرف", "نمیخوام", "نمیخواهم", "نمی خوام", "خوشم نیومد", "pashim"),
}
# A request the shop rejected does not block asking again; any other status means it is returned.
_CLOSED = (ReturnStatus.REJECTED,)
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone without doubt
REFERENCE_LENGTH = 5
REFERENCE_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class ItemCheck:
    item: OrderItem
    refusal: str | None  # why it cannot be returned, in Persian; None when it can
    returned: bool = False  # an open return request already covers it


# -- delivery and the window ------------------------------------------------------------------------


def delivered_at(order: Order) -> datetime | None:
    """When the order reached the customer: the shipment's latest "delivered" event; an order the shop
    marks delivered without such an event counts from the shop's last update, which is never earlier
    than the real delivery, so the customer never loses days to missing data."""
    shipment = order.shipment
    events = [e for e in shipment.events if e.status == "delivered"] if shipment is not None else []
    if events:
        return max(e.at for e in events)
    if order.status in (OrderStatus.DELIVERED, OrderStatus.RETURNED):
        return order.updated_at
    return None


def tehran_date(moment: datetime) -> date:
    return moment.astimezone(IRAN).date()


def return_deadline(delivered: datetime, window_days: int) -> date:
    """The last day (Tehran calendar) a return may be asked for: the window counts whole days, as
    customers and the law count them, not hours since the courier's scan."""
    return tehran_date(delivered) + timedelta(days=window_days)


def excluded_categories(settings: Settings) -> list[str]:
    raw = settings.return_excluded_categories.replace("،", ",")
    return [c.strip() for c in raw.split(",") if c.strip()]


def check_order(order: Order, *, now: datetime, window_days: int) -> str | None:
    """Why this order cannot be returned at all (Persian, for the reply), or None."""
    if order.status == OrderStatus.RETURNED:
        return "این سفارش قبلاً مرجوع شده"
    if order.status == OrderStatus.CANCELLED:
        return "این سفارش لغو شده است"
    delivered = delivered_at(order)
    if delivered is None:
        return "سفارش هنوز تحویل نشده"
    deadline = return_deadline(delivered, window_days)
    if tehran_date(now) > deadline:
        days = to_persian_digits(window_days)
        return f"مهلت {days} روزهٔ مرجوعی در {format_date(deadline)} تمام شده"
    return None


async def check_items(session: AsyncSession, order: Order, *, excluded: Iterable[str]) -> list[ItemCheck]:
    """Each item of the order with the reason it cannot be returned, if any."""
    excluded_keys = {_key(c) for c in excluded}
    open_returns = await open_return_references(session, [i.id for i in order.items])
    checks = []
    for item in order.items:
        if item.id in open_returns:
            refusal = f"برای «{item.title}» قبلاً درخواست مرجوعی با کد {open_returns[item.id]} ثبت شده"
            checks.append(ItemCheck(item, refusal, returned=True))
        elif item.category and _key(item.category) in excluded_keys:
            checks.append(ItemCheck(item, f"«{item.title}» از کالاهای غیرقابل مرجوع است ({item.category})"))
        else:
            checks.append(ItemCheck(item, None))
    return checks


def refusal_for_items(checks: list[ItemCheck]) -> str | None:
    """Why nothing in the order can be returned, or None when something can."""
    if any(c.refusal is None for c in checks):
        return None
    if checks and all(c.returned for c in checks):
        return "برای همهٔ کالاهای این سفارش قبلاً درخواست مرجوعی ثبت شده"
    return "؛ ".join(c.refusal for c in checks if c.refusal)


async def open_return_references(session: AsyncSession, item_ids: list[int]) -> dict[int, str]:
    if not item_ids:
        return {}
    rows = await session.execute(
        select(ReturnRequest.order_item_id, ReturnRequest.reference).where(
            ReturnRequest.order_item_id.in_(item_ids), ReturnRequest.status.not_in(_CLOSED)
        )
    )
    return {item_id: reference for item_id, reference in rows}


async def delivered_orders(session: AsyncSession, customer_id: int, *, limit: int = 5) -> list[Order]:
    """The customer's latest delivered orders, newest first: the ones a return can be about."""
    rows = await session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id, Order.status == OrderStatus.DELIVERED)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
        .options(*orders.detail_options())
    )
    return list(rows)


# -- what the customer typed ------------------------------------------------------------------------


def reason_from_text(text: str) -> str | None:
    """The reason code a typed answer clearly names, or None when it names none or several."""
    words = _squash_words(text)
    squashed = "".join(words)
    hits = [
        code
        for code, stems in _REASON_STEMS.items()
        if any(_stem_in(stem, words, squashed) for stem in stems)
    ]
    return hits[0] if len(hits) == 1 else None


def _stem_in(stem: str, words: list[str], squashed: str) -> bool:
    # A stem starts a word ("کوچیکه", "آسیب‌دیده"), so "خش" does not fire inside "ببخشید"; a stem of
    # several words is looked for across the spaces customers put or leave out.
    if " " in stem:
        return _squash(stem) in squashed
    return any(word.startswith(stem) for word in words)


def match_items(text: str, items: list[OrderItem]) -> list[OrderItem]:
    """The items a typed text names, by title (a button's title typed back, or "گوشیم" for a phone).
    The whole title wins over a single word of it, so "کتری برقی" is not also every other "برقی"."""
    squashed = _squash(text)
    if not squashed:
        return []
    whole = [i for i in items if _squash(i.title) in squashed]
    if whole:
        return whole
    return [i for i in items if any(word in squashed for word in _title_words(i.title))]


def _title_words(title: str) -> list[str]:
    # Words of two letters ("رژ", "لب") match inside too many others to identify anything alone.
    return [w for w in (_squash(part) for part in normalize_text(title).split()) if len(w) >= 3]


def _squash_words(text: str) -> list[str]:
    return [w for w in re.split(r"[\W_]+", normalize_text(text).replace("\u200c", "").lower()) if w]


def _squash(text: str) -> str:
    """Normalised, lower-case, without spaces or ZWNJ: "تی‌شرت", "تی شرت" and "تيشرت" compare equal."""
    return normalize_text(text).replace("\u200c", "").replace(" ", "").lower()


def _key(category: str) -> str:
    return _squash(category)


# -- recording ----------------------------------------------------------------------------------------


async def do_request_return(
    session: AsyncSession,
    settings: Settings,
    *,
    order: Order,
    item: OrderItem,
    reason: str,
    customer_id: int,
    conversation_id: int | None,
) -> ReturnRequest:
    """Record the return request with a reference the customer can quote and tell the shop."""
    if reason not in REASONS:
        raise ValueError(f"unknown return reason {reason!r}")
    request = ReturnRequest(
        customer_id=customer_id,
        order_id=order.id,
        order_item_id=item.id,
        conversation_id=conversation_id,
        reason=reason,
        status=ReturnStatus.REQUESTED,
    )
    await add_with_reference(session, request, prefix="R")
    audit.record(
        session,
        action="return.requested",
        subject_type="order",
        subject_id=order.number,
        actor_type="customer",
        actor_id=customer_id,
        detail={"reference": request.reference, "item_id": item.id, "reason": reason},
    )
    shop_events.enqueue(
        session,
        settings,
        event=ShopEvent.RETURN_REQUESTED,
        data={
            "reference": request.reference,
            "order_number": order.number,
            "item": {"sku": item.sku, "title": item.title, "quantity": item.quantity},
            "reason": reason,
            "customer_id": customer_id,
        },
    )
    await session.flush()
    return request


Referenced = TypeVar("Referenced", ReturnRequest, WarrantyClaim)


async def add_with_reference(session: AsyncSession, row: Referenced, *, prefix: str) -> Referenced:
    """Insert ``row`` (a ReturnRequest or WarrantyClaim) under a fresh short reference such as
    ``R-7K3Q9``, drawing again when the reference is taken (also by a concurrent transaction)."""
    model = type(row)
    await session.flush()  # so an IntegrityError below can only be about this row
    for _ in range(REFERENCE_ATTEMPTS):
        reference = new_reference(prefix)
        if await session.scalar(select(model.id).where(model.reference == reference)) is not None:
            continue
        row.reference = reference
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            taken = await session.scalar(select(model.id).where(model.reference == reference))
            if taken is None:
                raise  # not a reference collision: a real error
            continue
        return row
    raise RuntimeError(f"no free {prefix}- reference after {REFERENCE_ATTEMPTS} attempts")


def new_reference(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
