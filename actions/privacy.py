"""Privacy: a verified customer downloads everything held about them, or has it erased (asked twice).

action_privacy checks verification (starting otp_form when missing) and opens privacy_form;
action_submit_privacy acts on the choice; action_submit_privacy_delete acts on each yes/no of
confirm_form (pending_action privacy_delete, then privacy_delete_final).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import turn_scope
from actions.orders import ran_this_turn
from bot.services import privacy
from bot.text.jalali import format_datetime

CHOICES = ("export", "delete")
ASK_AGAIN = "privacy_delete"
FINAL = "privacy_delete_final"


class ActionPrivacy(Action):
    def name(self) -> str:
        return "action_privacy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        async with turn_scope(tracker) as ctx:
            customer = await privacy.verified_customer(ctx.session, ctx.identity_id)
        task = SlotSet("task", "privacy")
        if customer is not None:
            events = [*_leave_other_form(tracker, "privacy_form"), task, SlotSet("otp_code", None)]
            if _fresh_request(tracker) and not _set_this_turn(tracker, "privacy_choice"):
                events.append(SlotSet("privacy_choice", None))  # an old choice is not this request's
            return [*events, FollowupAction("privacy_form")]
        if ran_this_turn(tracker, "otp_form"):
            return []  # the code form stopped without verifying (too many tries, a handover); it said why
        dispatcher.utter_message(response="utter_privacy_needs_verification")
        return [
            *_leave_other_form(tracker, "otp_form"),
            task,
            SlotSet("phone", None),  # the code goes to the number the customer names now, not an old one
            SlotSet("otp_code", None),
            FollowupAction("otp_form"),
        ]


class ValidatePrivacyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_privacy_form"

    async def validate_privacy_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"privacy_choice": value if value in CHOICES else None}


class ActionSubmitPrivacy(Action):
    def name(self) -> str:
        return "action_submit_privacy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = tracker.get_slot("privacy_choice")
        link = None
        async with turn_scope(tracker) as ctx:
            customer = await privacy.verified_customer(ctx.session, ctx.identity_id)
            if customer is not None and choice == "export":
                link = await privacy.request_export(
                    ctx.session, ctx.settings, customer=customer, identity_id=ctx.identity_id, now=ctx.now
                )
        if customer is None:
            dispatcher.utter_message(response="utter_privacy_needs_verification")
            return [SlotSet("privacy_choice", None)]
        if link is not None:
            dispatcher.utter_message(
                response="utter_privacy_export", link=link.url, expires_fa=format_datetime(link.expires_at)
            )
            return [SlotSet("privacy_choice", None)]
        dispatcher.utter_message(response="utter_ask_confirm_privacy_delete")
        return _confirm(ASK_AGAIN)


class ActionSubmitPrivacyDelete(Action):
    def name(self) -> str:
        return "action_submit_privacy_delete"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [SlotSet("pending_action", None), SlotSet("confirmed", None), SlotSet("privacy_choice", None)]
        pending = tracker.get_slot("pending_action")
        if tracker.get_slot("confirmed") is not True or pending not in (ASK_AGAIN, FINAL):
            dispatcher.utter_message(response="utter_kept")
            return done
        if pending == ASK_AGAIN:
            dispatcher.utter_message(response="utter_ask_confirm_privacy_delete_again")
            return _confirm(FINAL)
        async with turn_scope(tracker) as ctx:
            customer = await privacy.verified_customer(ctx.session, ctx.identity_id)
            if customer is not None:
                await privacy.erase_customer(
                    ctx.session, ctx.settings, customer=customer, identity_id=ctx.identity_id, now=ctx.now
                )
        if customer is None:
            dispatcher.utter_message(response="utter_privacy_needs_verification")
            return done
        dispatcher.utter_message(response="utter_privacy_deleted")
        return [AllSlotsReset()]  # nothing the customer told the bot stays in this conversation's state


def _confirm(pending: str) -> list[EventType]:
    """Open confirm_form for the question just asked (actions/confirm.py repeats it after interruptions)."""
    return [SlotSet("confirmed", None), SlotSet("pending_action", pending), FollowupAction("confirm_form")]


def _leave_other_form(tracker: Tracker, keep: str) -> list[EventType]:
    if tracker.active_loop_name and tracker.active_loop_name != keep:
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


def _fresh_request(tracker: Tracker) -> bool:
    return (tracker.latest_message.get("intent") or {}).get("name") == "privacy_request"


def _set_this_turn(tracker: Tracker, slot: str) -> bool:
    for item in reversed(tracker.events):
        if item.get("event") == "user":
            return False
        if item.get("event") == "slot" and item.get("name") == slot and item.get("value") is not None:
            return True
    return False
