"""Warranty: status by serial number or by picking an item, and claims (item → fault → confirmation).

A serial number alone answers a status question for anyone, with the product title and warranty dates
only; a claim needs an item the customer may act on (a verified customer's own, or an order opened with
its phone), and another customer's serial reads as unknown.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import TurnContext, turn_scope
from actions.formatting import item_label
from actions.orders import ask_for_access, find_accessible_order, ran_this_turn
from actions.returns import given_this_turn, leave_form, reset
from bot.dialogue.payloads import payload_for
from bot.services import order_access, warranty
from bot.services.handoff import HandoffReason
from bot.services.warranty import Cover, Found, Warranty
from bot.text.digits import to_persian_digits
from bot.text.jalali import format_date

CLAIM_SLOTS = ("item_id", "fault_description", "confirmed", "pending_action")
FAULT_SHORT_CHARS = 80
_STATUS_RESPONSES = {
    Cover.NONE: "utter_warranty_none",
    Cover.NOT_STARTED: "utter_warranty_not_started",
    Cover.VALID: "utter_warranty_valid",
    Cover.EXPIRED: "utter_warranty_expired",
}


# -- helpers ----------------------------------------------------------------------------------------------


def cover_fields(cover: Warranty) -> dict[str, str]:
    fields = {"item_title": item_label(cover.item), "months_fa": to_persian_digits(cover.months)}
    if cover.until is not None:
        fields["until_fa"] = format_date(cover.until)
    return fields


def say_status(dispatcher: CollectingDispatcher, cover: Warranty) -> None:
    dispatcher.utter_message(response=_STATUS_RESPONSES[cover.cover], **cover_fields(cover))


def refuse_claim(dispatcher: CollectingDispatcher, cover: Warranty) -> list[EventType]:
    """Nothing to claim: expired (offer paid repair through a person), no warranty, or not started."""
    if cover.cover is not Cover.EXPIRED:
        say_status(dispatcher, cover)
        return []
    dispatcher.utter_message(response="utter_warranty_claim_expired", **cover_fields(cover))
    return [SlotSet("handoff_reason", HandoffReason.NOT_ELIGIBLE)]


def offer_items(dispatcher: CollectingDispatcher, items: list[Found]) -> None:
    """Buttons for the items with warranty. A serial is what the customer would type anyway, so its
    button works in any flow; items without one are sent by id."""
    if not items:
        dispatcher.utter_message(response="utter_no_warranty_items")
        return
    buttons = [
        {
            "title": item_label(f.item),
            "payload": payload_for("choose", serial_number=f.item.serial_number)
            if f.item.serial_number
            else payload_for("choose", item_id=str(f.item.id)),
        }
        for f in items
    ]
    dispatcher.utter_message(response="utter_ask_warranty_item", buttons=buttons)


async def candidate_items(tracker: Tracker, ctx: TurnContext, verified: bool) -> list[Found] | None:
    """The items the customer may be asking about: those of the order they named or opened with its
    phone, else everything a verified customer received; None when only order access can tell."""
    if given_this_turn(tracker, "order_id") or not verified:
        order, _verified = await find_accessible_order(tracker)
        if order is not None:
            return warranty.order_items(order)
        if not verified:
            return None
    return await warranty.delivered_items(ctx.session, ctx.customer_id)


def pick(items: list[Found], text: str | None) -> Found | None:
    """The item the customer's words name ("گوشیم شارژ نمیگیره"), else their only one with warranty."""
    named = warranty.match_found(text or "", items)
    if len(named) == 1:
        return named[0]
    covered = warranty.with_warranty(items)
    return covered[0] if len(covered) == 1 and not named else None


