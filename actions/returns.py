"""Returns: the policy, then order → item → reason → confirmation → a ReturnRequest with a reference.

The rules (delivered, window, excluded categories, not returned twice) are in bot.services.returns;
these actions only choose what to ask next and which response says it.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import TurnContext, turn_scope
from actions.formatting import item_label, order_line
from actions.orders import ask_for_access, find_accessible_order, ran_this_turn
from bot.dialogue.payloads import payload_for
from bot.services import returns
from bot.services.handoff import HandoffReason
from bot.storage.models import Order, OrderItem
from bot.text.digits import to_persian_digits

FLOW_SLOTS = ("item_id", "return_reason", "confirmed", "pending_action")


# -- helpers shared with the warranty actions ---------------------------------------------------------


def given_this_turn(tracker: Tracker, slot: str) -> Any:
    """What the customer gave for ``slot`` in their latest message (an entity, a button, or a form that
    filled it this turn), as opposed to a value remembered from earlier in the conversation."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    entities = tracker.latest_message.get("entities") or []
    if any(e.get("entity") == slot for e in entities):
        return tracker.get_slot(slot)
    return None


def leave_form(tracker: Tracker) -> list[EventType]:
    """Abandon the form the customer was in: starting another task means they left it."""
    if tracker.active_loop_name:
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


def reset(*slots: str) -> list[EventType]:
    return [SlotSet(slot, None) for slot in slots]


def not_eligible(dispatcher: CollectingDispatcher, subject: str, reason: str) -> list[EventType]:
    """Say exactly why, with the button to a person (in the response); a click hands over as such."""
    dispatcher.utter_message(response="utter_return_not_eligible", subject_fa=subject, reason_fa=reason)
    return [SlotSet("handoff_reason", HandoffReason.NOT_ELIGIBLE)]


def order_subject(order: Order) -> str:
    return f"سفارش {to_persian_digits(order.number)}"


async def checked_order(ctx: TurnContext, order: Order) -> tuple[str | None, list[returns.ItemCheck]]:
    """Why the order cannot be returned (None if it can), and each item's own check."""
    refusal = returns.check_order(order, now=ctx.now, window_days=ctx.settings.return_window_days)
    if refusal is not None:
        return refusal, []
    checks = await returns.check_items(ctx.session, order, excluded=returns.excluded_categories(ctx.settings))
    return returns.refusal_for_items(checks), checks


async def order_in_flow(tracker: Tracker) -> Order | None:
    order, _verified = await find_accessible_order(tracker)
    return order


def find_item(order: Order, value: Any) -> OrderItem | None:
    """The item a button (its id) or a typed title names, when it names exactly one."""
    text = str(value or "").strip()
    by_id = [i for i in order.items if str(i.id) == text]
    matches = by_id or returns.match_items(text, list(order.items))
    return matches[0] if len(matches) == 1 else None


