"""Order tracking and the shared order-access form (order number + the phone on that order)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import turn_scope
from actions.formatting import order_fields, order_line
from bot.dialogue.payloads import payload_for
from bot.services import order_access
from bot.services.order_access import OrderPhoneCheck
from bot.services.order_data import OrderNumberError, normalize_order_number
from bot.storage.models import Order, OrderStatus
from bot.text.digits import to_persian_digits
from bot.text.phone import InvalidPhone, normalize_phone

ACTIVE = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.SHIPPED)


async def find_accessible_order(tracker: Tracker) -> tuple[Order | None, bool]:
    """The order in the ``order_id`` slot if this customer may see it, and whether they are verified."""
    async with turn_scope(tracker) as ctx:
        verified = await order_access.is_verified(ctx.session, ctx.customer_id)
        number = tracker.get_slot("order_id")
        if not number:
            return None, verified
        order = await order_access.access_order(
            ctx.session,
            customer_id=ctx.customer_id,
            verified=verified,
            number=str(number),
            unlocked=tracker.get_slot("unlocked_orders") or [],
        )
        return order, verified


def phone_or_complain(value: Any, dispatcher: CollectingDispatcher) -> str | None:
    """The phone a form was given, normalised; None (and the customer told how to write it) if it is not one."""
    try:
        return normalize_phone(str(value))
    except InvalidPhone:
        dispatcher.utter_message(response="utter_invalid_phone")
        return None


def ran_this_turn(tracker: Tracker, action: str) -> bool:
    """Did ``action`` already run since the customer's latest message?"""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == action:
            return True
    return False


def ask_for_access(tracker: Tracker) -> list[EventType]:
    """Start the order-access form (leaving any form the customer abandoned for this), unless it has just
    run and still gave no access: then its own message has said why, and asking again would loop."""
    if ran_this_turn(tracker, "order_access_form"):
        return []
    events: list[EventType] = []
    if tracker.active_loop_name and tracker.active_loop_name != "order_access_form":
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return [*events, FollowupAction("order_access_form")]


class ActionTrackOrder(Action):
    def name(self) -> str:
        return "action_track_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order, verified = await find_accessible_order(tracker)
        if order is not None:
            dispatcher.utter_message(response="utter_order_status", **order_fields(order))
            return [SlotSet("task", "track")]
        if not verified:
            return [SlotSet("task", "track"), *ask_for_access(tracker)]
        if tracker.get_slot("order_id"):
            fields = {"order_id_fa": to_persian_digits(str(tracker.get_slot("order_id")))}
            dispatcher.utter_message(response="utter_order_not_found", **fields)
            return [SlotSet("order_id", None)]
        return await self._list_recent(dispatcher, tracker)

    async def _list_recent(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            recent = await order_access.recent_orders(ctx.session, ctx.customer_id)
        if not recent:
            dispatcher.utter_message(response="utter_no_orders")
            return []
        active = [o for o in recent if o.status in ACTIVE]
        if len(active) == 1:
            dispatcher.utter_message(response="utter_order_status", **order_fields(active[0]))
            return [SlotSet("order_id", active[0].number), SlotSet("task", "track")]
        buttons = [
            {"title": to_persian_digits(o.number), "payload": payload_for("track_order", order_id=o.number)}
            for o in recent
        ]
        dispatcher.utter_message(
            response="utter_order_list", orders_fa="\n".join(map(order_line, recent)), buttons=buttons
        )
        return [SlotSet("task", "track")]


class ActionAskOrderId(Action):
    """Ask for the order number; a verified customer picks from their recent orders instead of typing."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            recent = []
            if await order_access.is_verified(ctx.session, ctx.customer_id):
                recent = await order_access.recent_orders(ctx.session, ctx.customer_id)
        buttons = [
            {"title": to_persian_digits(o.number), "payload": payload_for("choose", order_id=o.number)}
            for o in recent
        ]
        dispatcher.utter_message(response="utter_ask_order_id", buttons=buttons)
        return []


class ValidateOrderAccessForm(FormValidationAction):
    """Order number, then the phone on that order. A verified customer's own orders need no phone."""

    def name(self) -> str:
        return "validate_order_access_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        order, _verified = await find_accessible_order(tracker)
        if order is not None:
            return []
        async with turn_scope(tracker) as ctx:
            if await order_access.is_locked(ctx.session, identity_id=ctx.identity_id):
                return []  # too many wrong answers: stop asking (validate_phone has said so)
        return domain_slots

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            number = normalize_order_number(str(value))
        except OrderNumberError:
            number = ""
        if not number.isdigit() or not 5 <= len(number) <= 9:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        return {"order_id": number}

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = phone_or_complain(value, dispatcher)
        if phone is None:
            return {"phone": None}
        number = str(tracker.get_slot("order_id") or "")
        async with turn_scope(tracker) as ctx:
            check = await order_access.check_order_phone(
                ctx.session, identity_id=ctx.identity_id, number=number, phone=phone
            )
        if check is OrderPhoneCheck.OK:
            unlocked = [*(tracker.get_slot("unlocked_orders") or []), number]
            return {"phone": phone, "unlocked_orders": sorted(set(unlocked))}
        if check is OrderPhoneCheck.LOCKED:
            dispatcher.utter_message(response="utter_order_access_locked")
            return {"phone": None, "order_id": None}
        dispatcher.utter_message(response="utter_order_access_failed", order_id_fa=to_persian_digits(number))
        return {"phone": None, "order_id": None}
