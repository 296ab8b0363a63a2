"""Return eligibility (window by Tehran calendar day, excluded categories, not twice) and recording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import orders, returns
from bot.storage.models import (
    AuditLog,
    Order,
    OrderItem,
    OrderStatus,
    Outbox,
    OutboxKind,
    ReturnRequest,
    ReturnStatus,
    Shipment,
    ShipmentEvent,
)
from bot.text.jalali import format_date
from tests.shop import KnownShop, load_known_shop


def _order(status: OrderStatus, delivered: datetime | None) -> Order:
    """An order in memory (no database): the window rules only read status and shipment events."""
    events = [ShipmentEvent(at=DELIVERED - timedelta(days=1), status="in_transit")]
    if delivered is not None:
        events.append(ShipmentEvent(at=delivered, status="delivered"))
    shipment = Shipment(carrier="تیپاکس", status="delivered", events=events)
    return Order(number="1234567", status=status, items=[], shipment=shipment)


# -- the window -------------------------------------------------------------------------------------------

# 10:00 in Tehran on 1 Nov 2026 (Iran keeps +03:30 all year).
DELIVERED = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_exactly_seven_days_after_delivery_is_still_in_the_window() -> None:
    order = _order(OrderStatus.DELIVERED, DELIVERED)
    assert returns.check_order(order, now=DELIVERED + timedelta(days=7), window_days=7) is None


def test_the_window_lasts_to_the_end_of_its_last_day_in_tehran() -> None:
    order = _order(OrderStatus.DELIVERED, DELIVERED)
    last_minute = datetime(2026, 11, 8, 20, 29, tzinfo=UTC)  # 8 Nov 23:59 in Tehran
    next_day = datetime(2026, 11, 8, 20, 30, tzinfo=UTC)  # 9 Nov 00:00 in Tehran
    assert returns.check_order(order, now=last_minute, window_days=7) is None
    refusal = returns.check_order(order, now=next_day, window_days=7)
    assert refusal == f"مهلت ۷ روزهٔ مرجوعی در {format_date(datetime(2026, 11, 8).date())} تمام شده"
    assert refusal == "مهلت ۷ روزهٔ مرجوعی در ۱۷ آبان ۱۴۰۵ تمام شده"


def test_a_delivery_after_midnight_in_tehran_counts_from_the_tehran_day_not_the_utc_day() -> None:
    # 21:00 UTC on 1 Nov is 00:30 on 2 Nov in Tehran: the customer's day one is 2 Nov.
    order = _order(OrderStatus.DELIVERED, datetime(2026, 11, 1, 21, 0, tzinfo=UTC))
    assert returns.return_deadline(datetime(2026, 11, 1, 21, 0, tzinfo=UTC), 7).isoformat() == "2026-11-09"
    assert returns.check_order(order, now=datetime(2026, 11, 9, 20, 0, tzinfo=UTC), window_days=7) is None
    assert returns.check_order(order, now=datetime(2026, 11, 9, 20, 30, tzinfo=UTC), window_days=7)


def test_the_window_comes_from_the_settings() -> None:
    order = _order(OrderStatus.DELIVERED, DELIVERED)
    ten_days_later = DELIVERED + timedelta(days=10)
    assert returns.check_order(order, now=ten_days_later, window_days=14) is None
    assert "مهلت ۱۴ روزهٔ" in (
        returns.check_order(order, now=DELIVERED + timedelta(days=20), window_days=14) or ""
    )


@pytest.mark.parametrize(
    ("status", "delivered", "reason"),
    [
        (OrderStatus.SHIPPED, None, "سفارش هنوز تحویل نشده"),
        (OrderStatus.PAID, None, "سفارش هنوز تحویل نشده"),
        (OrderStatus.CANCELLED, None, "این سفارش لغو شده است"),
        (OrderStatus.RETURNED, DELIVERED, "این سفارش قبلاً مرجوع شده"),
    ],
)
def test_orders_not_in_hand_cannot_be_returned(
    status: OrderStatus, delivered: datetime | None, reason: str
) -> None:
    assert returns.check_order(_order(status, delivered), now=DELIVERED, window_days=7) == reason


def test_a_delivered_order_without_a_delivered_event_counts_from_the_shops_update() -> None:
    order = Order(number="1", status=OrderStatus.DELIVERED, items=[], shipment=None, updated_at=DELIVERED)
    assert returns.delivered_at(order) == DELIVERED
    assert returns.check_order(order, now=DELIVERED + timedelta(days=3), window_days=7) is None


# -- what the customer typed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("سایزش کوچیکه", "wrong_size"),
        ("اندازه‌م نیست", "wrong_size"),
        ("رنگش با عکس فرق داشت", "not_as_described"),
        ("آسیب دیده رسید", "damaged"),
        ("شكسته بود", "damaged"),  # Arabic kaf
        ("پشیمون شدم", "changed_mind"),
        ("نمی خوامش دیگه", "changed_mind"),
        ("ببخشید", None),  # "خش" inside a word is not a scratch
        ("شکسته بود و رنگش هم فرق داشت", None),  # two reasons: ask which
        ("همینطوری", None),
    ],
)
def test_a_typed_reason_maps_to_one_code_or_none(text: str, reason: str | None) -> None:
    assert returns.reason_from_text(text) == reason


def test_items_are_matched_by_their_title_however_it_is_typed() -> None:
    shirt = OrderItem(title="تی‌شرت نخی")
    kettle = OrderItem(title="کتری برقی")
    fan = OrderItem(title="پنکه برقی")
    items = [shirt, kettle, fan]
    assert returns.match_items("تیشرت", items) == [shirt]
    assert returns.match_items("تی شرت نخی", items) == [shirt]
    assert returns.match_items("کتری برقی", items) == [kettle]  # the whole title wins over "برقی"
    assert returns.match_items("برقی", items) == [kettle, fan]
    assert returns.match_items("چیز دیگه", items) == []


def test_excluded_categories_are_read_from_the_settings() -> None:
    settings = Settings(return_excluded_categories=" کارت هدیه ، لباس زیر,,", _env_file=None)  # type: ignore[call-arg]
    assert returns.excluded_categories(settings) == ["کارت هدیه", "لباس زیر"]


# -- in the database --------------------------------------------------------------------------------------


@pytest.fixture
async def shop(session: AsyncSession) -> KnownShop:
    return await load_known_shop(session)


async def _order_1000002(session: AsyncSession) -> Order:
    order = await orders.get_order(session, "1000002")
    assert order is not None
    return order


async def test_excluded_and_already_returned_items_are_refused_with_their_reason(
    session: AsyncSession, shop: KnownShop, settings: Settings
) -> None:
    order = await _order_1000002(session)
    shirt, lipstick, kettle = order.items
    await returns.do_request_return(
        session,
        settings,
        order=order,
        item=kettle,
        reason="damaged",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    checks = await returns.check_items(session, order, excluded=returns.excluded_categories(settings))
    refusals = {c.item.title: c.refusal for c in checks}
    assert refusals["تی‌شرت نخی"] is None
    assert refusals["رژ لب"] == "«رژ لب» از کالاهای غیرقابل مرجوع است (آرایشی و بهداشتی)"
    assert (refusals["کتری برقی"] or "").startswith("برای «کتری برقی» قبلاً درخواست مرجوعی با کد R-")
    assert returns.refusal_for_items(checks) is None  # the shirt can still go back
    assert shirt.id != lipstick.id


async def test_a_rejected_return_does_not_block_asking_again(
    session: AsyncSession, shop: KnownShop, settings: Settings
) -> None:
    order = await _order_1000002(session)
    kettle = order.items[2]
    request = await returns.do_request_return(
        session,
        settings,
        order=order,
        item=kettle,
        reason="damaged",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    request.status = ReturnStatus.REJECTED
    await session.flush()
    checks = await returns.check_items(session, order, excluded=[])
    assert all(c.refusal is None for c in checks)


async def test_nothing_left_to_return_says_so_for_the_whole_order(
    session: AsyncSession, shop: KnownShop, settings: Settings
) -> None:
    order = await _order_1000002(session)
    for item in order.items:
        await returns.do_request_return(
            session,
            settings,
            order=order,
            item=item,
            reason="changed_mind",
            customer_id=shop.sara_id,
            conversation_id=None,
        )
    checks = await returns.check_items(session, order, excluded=[])
    assert returns.refusal_for_items(checks) == "برای همهٔ کالاهای این سفارش قبلاً درخواست مرجوعی ثبت شده"


async def test_a_return_request_is_stored_audited_and_sent_to_the_shop(
    session: AsyncSession, shop: KnownShop, settings: Settings
) -> None:
    settings = settings.model_copy(update={"shop_webhook_url": "https://shop.example/hooks/pishkhan"})
    order = await _order_1000002(session)
    kettle = order.items[2]
    request = await returns.do_request_return(
        session,
        settings,
        order=order,
        item=kettle,
        reason="damaged",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    stored = await session.scalar(select(ReturnRequest).where(ReturnRequest.reference == request.reference))
    assert stored is not None
    assert (stored.order_id, stored.order_item_id, stored.reason, stored.status) == (
        order.id,
        kettle.id,
        "damaged",
        ReturnStatus.REQUESTED,
    )
    assert len(request.reference) == 7 and request.reference.startswith("R-")
    assert set(request.reference[2:]) <= set(returns.REFERENCE_ALPHABET)
    event = await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.SHOP_EVENT))
    assert event is not None and event.target == "https://shop.example/hooks/pishkhan"
    assert event.body["event"] == "return.requested"
    assert event.body["data"] == {
        "reference": request.reference,
        "order_number": "1000002",
        "item": {"sku": "KT-2", "title": "کتری برقی", "quantity": 1},
        "reason": "damaged",
        "customer_id": shop.sara_id,
    }
    audited = await session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "return.requested")
    )
    assert audited == 1


async def test_no_webhook_configured_means_no_shop_event(
    session: AsyncSession, shop: KnownShop, settings: Settings
) -> None:
    order = await _order_1000002(session)
    await returns.do_request_return(
        session,
        settings,
        order=order,
        item=order.items[0],
        reason="wrong_size",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    assert await session.scalar(select(func.count()).select_from(Outbox)) == 0


async def test_a_taken_reference_is_drawn_again(
    session: AsyncSession, shop: KnownShop, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = await _order_1000002(session)
    first = await returns.do_request_return(
        session,
        settings,
        order=order,
        item=order.items[0],
        reason="wrong_size",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    drawn = iter([first.reference, "R-NEW22"])
    monkeypatch.setattr(returns, "new_reference", lambda prefix: next(drawn))
    second = await returns.do_request_return(
        session,
        settings,
        order=order,
        item=order.items[2],
        reason="damaged",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    assert second.reference == "R-NEW22"
    assert await session.scalar(select(func.count()).select_from(ReturnRequest)) == 2


async def test_a_reference_lost_to_a_concurrent_insert_is_drawn_again(
    session: AsyncSession, shop: KnownShop, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique index, not the look-up, is what guards: a row that appears between the two is retried."""
    order = await _order_1000002(session)
    first = await returns.do_request_return(
        session,
        settings,
        order=order,
        item=order.items[0],
        reason="wrong_size",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    drawn = iter([first.reference, "R-NEW33"])
    monkeypatch.setattr(returns, "new_reference", lambda prefix: next(drawn))
    real_scalar = session.scalar
    calls = {"n": 0}

    async def blind_first_lookup(statement, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            return None  # the look-up misses the row, as if it were committed a moment later
        return await real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(session, "scalar", blind_first_lookup)
    second = await returns.do_request_return(
        session,
        settings,
        order=order,
        item=order.items[2],
        reason="damaged",
        customer_id=shop.sara_id,
        conversation_id=None,
    )
    monkeypatch.undo()
    assert second.reference == "R-NEW33"
    assert await session.scalar(select(func.count()).select_from(ReturnRequest)) == 2


async def test_only_delivered_orders_are_offered_for_a_return(session: AsyncSession, shop: KnownShop) -> None:
    delivered = await returns.delivered_orders(session, shop.sara_id)
    assert [o.number for o in delivered] == ["1000002", "1000003"]
