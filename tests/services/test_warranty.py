"""Warranty cover (Jalali months from the Tehran delivery day), finding items, fault texts and claims."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import orders, warranty
from bot.services.warranty import Cover
from bot.storage.models import (
    Order,
    OrderItem,
    OrderStatus,
    Outbox,
    Shipment,
    ShipmentEvent,
    WarrantyClaim,
    WarrantyStatus,
)
from tests.shop import KnownShop, load_known_shop


def _item(months: int | None, delivered: datetime | None, status: OrderStatus = OrderStatus.DELIVERED):
    events = [ShipmentEvent(at=delivered, status="delivered")] if delivered else []
    order = Order(
        number="1", status=status, items=[], shipment=Shipment(carrier="پست", status="x", events=events)
    )
    item = OrderItem(title="کتری برقی", quantity=1, warranty_months=months, position=0)
    order.items.append(item)
    return item, order


@pytest.mark.parametrize(
    ("start", "months", "until"),
    [
        (date(2026, 11, 2), 6, date(2027, 5, 1)),  # 11 Aban 1405 → 11 Ordibehesht 1406
        (date(2025, 9, 22), 1, date(2025, 10, 22)),  # 31 Shahrivar → 30 Mehr (Mehr has 30 days)
        (date(2025, 3, 20), 12, date(2026, 3, 20)),  # 30 Esfand 1403 (leap) → 29 Esfand 1404
        (date(2025, 3, 21), 18, date(2026, 9, 23)),  # 1 Farvardin 1404 → 1 Mehr 1405
    ],
)
def test_months_are_added_in_the_jalali_calendar(start: date, months: int, until: date) -> None:
    assert warranty.add_jalali_months(start, months) == until


def test_cover_lasts_through_its_last_day_in_tehran() -> None:
    # Delivered 00:30 on 2 Nov in Tehran (21:00 UTC on 1 Nov): cover counts from 11 Aban, not 10 Aban.
    item, order = _item(6, datetime(2026, 11, 1, 21, 0, tzinfo=UTC))
    last_day = warranty.warranty_of(item, order, now=datetime(2027, 5, 1, 20, 29, tzinfo=UTC))
    assert (last_day.cover, last_day.until) == (Cover.VALID, date(2027, 5, 1))
    next_day = warranty.warranty_of(item, order, now=datetime(2027, 5, 1, 20, 30, tzinfo=UTC))
    assert next_day.cover is Cover.EXPIRED


@pytest.mark.parametrize("months", [None, 0])
def test_an_item_without_warranty_months_has_none(months: int | None) -> None:
    item, order = _item(months, datetime(2026, 11, 1, tzinfo=UTC))
    assert warranty.warranty_of(item, order, now=datetime(2026, 11, 5, tzinfo=UTC)).cover is Cover.NONE


def test_cover_starts_on_delivery() -> None:
    item, order = _item(18, None, status=OrderStatus.SHIPPED)
    cover = warranty.warranty_of(item, order, now=datetime(2026, 11, 5, tzinfo=UTC))
    assert (cover.cover, cover.until, cover.months) == (Cover.NOT_STARTED, None, 18)


@pytest.mark.parametrize(
    ("raw", "serial"),
    [(" kt77120qz ", "KT77120QZ"), ("KT-7712 0QZ", "KT77120QZ"), ("kt۷۷۱۲۰qz", "KT77120QZ")],
)
def test_serials_are_normalised_as_the_shop_stores_them(raw: str, serial: str) -> None:
    assert warranty.normalize_serial(raw) == serial


@pytest.mark.parametrize(
    ("text", "describes"),
    [
        ("گوشیم شارژ نمیگیره", True),
        ("از دیروز روشن نمیشه و بوی سوختگی میده", True),
        ("gooshim sharj nemigire", True),
        ("گوشیم خراب شده", False),
        ("تعمیر گارانتی", False),
        ("درخواست تعمیر تحت گارانتی دارم برای سریال SN2K8Q04LM", False),
        ("/warranty_claim", False),
        (None, False),
    ],
)
def test_a_message_describes_a_fault_only_beyond_the_request_words(text: str | None, describes: bool) -> None:
    fault = warranty.fault_from_message(text)
    assert (fault is not None) is describes
    if describes:
        assert fault == text


# -- in the database --------------------------------------------------------------------------------------


@pytest.fixture
async def shop(session: AsyncSession) -> KnownShop:
    return await load_known_shop(session)


async def test_a_serial_finds_its_item_whoever_asks(session: AsyncSession, shop: KnownShop) -> None:
    found = await warranty.find_by_serial(session, "kt77120qz")
    assert found is not None and (found.item.title, found.order.number) == ("کتری برقی", "1000002")
    assert await warranty.find_by_serial(session, "ZZ99999ZZ") is None


async def test_a_claim_reaches_only_items_the_customer_may_act_on(
    session: AsyncSession, shop: KnownShop
) -> None:
    mine = await warranty.access_serial(
        session, serial="KT77120QZ", customer_id=shop.sara_id, verified=True, unlocked=[]
    )
    assert mine is not None and mine.order.number == "1000002"
    # Reza's headphones: not Sara's, and not opened with its phone
    assert (
        await warranty.access_serial(
            session, serial="XM5K11111", customer_id=shop.sara_id, verified=True, unlocked=[]
        )
        is None
    )
    # an unverified customer reaches an item only through an order opened with its phone
    assert (
        await warranty.access_serial(
            session, serial="KT77120QZ", customer_id=shop.reza_id, verified=False, unlocked=[]
        )
        is None
    )
    opened = await warranty.access_serial(
        session, serial="KT77120QZ", customer_id=shop.reza_id, verified=False, unlocked=["1000002"]
    )
    assert opened is not None
    assert (
        await warranty.access_item(
            session, item_id=opened.item.id, customer_id=shop.reza_id, verified=True, unlocked=[]
        )
        is None
    )
    assert (
        await warranty.access_item(
            session, item_id="not-a-number", customer_id=shop.sara_id, verified=True, unlocked=[]
        )
        is None
    )


async def test_delivered_items_are_the_customers_received_ones(
    session: AsyncSession, shop: KnownShop
) -> None:
    items = await warranty.delivered_items(session, shop.sara_id)
    assert [f.item.title for f in items] == ["تی‌شرت نخی", "رژ لب", "کتری برقی", "گوشی سامسونگ A55"]
    assert [f.item.title for f in warranty.with_warranty(items)] == ["کتری برقی", "گوشی سامسونگ A55"]
    named = warranty.match_found("گوشیم شارژ نمیگیره", items)
    assert [f.item.title for f in named] == ["گوشی سامسونگ A55"]


async def test_the_known_shops_items_have_the_cover_they_should(
    session: AsyncSession, shop: KnownShop
) -> None:
    now = datetime.now(UTC)
    kettle = await warranty.find_by_serial(session, "KT77120QZ")
    phone = await warranty.find_by_serial(session, "R58M41ABC2")
    headphones = await warranty.find_by_serial(session, "XM5K88231")  # shipped, not delivered
    assert kettle and phone and headphones
    assert warranty.warranty_of(kettle.item, kettle.order, now=now).cover is Cover.VALID
    assert warranty.warranty_of(phone.item, phone.order, now=now).cover is Cover.EXPIRED
    assert warranty.warranty_of(headphones.item, headphones.order, now=now).cover is Cover.NOT_STARTED
    assert (
        warranty.warranty_of(kettle.item, kettle.order, now=now + timedelta(days=200)).cover is Cover.EXPIRED
    )


async def test_a_claim_is_stored_with_a_reference_and_sent_to_the_shop(
    session: AsyncSession, shop: KnownShop, settings: Settings
) -> None:
    settings = settings.model_copy(update={"shop_webhook_url": "https://shop.example/hooks"})
    found = await warranty.find_by_serial(session, "KT77120QZ")
    assert found is not None
    claim = await warranty.do_claim(
        session,
        settings,
        found=found,
        fault="  آب رو گرم\nنمیکنه  ",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    stored = await session.scalar(select(WarrantyClaim).where(WarrantyClaim.reference == claim.reference))
    assert stored is not None and claim.reference.startswith("W-") and len(claim.reference) == 7
    assert (stored.serial_number, stored.fault_description, stored.status) == (
        "KT77120QZ",
        "آب رو گرم نمیکنه",
        WarrantyStatus.SUBMITTED,
    )
    event = await session.scalar(select(Outbox))
    assert event is not None and event.body["event"] == "warranty.claimed"
    assert event.body["data"] == {
        "reference": claim.reference,
        "order_number": "1000002",
        "item": {"sku": "KT-2", "title": "کتری برقی", "serial_number": "KT77120QZ"},
        "fault_description": "آب رو گرم نمیکنه",
        "customer_id": shop.sara_id,
    }


async def test_items_keep_their_claims_when_the_shop_resends_the_order(
    session: AsyncSession, shop: KnownShop, settings: Settings
) -> None:
    found = await warranty.find_by_serial(session, "KT77120QZ")
    assert found is not None
    claim = await warranty.do_claim(
        session,
        settings,
        found=found,
        fault="روشن نمیشه اصلا",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    await load_known_shop(session)  # the shop pushes the same orders again
    order = await orders.get_order(session, "1000002")
    assert order is not None and claim.order_item_id in [i.id for i in order.items]