def persian_list(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return "، ".join(names[:-1]) + " و " + names[-1]


# -- actions ------------------------------------------------------------------------------------------


class ActionReturnPolicy(Action):
    def name(self) -> str:
        return "action_return_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            settings = ctx.settings
        dispatcher.utter_message(
            response="utter_return_policy",
            shop_name=settings.shop_name,
            return_days_fa=to_persian_digits(settings.return_window_days),
            excluded_fa=persian_list(returns.excluded_categories(settings)),
        )
        return []


class ActionStartReturn(Action):
    """Find the order (given, chosen from a list, or opened with its phone), check it, start the form."""

    def name(self) -> str:
        return "action_start_return"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        start = [*leave_form(tracker), *reset(*FLOW_SLOTS), SlotSet("task", "return")]
        order, verified = await find_accessible_order(tracker)
        given = given_this_turn(tracker, "order_id")
        if verified and not given:
            order = None  # a remembered order may not be the one to return: let them pick
        if order is not None:
            return start + await self._start_for(dispatcher, tracker, order)
        if not verified:
            return [*start, *ask_for_access(tracker)]
        if given:
            fields = {"order_id_fa": to_persian_digits(str(given))}
            dispatcher.utter_message(response="utter_order_not_found", **fields)
            return [*start, SlotSet("order_id", None)]
        return start + await self._choose_order(dispatcher, tracker)

    async def _choose_order(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            delivered = await returns.delivered_orders(ctx.session, ctx.customer_id)
        if not delivered:
            return not_eligible(dispatcher, "سفارش‌های شما", "هنوز سفارشی به دست‌تان نرسیده")
        if len(delivered) == 1:
            return await self._start_for(dispatcher, tracker, delivered[0])
        buttons = [
            {"title": to_persian_digits(o.number), "payload": payload_for("choose", order_id=o.number)}
            for o in delivered
        ]
        lines = "\n".join(map(order_line, delivered))
        dispatcher.utter_message(response="utter_ask_return_order", orders_fa=lines, buttons=buttons)
        return []

    async def _start_for(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, order: Order
    ) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            refusal, checks = await checked_order(ctx, order)
        if refusal is not None:
            subject = order_subject(order) if not checks else f"کالاهای {order_subject(order)}"
            return [SlotSet("order_id", order.number), *not_eligible(dispatcher, subject, refusal)]
        eligible = [c.item for c in checks if c.refusal is None]
        # One returnable item needs no question; a button or a typed id is checked by the form.
        item_id = given_this_turn(tracker, "item_id") or (eligible[0].id if len(eligible) == 1 else None)
        return [
            SlotSet("order_id", order.number),
            SlotSet("item_id", None if item_id is None else str(item_id)),
            FollowupAction("return_form"),
        ]


class ActionAskItemId(Action):
    """Which item to return: buttons with the order's items that may be returned."""

    def name(self) -> str:
        return "action_ask_item_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.active_loop_name == "warranty_claim_form":
            # A claim picks its item before its form starts; if the item was lost, pick again there.
            return [*leave_form(tracker), FollowupAction("action_start_warranty_claim")]
        order = await order_in_flow(tracker)
        checks: list[returns.ItemCheck] = []
        if order is not None:
            async with turn_scope(tracker) as ctx:
                _refusal, checks = await checked_order(ctx, order)
        buttons = [
            {"title": item_label(c.item), "payload": payload_for("choose", item_id=str(c.item.id))}
            for c in checks
            if c.refusal is None
        ]
        if order is None or not buttons:
            # Another order number was typed into the form, or nothing is left to return: start over
            # from that order, which says why or asks for access (once: never a loop).
            if ran_this_turn(tracker, "action_start_return"):
                return leave_form(tracker)
            return [*leave_form(tracker), FollowupAction("action_start_return")]
        order_fa = to_persian_digits(order.number)
        dispatcher.utter_message(response="utter_ask_return_item", order_id_fa=order_fa, buttons=buttons)
        return []


class ValidateReturnForm(FormValidationAction):
    def name(self) -> str:
        return "validate_return_form"

    async def validate_item_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        order = await order_in_flow(tracker)
        item = find_item(order, value) if order is not None else None
        if order is None or item is None:
            return {"item_id": None}  # not one of the order's items: the form asks again, with buttons
        async with turn_scope(tracker) as ctx:
            checks = await returns.check_items(
                ctx.session, order, excluded=returns.excluded_categories(ctx.settings)
            )
        refusal = next(c.refusal for c in checks if c.item.id == item.id)
        if refusal is not None:
            not_eligible(dispatcher, "این کالا", refusal)
            return {"item_id": None}
        return {"item_id": str(item.id)}

    async def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reason = value if value in returns.REASONS else returns.reason_from_text(str(value or ""))
        if reason is None:
            dispatcher.utter_message(response="utter_invalid_return_reason")
        return {"return_reason": reason}


class ActionAskConfirmReturn(Action):
    def name(self) -> str:
        return "action_ask_confirm_return"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = await order_in_flow(tracker)
        item = find_item(order, tracker.get_slot("item_id")) if order is not None else None
        reason = tracker.get_slot("return_reason")
        if order is None or item is None or reason not in returns.REASONS:
            return reset(*FLOW_SLOTS)  # the form was left half-way; nothing to confirm
        dispatcher.utter_message(
            response="utter_ask_confirm_return",
            item_title=item_label(item),
            order_id_fa=to_persian_digits(order.number),
            reason_fa=returns.REASONS[reason],
        )
        return [
            SlotSet("confirmed", None),
            SlotSet("pending_action", "return"),
            FollowupAction("confirm_form"),
        ]


class ActionSubmitReturn(Action):
    def name(self) -> str:
        return "action_submit_return"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = reset(*FLOW_SLOTS)
        confirmed = tracker.get_slot("confirmed")
        if confirmed is False:
            dispatcher.utter_message(response="utter_kept")
        if confirmed is not True:
            return done
        order = await order_in_flow(tracker)
        item = find_item(order, tracker.get_slot("item_id")) if order is not None else None
        reason = tracker.get_slot("return_reason")
        if order is None or item is None or reason not in returns.REASONS:
            return done
        async with turn_scope(tracker) as ctx:
            # Checked again: the order may have changed, or the same item been returned meanwhile.
            refusal, checks = await checked_order(ctx, order)
            item_refusal = next((c.refusal for c in checks if c.item.id == item.id), refusal)
            if item_refusal is not None:
                return done + not_eligible(dispatcher, "این کالا", item_refusal)
            request = await returns.do_request_return(
                ctx.session,
                ctx.settings,
                order=order,
                item=item,
                reason=reason,
                customer_id=ctx.customer_id,
                conversation_id=ctx.conversation_id,
            )
        dispatcher.utter_message(response="utter_return_created", reference=request.reference)
        return done
