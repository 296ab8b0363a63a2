"""The cancel actions with a Tracker built by hand, against a database with known orders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from actions.cancel import ActionCancelOrder, ActionSubmitCancel, leave_other_form
from actions.confirm import ActionAskConfirmed, opening_question
from actions.context import TurnContext, bind_turn
from bot.config import Settings
from bot.services import cancellation, conversations, identity, orders
from bot.services.cancellation import CancelCheck, CancellationRefused
from bot.services.order_data import OrderIn
from bot.storage.base import utcnow
from bot.storage.models import AuditLog, Order, OrderStatus, Outbox, OutboxKind, VerificationMethod
from tests.shop import SARA_PHONE, KnownShop, load_known_shop

WEBHOOK = "https://shop.example/pishkhan/events"


@pytest.fixture
async def shop(session: AsyncSession) -> KnownShop:
    known = await load_known_shop(session)
    for number, status in (("1000005", "cancelled"), ("1000006", "returned")):
        await _add_order(session, number, status)
    return known


async def _add_order(session: AsyncSession, number: str, status: str) -> Order:
    body = OrderIn.model_validate(
        {
            "customer": {"external_id": "u-1", "name": "سارا احمدی", "phone": SARA_PHONE},
            "status": status,
            "placed_at": (utcnow() - timedelta(days=1)).isoformat(),
            "total": 500_000,
            "items": [{"sku": "MG-1", "title": "ماگ سرامیکی", "quantity": 1, "unit_price": 500_000}],
        }
    )
    return (await orders.upsert_order(session, number=number, data=body)).order


@pytest.fixture
def shop_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"shop_webhook_url": WEBHOOK})


@pytest.fixture
async def turn(session: AsyncSession, shop: KnownShop, shop_settings: Settings) -> AsyncIterator[Any]:
    """``with turn(verified=…):`` binds a turn of a REST customer, Sara when verified."""
    known = await identity.resolve_identity(session, channel="rest", external_id="sara-rest")
    await identity.verify_with_phone(
        session, identity=known, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
    )
    stranger = await identity.resolve_identity(session, channel="rest", external_id="stranger")

    @contextmanager
    def bind(*, verified: bool = True, settings: Settings = shop_settings) -> Iterator[TurnContext]:
        who = known if verified else stranger
        context = TurnContext(
            session=session,
            settings=settings,
            customer_id=who.customer_id,
            conversation_id=0,
            identity_id=who.id,
            channel="rest",
        )
        with bind_turn(context):
            yield context

    for who in (known, stranger):
        await conversations.open_conversation(session, who)
    yield bind


def tracker(
    slots: dict[str, Any] | None = None,
    *,
    loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker(
        "sara-rest",
        {"requested_slot": None, **(slots or {})},
        {"intent": {"name": "cancel_order", "confidence": 1.0}, "entities": [], "text": "/cancel_order"},
        events or [],
        False,
        None,
        {"name": loop} if loop else {},
        None,
    )


async def run(action: Any, track: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, {})
    return dispatcher.messages, events


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(("number", "status_fa"), [("1000005", "لغو شده"), ("1000006", "مرجوع شده")])
async def test_a_closed_order_cannot_be_cancelled(turn: Any, number: str, status_fa: str) -> None:
    with turn():
        messages, events = await run(ActionCancelOrder(), tracker({"order_id": number}))
    assert [m["response"] for m in messages] == ["utter_cancel_not_possible_closed"]
    assert messages[0]["status_fa"] == status_fa
    assert "pending_action" not in slots_of(events)


async def test_a_shipped_order_gets_the_return_path(turn: Any) -> None:
    with turn():
        messages, _ = await run(ActionCancelOrder(), tracker({"order_id": "1000001"}))
    assert [m["response"] for m in messages] == ["utter_cancel_not_possible_shipped"]
    assert messages[0]["return_days_fa"] == "۷"


async def test_a_paid_order_asks_for_confirmation(turn: Any) -> None:
    with turn():
        messages, events = await run(ActionCancelOrder(), tracker({"order_id": "1000004"}))
    assert [m["response"] for m in messages] == ["utter_ask_confirm_cancel"]
    assert messages[0]["total_fa"] == "۱٬۹۵۰٬۰۰۰ تومان" and messages[0]["order_id_fa"] == "۱۰۰۰۰۰۴"
    assert slots_of(events) == {
        "task": "cancel",
        "order_id": "1000004",
        "confirmed": None,
        "pending_action": "cancel_order",
    }
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "confirm_form"}


async def test_a_customer_with_several_open_orders_chooses_one(turn: Any, session: AsyncSession) -> None:
    await _add_order(session, "1000007", "processing")
    with turn():
        messages, _ = await run(ActionCancelOrder(), tracker())
    (message,) = messages
    assert message["response"] == "utter_ask_order_id"
    assert [b["payload"] for b in message["buttons"]] == [
        '/cancel_order{"order_id":"1000004"}',  # newest first; shipped and closed orders are left out
        '/cancel_order{"order_id":"1000007"}',
    ]


async def test_an_unverified_customer_is_asked_for_order_access(turn: Any) -> None:
    with turn(verified=False):
        messages, events = await run(
            ActionCancelOrder(), tracker({"order_id": "1000004"}, loop="return_form")
        )
    assert messages == []
    assert [e["event"] for e in events] == ["slot", "active_loop", "slot", "followup"]
    assert events[-1]["name"] == "order_access_form"


async def test_yes_records_the_request_and_queues_the_shop_event(
    turn: Any, session: AsyncSession, shop: KnownShop
) -> None:
    slots = {"order_id": "1000004", "confirmed": True, "pending_action": "cancel_order"}
    with turn():
        messages, events = await run(ActionSubmitCancel(), tracker(slots))
    assert [m["response"] for m in messages] == ["utter_cancel_requested"]
    assert slots_of(events) == {"pending_action": None, "confirmed": None}

    order = await session.scalar(select(Order).where(Order.number == "1000004"))
    assert order is not None and order.cancel_requested_at is not None
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "order.cancel_requested"))
    assert audit is not None and audit.subject_id == "1000004" and audit.actor_id == str(shop.sara_id)
    (row,) = await session.scalars(select(Outbox))
    assert row.kind == OutboxKind.SHOP_EVENT and row.target == WEBHOOK
    assert row.body["event"] == "order.cancellation_requested"
    assert row.body["data"] == {
        "order_number": "1000004",
        "order_status": "paid",
        "customer_id": shop.sara_id,
        "shop_customer_id": "u-1",
        "requested_by_owner": True,
        "channel": "rest",
        "reason": None,
        "requested_at": order.cancel_requested_at.isoformat(),
    }


async def test_no_keeps_the_order(turn: Any, session: AsyncSession) -> None:
    with turn():
        messages, events = await run(
            ActionSubmitCancel(), tracker({"order_id": "1000004", "confirmed": False})
        )
    assert [m["response"] for m in messages] == ["utter_kept"]
    assert slots_of(events) == {"pending_action": None, "confirmed": None}
    order = await session.scalar(select(Order).where(Order.number == "1000004"))
    assert order is not None and order.cancel_requested_at is None
    assert list(await session.scalars(select(Outbox))) == []


async def test_an_order_shipped_while_the_customer_decided_is_not_cancelled(
    turn: Any, session: AsyncSession
) -> None:
    order = await session.scalar(select(Order).where(Order.number == "1000004"))
    assert order is not None
    order.status = OrderStatus.SHIPPED
    with turn():
        messages, _ = await run(ActionSubmitCancel(), tracker({"order_id": "1000004", "confirmed": True}))
    assert [m["response"] for m in messages] == ["utter_cancel_not_possible_shipped"]
    assert order.cancel_requested_at is None
    assert list(await session.scalars(select(Outbox))) == []


async def test_without_a_shop_webhook_the_request_is_still_recorded(
    turn: Any, session: AsyncSession, settings: Settings
) -> None:
    with turn(settings=settings):
        messages, _ = await run(ActionSubmitCancel(), tracker({"order_id": "1000004", "confirmed": True}))
    assert [m["response"] for m in messages] == ["utter_cancel_requested"]
    order = await session.scalar(select(Order).where(Order.number == "1000004"))
    assert order is not None and order.cancel_requested_at is not None
    assert list(await session.scalars(select(Outbox))) == []


async def test_a_second_request_from_a_stale_read_is_refused_and_told_once(
    sessionmaker: async_sessionmaker[AsyncSession], shop_settings: Settings
) -> None:
    async with sessionmaker() as session, session.begin():
        await load_known_shop(session)
    async with sessionmaker() as session, session.begin():
        order = await orders.get_order(session, "1000004")
        assert order is not None
        await cancellation.request_cancellation(
            session, shop_settings, order=order, requested_by=order.customer_id, channel="telegram"
        )
    async with sessionmaker() as session, session.begin():
        order = await orders.get_order(session, "1000004")
        assert order is not None
        set_committed_value(order, "cancel_requested_at", None)  # as read before the other channel's yes
        with pytest.raises(CancellationRefused) as refused:
            await cancellation.request_cancellation(
                session, shop_settings, order=order, requested_by=order.customer_id, channel="instagram"
            )
        assert refused.value.check is CancelCheck.ALREADY_REQUESTED
    async with sessionmaker() as session:
        assert len(list(await session.scalars(select(Outbox)))) == 1


def test_leaving_a_form_drops_an_unanswered_question() -> None:
    assert leave_other_form(tracker()) == []
    names = [(e["event"], e.get("name")) for e in leave_other_form(tracker(loop="confirm_form"))]
    assert names == [
        ("active_loop", None),
        ("slot", "requested_slot"),
        ("slot", "pending_action"),
        ("slot", "confirmed"),
    ]


QUESTION = {
    "event": "bot",
    "text": "سفارش ۱۰۰۰۰۰۴ به مبلغ ۱٬۹۵۰٬۰۰۰ تومان لغو شود؟",
    "data": {"buttons": [{"title": "بله، لغو شود", "payload": "/affirm"}]},
    "metadata": {"utter_action": "utter_ask_confirm_cancel"},
}
OPENED = [
    {"event": "user", "text": "/cancel_order"},
    {"event": "action", "name": "action_cancel_order"},
    QUESTION,
    {"event": "action", "name": "confirm_form"},
    {"event": "active_loop", "name": "confirm_form"},
]


async def test_the_confirmation_is_not_asked_twice_when_the_form_opens() -> None:
    assert opening_question(OPENED) is None
    messages, _ = await run(ActionAskConfirmed(), tracker(events=OPENED))
    assert messages == []


async def test_the_confirmation_is_asked_again_after_an_interruption() -> None:
    later = [*OPENED, {"event": "user", "text": "/bot_challenge"}, {"event": "bot", "text": "من ربات هستم"}]
    assert opening_question(later) == QUESTION
    messages, _ = await run(ActionAskConfirmed(), tracker(events=later))
    assert [(m["response"], m["text"]) for m in messages] == [("utter_ask_confirm_cancel", QUESTION["text"])]