def asking_text(tracker: Tracker, intent: str) -> str | None:
    """The latest message with ``intent``: the one that asked, possibly a few turns back (a form ran)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            parsed = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if parsed == intent:
                return event.get("text")
    return None


async def item_from_slots(tracker: Tracker, ctx: TurnContext, item_id: Any) -> Found | None:
    verified = await order_access.is_verified(ctx.session, ctx.customer_id)
    return await warranty.access_item(
        ctx.session,
        item_id=item_id,
        customer_id=ctx.customer_id,
        verified=verified,
        unlocked=tracker.get_slot("unlocked_orders") or [],
    )


# -- status -----------------------------------------------------------------------------------------------


class ActionWarrantyStatus(Action):
    def name(self) -> str:
        return "action_warranty_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        start = [*leave_form(tracker), SlotSet("task", "warranty_status")]
        serial = given_this_turn(tracker, "serial_number")
        async with turn_scope(tracker) as ctx:
            if serial:
                return start + await self._by_serial(dispatcher, ctx, str(serial))
            item_id = given_this_turn(tracker, "item_id")
            chosen = await item_from_slots(tracker, ctx, item_id) if item_id else None
            if chosen is not None:
                say_status(dispatcher, warranty.warranty_of(chosen.item, chosen.order, now=ctx.now))
                return start
            verified = await order_access.is_verified(ctx.session, ctx.customer_id)
            items = await candidate_items(tracker, ctx, verified)
            if items is None:  # nothing to pick from: a serial number is all it takes
                if ran_this_turn(tracker, "serial_form"):
                    return start
                return [*start, SlotSet("serial_number", None), FollowupAction("serial_form")]
            chosen = pick(items, asking_text(tracker, "warranty_status"))
            if chosen is not None:
                say_status(dispatcher, warranty.warranty_of(chosen.item, chosen.order, now=ctx.now))
                return start
        offer_items(dispatcher, warranty.with_warranty(items))
        return [*start, SlotSet("serial_number", None)]

    @staticmethod
    async def _by_serial(dispatcher: CollectingDispatcher, ctx: TurnContext, serial: str) -> list[EventType]:
        found = await warranty.find_by_serial(ctx.session, serial, prefer_customer_id=ctx.customer_id)
        if found is None:
            dispatcher.utter_message(response="utter_serial_not_found")
            return [SlotSet("serial_number", None)]
        say_status(dispatcher, warranty.warranty_of(found.item, found.order, now=ctx.now))
        return []


class ValidateSerialForm(FormValidationAction):
    def name(self) -> str:
        return "validate_serial_form"

    async def validate_serial_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        serial = warranty.normalize_serial(str(value or ""))
        return {"serial_number": serial or None}


# -- claim ------------------------------------------------------------------------------------------------


class ActionStartWarrantyClaim(Action):
    """Identify the item, check its cover, then let the form take the fault description."""

    def name(self) -> str:
        return "action_start_warranty_claim"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        start = [*leave_form(tracker), *reset(*CLAIM_SLOTS), SlotSet("task", "warranty_claim")]
        opened_now = ran_this_turn(tracker, "order_access_form")
        # After order access the serial was given turns ago; it waited in its slot for this.
        serial = given_this_turn(tracker, "serial_number") or (
            tracker.get_slot("serial_number") if opened_now else None
        )
        async with turn_scope(tracker) as ctx:
            if serial:
                return start + await self._by_serial(dispatcher, tracker, ctx, str(serial), opened_now)
            start.append(SlotSet("serial_number", None))
            item_id = given_this_turn(tracker, "item_id")
            chosen = await item_from_slots(tracker, ctx, item_id) if item_id else None
            verified = await order_access.is_verified(ctx.session, ctx.customer_id)
            items = [] if chosen else await candidate_items(tracker, ctx, verified)
            if items is None:
                return [*start, *ask_for_access(tracker)]
            chosen = chosen or pick(items, asking_text(tracker, "warranty_claim"))
            if chosen is not None:
                return start + self._claim(dispatcher, tracker, ctx, chosen)
        offer_items(dispatcher, warranty.with_warranty(items))
        return start

    async def _by_serial(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        ctx: TurnContext,
        serial: str,
        opened_now: bool,
    ) -> list[EventType]:
        verified = await order_access.is_verified(ctx.session, ctx.customer_id)
        found = await warranty.access_serial(
            ctx.session,
            serial=serial,
            customer_id=ctx.customer_id,
            verified=verified,
            unlocked=tracker.get_slot("unlocked_orders") or [],
        )
        if found is None and not verified and not opened_now:
            # It may be theirs: the phone on its order will tell. An order opened before is not that
            # order, so the form must ask for the number (and its phone) afresh.
            return [SlotSet("order_id", None), SlotSet("phone", None), *ask_for_access(tracker)]
        if found is None:  # another customer's serial reads exactly like an unknown one
            dispatcher.utter_message(response="utter_serial_not_found")
            return [SlotSet("serial_number", None)]
        return self._claim(dispatcher, tracker, ctx, found)

    @staticmethod
    def _claim(
        dispatcher: CollectingDispatcher, tracker: Tracker, ctx: TurnContext, found: Found
    ) -> list[EventType]:
        cover = warranty.warranty_of(found.item, found.order, now=ctx.now)
        if cover.cover is not Cover.VALID:
            return refuse_claim(dispatcher, cover)
        fault = warranty.fault_from_message(asking_text(tracker, "warranty_claim"))
        return [
            SlotSet("item_id", str(found.item.id)),
            SlotSet("fault_description", fault),
            FollowupAction("warranty_claim_form"),
        ]


class ValidateWarrantyClaimForm(FormValidationAction):
    def name(self) -> str:
        return "validate_warranty_claim_form"

    async def validate_item_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        async with turn_scope(tracker) as ctx:
            found = await item_from_slots(tracker, ctx, value)
            valid = found and warranty.warranty_of(found.item, found.order, now=ctx.now).cover is Cover.VALID
        return {"item_id": str(value) if valid else None}

    async def validate_fault_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = warranty.clean_description(str(value or ""))
        return {"fault_description": text if len(text) >= warranty.MIN_DESCRIPTION_CHARS else None}


class ActionAskFaultDescription(Action):
    """The form's question, with the item's title (a plain response would not know it)."""

    def name(self) -> str:
        return "action_ask_fault_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            found = await item_from_slots(tracker, ctx, tracker.get_slot("item_id"))
        title = item_label(found.item) if found is not None else "کالا"
        dispatcher.utter_message(response="utter_ask_fault_description", item_title=title)
        return []


class ActionAskConfirmWarrantyClaim(Action):
    def name(self) -> str:
        return "action_ask_confirm_warranty_claim"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            found = await item_from_slots(tracker, ctx, tracker.get_slot("item_id"))
        fault = tracker.get_slot("fault_description")
        if found is None or not fault:
            return reset(*CLAIM_SLOTS)  # the form was left half-way; nothing to confirm
        short = fault if len(fault) <= FAULT_SHORT_CHARS else fault[: FAULT_SHORT_CHARS - 1].rstrip() + "…"
        dispatcher.utter_message(
            response="utter_ask_confirm_warranty_claim", item_title=item_label(found.item), fault_short=short
        )
        return [
            SlotSet("confirmed", None),
            SlotSet("pending_action", "warranty_claim"),
            FollowupAction("confirm_form"),
        ]


class ActionSubmitWarrantyClaim(Action):
    def name(self) -> str:
        return "action_submit_warranty_claim"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = reset(*CLAIM_SLOTS)
        confirmed, fault = tracker.get_slot("confirmed"), tracker.get_slot("fault_description")
        if confirmed is False:
            dispatcher.utter_message(response="utter_kept")
        if confirmed is not True or not fault:
            return done
        async with turn_scope(tracker) as ctx:
            found = await item_from_slots(tracker, ctx, tracker.get_slot("item_id"))
            if found is None:
                return done
            cover = warranty.warranty_of(found.item, found.order, now=ctx.now)
            if cover.cover is not Cover.VALID:  # it ran out between the question and the answer
                return done + refuse_claim(dispatcher, cover)
            claim = await warranty.do_claim(
                ctx.session,
                ctx.settings,
                found=found,
                fault=str(fault),
                customer_id=ctx.customer_id,
                conversation_id=ctx.conversation_id,
            )
        dispatcher.utter_message(response="utter_warranty_claim_created", reference=claim.reference)
        return done
