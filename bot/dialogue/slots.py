"""``action_extract_slots``: fill slots from the latest user message by their domain mappings."""

from __future__ import annotations

from typing import Any

from bot.dialogue.domain import Domain, Slot, SlotMapping
from bot.dialogue.tracker import Tracker, slot_event


def extract_slots(tracker: Tracker, domain: Domain) -> list[dict[str, Any]]:
    """SlotSet events for every slot a mapping fills from the latest message (first fitting mapping wins)."""
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name")
    entities = message.get("entities") or []
    events = []
    for slot in domain.slots.values():
        value = _first_value(slot, intent, entities, message.get("text"), tracker)
        if value is not _NOTHING and tracker.slots.get(slot.name) != value:
            events.append(slot_event(slot.name, value))
    return events


_NOTHING = object()


def _first_value(
    slot: Slot, intent: str | None, entities: list[dict[str, Any]], text: str | None, tracker: Tracker
) -> Any:
    for mapping in slot.mappings:
        if not _applies(mapping, intent, tracker):
            continue
        if mapping.type == "from_entity":
            values = [e.get("value") for e in entities if e.get("entity") == mapping.entity]
            if values:
                return values if slot.type == "list" else values[0]
        elif mapping.type == "from_intent":
            if mapping.intent and intent in mapping.intent:
                return mapping.value
        elif mapping.type == "from_text" and text and text.strip() and not text.startswith("/"):
            return text
    return _NOTHING


def _applies(mapping: SlotMapping, intent: str | None, tracker: Tracker) -> bool:
    if mapping.type != "from_intent" and mapping.intent and intent not in mapping.intent:
        return False
    if intent in mapping.not_intent:
        return False
    if mapping.active_loop is not None and tracker.active_loop != mapping.active_loop:
        return False
    return not (
        mapping.requested_slot is not None and tracker.slots.get("requested_slot") != mapping.requested_slot
    )
