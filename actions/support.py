"""People and feedback: hand over to an agent, fall back when not understood, record satisfaction."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import turn_scope
from bot.hours import OpeningHours
from bot.services import feedback, handoff
from bot.storage.models import Conversation
from bot.text.digits import to_persian_digits

FALLBACKS_BEFORE_HANDOFF = 2
TYPICAL_WAIT_MINUTES = 10


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    """Mark the conversation pending for a person, tell the customer what happens next, leave any form."""
    async with turn_scope(tracker) as ctx:
        conversation = await ctx.session.get(Conversation, ctx.conversation_id)
        assert conversation is not None
        await handoff.do_handoff(ctx.session, conversation, reason=reason)
        hours = OpeningHours.parse(ctx.settings.support_hours)
        if hours.is_open(ctx.now):
            dispatcher.utter_message(
                response="utter_handoff_open", wait_minutes=to_persian_digits(TYPICAL_WAIT_MINUTES)
            )
        else:
            dispatcher.utter_message(
                response="utter_handoff_closed",
                support_hours=describe_hours(ctx.settings.support_hours),
                support_phone=to_persian_digits(ctx.settings.support_phone),
            )
    return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("handoff_reason", reason)]


def describe_hours(spec: str) -> str:
    days = {
        "sat": "شنبه",
        "sun": "یکشنبه",
        "mon": "دوشنبه",
        "tue": "سه‌شنبه",
        "wed": "چهارشنبه",
        "thu": "پنجشنبه",
        "fri": "جمعه",
    }
    parts = []
    for span in spec.split(","):
        day_part, _, time_part = span.strip().partition(" ")
        first, _, last = day_part.partition("-")
        when = f"{days.get(first, first)} تا {days.get(last, last)}" if last else days.get(first, first)
        opens, _, closes = time_part.partition("-")
        parts.append(f"{when} از {opens} تا {closes}")
    return to_persian_digits("، ".join(parts))


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "complaint":
            reason = handoff.HandoffReason.COMPLAINT
        else:  # a flow that just refused ("not eligible…") offers a person with its own reason
            reason = reason_set_last_turn(tracker) or handoff.HandoffReason.REQUESTED
        return await hand_over(dispatcher, tracker, reason)


def reason_set_last_turn(tracker: Tracker) -> str | None:
    """``handoff_reason`` as the bot's previous turn set it; an older value is stale."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return None
        elif event.get("event") == "slot" and event.get("name") == "handoff_reason" and users == 1:
            return event.get("value")
    return None


class ActionDefaultFallback(Action):
    """The first time the bot does not understand, it asks to rephrase; the second time in a row, a
    person takes over (DESIGN §6)."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if consecutive_fallbacks(tracker) >= FALLBACKS_BEFORE_HANDOFF:
            dispatcher.utter_message(response="utter_fallback_handoff")
            return await hand_over(dispatcher, tracker, handoff.HandoffReason.FALLBACK)
        dispatcher.utter_message(response="utter_default")
        return []


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user turns in a row ended in the fallback (this one included)."""
    count = 0
    fell_back = False
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_default_fallback":
            fell_back = True
        elif event.get("event") == "user":
            if not fell_back and count > 0:
                break
            count += 1
            fell_back = False
    return count


class ActionRecordCsat(Action):
    def name(self) -> str:
        return "action_record_csat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        score = next(
            (
                e.get("value")
                for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == "score"
            ),
            None,
        )
        async with turn_scope(tracker) as ctx:
            recorded = await feedback.record_csat(ctx.session, customer_id=ctx.customer_id, score=score)
        if recorded:
            dispatcher.utter_message(response="utter_csat_thanks")
        return []
