"""A conversation's state in Rasa's event format: replaying events gives slots, loop and latest message."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.domain import Domain
from bot.dialogue.rules import Marker

INTERNAL_ACTIONS = frozenset({"action_listen", "action_extract_slots"})


def event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"event": kind, "timestamp": time.time(), **fields}


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return event("slot", name=name, value=value)


def action_event(name: str, policy: str | None = None, confidence: float | None = 1.0) -> dict[str, Any]:
    return event("action", name=name, policy=policy, confidence=confidence)


@dataclass
class Tracker:
    """Events since the latest session start, and the state they add up to."""

    sender_id: str
    domain: Domain
    events: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    latest_message: dict[str, Any] = field(default_factory=dict)
    latest_action_name: str | None = None
    latest_input_channel: str | None = None
    followup_action: str | None = None
    paused: bool = False
    new_events: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_events(cls, sender_id: str, domain: Domain, events: list[dict[str, Any]]) -> Tracker:
        tracker = cls(sender_id=sender_id, domain=domain)
        tracker._replay(events)
        return tracker

    def initial_slots(self) -> dict[str, Any]:
        return {name: slot.initial_value for name, slot in self.domain.slots.items()} | {
            "requested_slot": None
        }

    def _replay(self, events: list[dict[str, Any]]) -> None:
        self.events, self.slots = [], self.initial_slots()
        self.active_loop, self.latest_message, self.latest_action_name = None, {}, None
        self.followup_action, self.paused = None, False
        for item in events:
            self._apply(item)

    def add(self, item: dict[str, Any]) -> None:
        """Record a new event (it will be stored) and update the state."""
        self.new_events.append(item)
        kind = item.get("event")
        if kind in ("rewind", "undo"):
            self._replay([*self.events, item])
        else:
            self._apply(item)

    def add_all(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.add(item)

    def _apply(self, item: dict[str, Any]) -> None:
        kind = item.get("event")
        if kind == "rewind":  # UserUtteranceReverted: forget the latest user message and what followed
            cut = max((i for i, e in enumerate(self.events) if e.get("event") == "user"), default=None)
            if cut is not None:
                self._replay(self.events[:cut])
            return
        if kind == "undo":  # ActionReverted: forget the latest action
            cut = max(
                (
                    i
                    for i, e in enumerate(self.events)
                    if e.get("event") == "action" and e.get("name") not in INTERNAL_ACTIONS
                ),
                default=None,
            )
            if cut is not None:
                self._replay(self.events[:cut])
            return
        self.events.append(item)
        if kind == "slot":
            self.slots[item["name"]] = item.get("value")
        elif kind == "reset_slots":
            self.slots = self.initial_slots()
        elif kind == "restart":
            self._replay([])
        elif kind == "user":
            self.latest_message = {
                "text": item.get("text"),
                **(item.get("parse_data") or {}),
                "message_id": item.get("message_id"),
                "metadata": item.get("metadata") or {},
            }
            self.latest_input_channel = item.get("input_channel")
        elif kind == "action":
            self.latest_action_name = item.get("name")
            if self.followup_action == item.get("name"):
                self.followup_action = None
        elif kind == "active_loop":
            self.active_loop = item.get("name")
        elif kind == "followup":
            self.followup_action = item.get("name")
        elif kind == "pause":
            self.paused = True
        elif kind == "resume":
            self.paused = False

    # -- what the policy needs -------------------------------------------------------------------

    def turn_markers(self) -> list[Marker]:
        """The latest user intent and the actions run since, each with the loop active before it."""
        markers: list[Marker] = []
        loop: str | None = None
        for item in self.events:
            kind = item.get("event")
            if kind == "user":
                intent = (item.get("parse_data") or {}).get("intent", {}).get("name") or "nlu_fallback"
                markers = [Marker("intent", intent, loop)]
            elif kind == "action" and item.get("name") not in INTERNAL_ACTIONS and markers:
                name = item["name"]
                # a form action always runs as the active loop, also when it activates itself
                markers.append(Marker("action", name, name if name in self.domain.forms else loop))
            elif kind == "active_loop":
                loop = item.get("name")
            elif kind == "restart":
                markers, loop = [], None
        return markers

    def user_turns(self) -> int:
        return sum(1 for item in self.events if item.get("event") == "user")

    def latest_intent(self) -> str | None:
        return (self.latest_message.get("intent") or {}).get("name")

    def slots_set_this_turn(self) -> dict[str, Any]:
        """Slots set since the latest user message (by slot extraction or actions)."""
        found: dict[str, Any] = {}
        for item in reversed(self.events):
            if item.get("event") == "user":
                break
            if item.get("event") == "slot" and item.get("name") != "requested_slot":
                found.setdefault(item["name"], item.get("value"))
        return found

    # -- what an action server receives ----------------------------------------------------------

    def current_state(self) -> dict[str, Any]:
        """Rasa's ``tracker.current_state(EventVerbosity.ALL)``, as rasa-sdk's Tracker.from_dict reads it."""
        return {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": self.latest_message,
            "latest_event_time": self.events[-1].get("timestamp") if self.events else None,
            "followup_action": self.followup_action,
            "paused": self.paused,
            "events": list(self.events),
            "latest_input_channel": self.latest_input_channel,
            "active_loop": {"name": self.active_loop} if self.active_loop else {},
            "latest_action": {"action_name": self.latest_action_name},
            "latest_action_name": self.latest_action_name,
        }
