"""Forms: ask for required slots one at a time, validate answers with ``validate_<form>``, and step
aside (rejection) when the answer is something else, so rules can handle the interruption."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.dialogue.domain import Form
from bot.dialogue.responses import BotMessage
from bot.dialogue.tracker import Tracker, action_event, event, slot_event

log = logging.getLogger("pishkhan.dialogue")

if TYPE_CHECKING:
    from bot.dialogue.engine import DialogueEngine


class FormRunner:
    def __init__(self, engine: DialogueEngine) -> None:
        self.engine = engine

    @staticmethod
    def rejected(tracker: Tracker, form: str) -> bool:
        """Did the form refuse the latest user message (it did not answer the form's question)?"""
        for item in reversed(tracker.events):
            if item.get("event") == "user":
                return False
            if item.get("event") == "action_execution_rejected" and item.get("name") == form:
                return True
        return False

    async def run(self, form: Form, tracker: Tracker, channel: str) -> list[BotMessage]:
        activating = tracker.active_loop != form.name
        requested = tracker.slots.get("requested_slot")
        answered_now = self._first_run_this_turn(tracker, form.name) and not self.rejected(tracker, form.name)
        if activating:
            candidates = {
                s: tracker.slots.get(s) for s in form.required_slots if tracker.slots.get(s) is not None
            }
        elif answered_now:
            candidates = {s: v for s, v in tracker.slots_set_this_turn().items() if s in form.required_slots}
            if tracker.latest_intent() in form.ignored_intents or (requested and requested not in candidates):
                tracker.add(event("action_execution_rejected", name=form.name, policy=None, confidence=None))
                return []
        else:
            candidates = {}
        tracker.add(action_event(form.name))
        if activating:
            tracker.add(event("active_loop", name=form.name))
        messages, next_slot = await self._validate(form, tracker, channel, candidates, requested)
        if tracker.active_loop != form.name:  # a validator deactivated the form
            return messages
        if next_slot is _UNSET:
            next_slot = next((s for s in form.required_slots if tracker.slots.get(s) is None), None)
        if next_slot is None:
            tracker.add_all([event("active_loop", name=None), slot_event("requested_slot", None)])
            return messages
        tracker.add(slot_event("requested_slot", next_slot))
        return messages + await self._ask(form, str(next_slot), tracker, channel)

    @staticmethod
    def _first_run_this_turn(tracker: Tracker, form: str) -> bool:
        for item in reversed(tracker.events):
            if item.get("event") == "user":
                return True
            if item.get("event") == "action" and item.get("name") == form:
                return False
        return False

    async def _validate(
        self, form: Form, tracker: Tracker, channel: str, candidates: dict[str, Any], requested: Any
    ) -> tuple[list[BotMessage], Any]:
        validator = f"validate_{form.name}"
        if validator not in self.engine.executor.actions:
            return [], _UNSET
        # rasa-sdk validates the trailing slot events, as Rasa's own temporary tracker arranges them.
        state = tracker.current_state()
        state["events"] = [
            *state["events"],
            slot_event("requested_slot", requested),
            action_event(form.name),
            *(slot_event(name, value) for name, value in candidates.items()),
        ]
        state["slots"] = {**state["slots"], **candidates}
        before = len(tracker.new_events)
        messages = await self.engine.run_custom(validator, tracker, channel, state)
        requested_events = [
            e
            for e in tracker.new_events[before:]
            if e.get("event") == "slot" and e.get("name") == "requested_slot"
        ]
        return messages, requested_events[-1].get("value") if requested_events else _UNSET

    async def _ask(self, form: Form, slot: str, tracker: Tracker, channel: str) -> list[BotMessage]:
        domain = self.engine.domain
        for name in (
            f"action_ask_{form.name}_{slot}",
            f"utter_ask_{form.name}_{slot}",
            f"action_ask_{slot}",
            f"utter_ask_{slot}",
        ):
            if name in self.engine.executor.actions:
                return await self.engine.run_custom(name, tracker, channel)
            if name in domain.responses:
                return self.engine.utter({"response": name}, tracker, channel)
        # The engine checks at load time that every required slot has a question; a slot named only by a
        # validator's required_slots may still lack one. Rasa says nothing then; so do we, and log it.
        log.error("form %s: nothing asks for slot %r (add utter_ask_%s)", form.name, slot, slot)
        return []

    def ask_names(self, form: Form, slot: str) -> tuple[str, ...]:
        return (
            f"action_ask_{form.name}_{slot}",
            f"utter_ask_{form.name}_{slot}",
            f"action_ask_{slot}",
            f"utter_ask_{slot}",
        )


_UNSET: Any = object()
