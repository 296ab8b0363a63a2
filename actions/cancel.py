"""Cancel an order: only before shipping, after a yes; the shop is told through the outbox.

action_cancel_order finds the order (order access for an unverified customer, a choice for a verified
one), explains when it cannot be cancelled, else asks for confirmation through confirm_form;
action_submit_cancel acts on the answer.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import turn_scope
from actions.formatting import order_fields, status_words
from actions.orders import ask_for_access, find_accessible_order
from bot.dialogue.payloads import payload_for
from bot.services import cancellation, order_access
from bot.services.cancellation import CancelCheck, CancellationRefused
from bot.storage.models import Order
from bot.text.digits import to_persian_digits

PENDING_ACTION = "cancel_order"


class ActionCancelOrder(Action):
    def name(self) -> str:
        return "action_cancel_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order, verified = await find_accessible_order(tracker)
        if order is None and not verified:
            return [SlotSet("task", "cancel"), *ask_for_access(tracker)]
        events: list[EventType] = [*leave_other_form(tracker), SlotSet("task", "cancel")]
        if order is not None:
            return [*events, *await self._decide(dispatcher, tracker, order)]
        if tracker.get_slot("order_id"):
            fields = {"order_id_fa": to_persian_digits(str(tracker.get_slot("order_id")))}
            dispatcher.utter_message(response="utter_order_not_found", **fields)
            return [*events, SlotSet("order_id", None)]
        return [*events, *await self._choose(dispatcher, tracker)]

    async def _choose(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """A verified customer without an order number: their one open order, or a choice."""
        async with turn_scope(tracker) as ctx:
            recent = await order_access.recent_orders(ctx.session, ctx.customer_id)
        if not recent:
            dispatcher.utter_message(response="utter_no_orders")
            return []
        cancellable = [o for o in recent if cancellation.check_cancellable(o) is CancelCheck.OK]
        if len(cancellable) == 1:
            return await self._decide(dispatcher, tracker, cancellable[0])
        buttons = [
            {
                "title": f"{to_persian_digits(o.number)} — {status_words(o)}",
                "payload": payload_for("cancel_order", order_id=o.number),
            }
            for o in cancellable or recent
        ]
        dispatcher.utter_message(response="utter_ask_order_id", buttons=buttons)
        return []

    async def _decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, order: Order
    ) -> list[EventType]:
        check = cancellation.check_cancellable(order)
        if check is not CancelCheck.OK:
            async with turn_scope(tracker) as ctx:
                explain_refusal(dispatcher, order, check, return_days=ctx.settings.return_window_days)
            return [SlotSet("order_id", order.number)]
        dispatcher.utter_message(response="utter_ask_confirm_cancel", **order_fields(order))
        return [
            SlotSet("order_id", order.number),
            SlotSet("confirmed", None),
            SlotSet("pending_action", PENDING_ACTION),
            FollowupAction("confirm_form"),
        ]


class ActionSubmitCancel(Action):
    def name(self) -> str:
        return "action_submit_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [SlotSet("pending_action", None), SlotSet("confirmed", None)]
        if tracker.get_slot("confirmed") is not True:
            dispatcher.utter_message(response="utter_kept")
            return done
        order, _verified = await find_accessible_order(tracker)
        if order is None:  # the order slot changed under the question: ask afresh rather than guess
            number = to_persian_digits(str(tracker.get_slot("order_id") or ""))
            dispatcher.utter_message(response="utter_order_not_found", order_id_fa=number)
            return done
        async with turn_scope(tracker) as ctx:
            try:
                await cancellation.request_cancellation(
                    ctx.session,
                    ctx.settings,
                    order=order,
                    requested_by=ctx.customer_id,
                    channel=ctx.channel,
                    now=ctx.now,
                )
            except CancellationRefused as refused:  # shipped or requested elsewhere since we asked
                explain_refusal(dispatcher, order, refused.check, return_days=ctx.settings.return_window_days)
                return done
        dispatcher.utter_message(response="utter_cancel_requested", **order_fields(order))
        return done


def explain_refusal(
    dispatcher: CollectingDispatcher, order: Order, check: CancelCheck, *, return_days: int
) -> None:
    fields = order_fields(order)
    if check is CancelCheck.SHIPPED:
        dispatcher.utter_message(
            response="utter_cancel_not_possible_shipped",
            return_days_fa=to_persian_digits(return_days),
            **fields,
        )
    elif check is CancelCheck.ALREADY_REQUESTED:
        dispatcher.utter_message(response="utter_cancel_already", **fields)
    else:
        dispatcher.utter_message(response="utter_cancel_not_possible_closed", **fields)


def leave_other_form(tracker: Tracker) -> list[EventType]:
    """Abandon the form the customer was in (they asked for something else), as ask_for_access does;
    an unanswered yes/no question is dropped with it."""
    if not tracker.active_loop_name:
        return []
    events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
    if tracker.active_loop_name == "confirm_form":
        events += [SlotSet("pending_action", None), SlotSet("confirmed", None)]
    return events
