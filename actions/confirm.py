"""The shared yes/no form (confirm_form): whoever opens it asks its own question first.

A flow utters its question (utter_ask_confirm_cancel, …), sets ``pending_action`` and follows up with
confirm_form. The form then needs something that asks for ``confirmed``: on the turn it opens, the
question has just been asked, so this says nothing; when the form asks again (after the customer
interrupted it with something else) this repeats the question that opened it, word for word.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FORM = "confirm_form"


class ActionAskConfirmed(Action):
    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        question = opening_question(tracker.events)
        if question is None:
            return []
        data = question.get("data") or {}
        response = (question.get("metadata") or {}).get("utter_action")
        if response:  # the response's own buttons come back with it
            dispatcher.utter_message(response=response, text=question.get("text"))
        else:
            dispatcher.utter_message(text=question.get("text"), buttons=data.get("buttons") or [])
        return []


def opening_question(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The bot message that opened the latest confirm_form, unless the form opened this very turn."""
    opened = None
    for index in range(len(events) - 1, -1, -1):
        item = events[index]
        if item.get("event") == "active_loop" and item.get("name") == FORM:
            opened = index
            break
    if opened is None:
        return None
    if not any(e.get("event") == "user" for e in events[opened:]):
        return None  # asked a moment ago, by the action that opened the form
    for item in reversed(events[:opened]):
        if item.get("event") == "bot":
            return item
        if item.get("event") == "user":
            return None
    return None
