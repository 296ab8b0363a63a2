"""Invoice: a signed link to a printable page, or an email to the customer's verified address."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import turn_scope
from actions.formatting import status_words
from actions.orders import ask_for_access, find_accessible_order
from bot.dialogue.payloads import payload_for
from bot.services import audit, invoices, order_access
from bot.storage.models import Order
from bot.text.digits import to_persian_digits
from bot.text.jalali import format_datetime

EMAIL_WORDS = ("ایمیل", "ای‌میل", "ای میل", "email", "e-mail")
# A customer message with one of these starts another task: an email wish before it is not for the invoice.
OTHER_TASKS = frozenset(
    {
        "track_order",
        "cancel_order",
        "return_request",
        "return_policy",
        "warranty_status",
        "warranty_claim",
        "privacy_request",
        "human_handoff",
        "complaint",
        "restart",
    }
)


class ActionInvoice(Action):
    def name(self) -> str:
        return "action_invoice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        task = SlotSet("task", "invoice")
        order, verified = await find_accessible_order(tracker)
        if order is not None:
            return [task, *await self._answer(dispatcher, tracker, order, verified)]
        if not verified:
            return [task, *ask_for_access(tracker)]
        if tracker.get_slot("order_id"):
            fields = {"order_id_fa": to_persian_digits(str(tracker.get_slot("order_id")))}
            dispatcher.utter_message(response="utter_order_not_found", **fields)
            return [task, SlotSet("order_id", None)]
        return [task, *await self._choose(dispatcher, tracker)]

    async def _choose(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """A verified customer who named no order: their only order, or a choice of recent ones."""
        async with turn_scope(tracker) as ctx:
            recent = await order_access.recent_orders(ctx.session, ctx.customer_id)
        if not recent:
            dispatcher.utter_message(response="utter_no_orders")
            return []
        if len(recent) == 1:
            return await self._answer(dispatcher, tracker, recent[0], True)
        buttons = [
            {
                "title": f"{to_persian_digits(o.number)} — {status_words(o)}",
                "payload": payload_for("invoice_request", order_id=o.number),
            }
            for o in recent
        ]
        dispatcher.utter_message(response="utter_ask_order_id", buttons=buttons)
        return []

    async def _answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, order: Order, verified: bool
    ) -> list[EventType]:
        chosen = [SlotSet("order_id", order.number)]
        number = to_persian_digits(order.number)
        if not invoices.is_ready(order):
            dispatcher.utter_message(response="utter_invoice_not_ready", order_id_fa=number)
            return chosen
        email = email_wish(tracker)
        async with turn_scope(tracker) as ctx:
            link = invoices.invoice_link(ctx.settings, order, now=ctx.now)
            audit.record(
                ctx.session,
                action="invoice.link_issued",
                subject_type="order",
                subject_id=order.number,
                actor_type="customer",
                actor_id=ctx.identity_id,
            )
            address = None
            if email is not None and verified and order.customer_id == ctx.customer_id:
                address = await invoices.verified_email(
                    ctx.session, customer_id=ctx.customer_id, wanted=email or None
                )
            if address is not None:
                invoices.queue_invoice_email(
                    ctx.session,
                    ctx.settings,
                    order=order,
                    to=address,
                    link=link,
                    conversation_id=ctx.conversation_id,
                    now=ctx.now,
                )
        if address is not None:
            dispatcher.utter_message(response="utter_invoice_emailed", order_id_fa=number, email=address)
            return chosen
        if email is not None:
            dispatcher.utter_message(response="utter_invoice_email_unverified")
        dispatcher.utter_message(
            response="utter_invoice_link",
            order_id_fa=number,
            link=link.url,
            expires_fa=format_datetime(link.expires_at),
        )
        return chosen


def email_wish(tracker: Tracker) -> str | None:
    """Did the customer ask for the invoice by email? The address they named, ``""`` for "by email" with
    no address, None for no. Looks back over this request's messages (the order number and phone the
    bot asked for come after the request itself)."""
    for item in reversed(tracker.events):
        if item.get("event") != "user":
            continue
        parse = item.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        if intent in OTHER_TASKS:
            return None
        addresses = [str(e.get("value")) for e in parse.get("entities") or [] if e.get("entity") == "email"]
        if addresses:
            return addresses[-1]
        text = str(item.get("text") or "").casefold()
        if any(word in text for word in EMAIL_WORDS):
            return ""
        if intent == "invoice_request" and not text.startswith("/"):
            return None  # the request itself, typed: it did not ask for email
    return None
