"""The Rasa 3.x domain (intents, entities, slots with mappings, responses, actions, forms), validated.

The engine implements the part of Rasa a support bot needs; anything else is refused here, at load
time, with the file and line, instead of being silently ignored at run time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue.yaml_lines import DialogueConfigError, line_of, load_yaml

DEFAULT_ACTIONS = frozenset(
    {
        "action_listen",
        "action_restart",
        "action_session_start",
        "action_default_fallback",
        "action_deactivate_loop",
        "action_extract_slots",
    }
)
SLOT_TYPES = frozenset({"text", "bool", "categorical", "float", "any", "list"})
MAPPING_TYPES = frozenset({"from_entity", "from_text", "from_intent", "custom"})
TOP_LEVEL = frozenset(
    {"version", "intents", "entities", "slots", "responses", "actions", "forms", "session_config", "config"}
)
VARIANT_KEYS = frozenset({"text", "buttons", "condition", "channel", "custom", "image", "metadata"})


@dataclass(frozen=True, slots=True)
class SlotMapping:
    type: str
    entity: str | None = None
    intent: tuple[str, ...] = ()
    not_intent: tuple[str, ...] = ()
    value: Any = None
    active_loop: str | None = None
    requested_slot: str | None = None
    has_conditions: bool = False


@dataclass(frozen=True, slots=True)
class Slot:
    name: str
    type: str
    initial_value: Any = None
    values: tuple[str, ...] = ()
    mappings: tuple[SlotMapping, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseVariant:
    text: str | None
    buttons: tuple[dict[str, str], ...] = ()
    conditions: tuple[tuple[str, Any], ...] = ()  # (slot name, required value)
    channel: str | None = None
    custom: dict[str, Any] | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    required_slots: tuple[str, ...]
    ignored_intents: tuple[str, ...] = ()


@dataclass
class Domain:
    path: Path
    intents: tuple[str, ...]
    entities: tuple[str, ...]
    slots: dict[str, Slot]
    responses: dict[str, tuple[ResponseVariant, ...]]
    actions: tuple[str, ...]
    forms: dict[str, Form]
    session_expiration_minutes: float = 60
    carry_over_slots: bool = True
    raw: dict[str, Any] = field(default_factory=dict)

    def knows_action(self, name: str) -> bool:
        return name in DEFAULT_ACTIONS or name in self.actions or name in self.responses or name in self.forms

    def is_custom_action(self, name: str) -> bool:
        return name in self.actions and name not in self.forms

    def as_rasa_dict(self) -> dict[str, Any]:
        """The domain as Rasa sends it to an action server (``domain.as_dict()``)."""
        return self.raw


def load_domain(path: Path) -> Domain:
    data = load_yaml(path)
    for key in data:
        if key not in TOP_LEVEL:
            raise DialogueConfigError(path, line_of(data), f"unsupported domain key '{key}'")
    intents = _names(path, data.get("intents", []), "intents")
    entities = _names(path, data.get("entities", []), "entities")
    forms = _forms(path, data.get("forms") or {})
    slots = {
        name: _slot(path, name, spec, set(intents), set(entities), set(forms))
        for name, spec in (data.get("slots") or {}).items()
    }
    responses = {
        name: _response(path, name, variants) for name, variants in (data.get("responses") or {}).items()
    }
    actions = _names(path, data.get("actions", []), "actions")
    for form in forms.values():
        for slot in form.required_slots:
            if slot not in slots:
                raise DialogueConfigError(path, None, f"form '{form.name}' requires unknown slot '{slot}'")
    session = data.get("session_config") or {}
    return Domain(
        path=path,
        intents=intents,
        entities=entities,
        slots=slots,
        responses=responses,
        actions=actions,
        forms=forms,
        session_expiration_minutes=float(session.get("session_expiration_time", 60)),
        carry_over_slots=bool(session.get("carry_over_slots_to_new_session", True)),
        raw=_plain(data),
    )


def _plain(value: Any) -> Any:
    """Drop the line-number wrappers: the action server gets ordinary JSON-able data."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return copy.copy(value)


def _names(path: Path, value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise DialogueConfigError(path, line_of(value), f"'{what}' must be a list")
    names = []
    for item in value:
        if not isinstance(item, str):
            raise DialogueConfigError(
                path, line_of(item, line_of(value)), f"{what}: only plain names are supported"
            )
        names.append(item)
    return tuple(names)


def _forms(path: Path, value: Any) -> dict[str, Form]:
    forms = {}
    for name, spec in value.items():
        spec = spec or {}
        required = spec.get("required_slots", [])
        if not isinstance(required, list):
            raise DialogueConfigError(
                path, line_of(spec), f"form '{name}': required_slots must be a list of slots"
            )
        unknown = set(spec) - {"required_slots", "ignored_intents"}
        if unknown:
            raise DialogueConfigError(
                path, line_of(spec), f"form '{name}': unsupported keys {sorted(unknown)}"
            )
        forms[name] = Form(name, tuple(required), tuple(spec.get("ignored_intents") or ()))
    return forms


def _slot(path: Path, name: str, spec: Any, intents: set[str], entities: set[str], forms: set[str]) -> Slot:
    line = line_of(spec)
    if not isinstance(spec, dict) or spec.get("type") not in SLOT_TYPES:
        raise DialogueConfigError(path, line, f"slot '{name}': type must be one of {sorted(SLOT_TYPES)}")
    unknown = set(spec) - {"type", "initial_value", "values", "mappings", "influence_conversation"}
    if unknown:
        raise DialogueConfigError(path, line, f"slot '{name}': unsupported keys {sorted(unknown)}")
    mappings = tuple(_mapping(path, name, m, intents, entities, forms) for m in spec.get("mappings") or [])
    return Slot(name, spec["type"], spec.get("initial_value"), tuple(spec.get("values") or ()), mappings)


def _mapping(
    path: Path, slot: str, spec: Any, intents: set[str], entities: set[str], forms: set[str]
) -> SlotMapping:
    line = line_of(spec)
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind not in MAPPING_TYPES:
        raise DialogueConfigError(
            path, line, f"slot '{slot}': mapping type must be one of {sorted(MAPPING_TYPES)}"
        )
    unknown = set(spec) - {
        "type",
        "entity",
        "intent",
        "not_intent",
        "value",
        "conditions",
        "action",
        "influence_conversation",
    }
    if unknown:
        raise DialogueConfigError(
            path, line, f"slot '{slot}': mapping keys {sorted(unknown)} are not supported"
        )
    if kind == "from_entity" and spec.get("entity") not in entities:
        raise DialogueConfigError(
            path, line, f"slot '{slot}': mapping uses unknown entity '{spec.get('entity')}'"
        )
    intent, not_intent = _intents(spec.get("intent")), _intents(spec.get("not_intent"))
    for name in intent + not_intent:
        if name not in intents:
            raise DialogueConfigError(path, line, f"slot '{slot}': mapping uses unknown intent '{name}'")
    conditions = spec.get("conditions") or []
    if len(conditions) > 1 or any(set(c) - {"active_loop", "requested_slot"} for c in conditions):
        raise DialogueConfigError(
            path, line, f"slot '{slot}': one condition of active_loop/requested_slot at most"
        )
    condition = conditions[0] if conditions else {}
    if condition.get("active_loop") and condition["active_loop"] not in forms:
        raise DialogueConfigError(path, line, f"slot '{slot}': condition names unknown form")
    return SlotMapping(
        type=kind,
        entity=spec.get("entity"),
        intent=intent,
        not_intent=not_intent,
        value=spec.get("value"),
        active_loop=condition.get("active_loop"),
        requested_slot=condition.get("requested_slot"),
        has_conditions=bool(condition),
    )


def _intents(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _response(path: Path, name: str, variants: Any) -> tuple[ResponseVariant, ...]:
    if not isinstance(variants, list) or not variants:
        raise DialogueConfigError(
            path, line_of(variants), f"response '{name}' must be a non-empty list of variants"
        )
    parsed = []
    for variant in variants:
        line = line_of(variant)
        unknown = set(variant) - VARIANT_KEYS
        if unknown:
            raise DialogueConfigError(path, line, f"response '{name}': unsupported keys {sorted(unknown)}")
        conditions = []
        for condition in variant.get("condition") or []:
            if condition.get("type") != "slot" or "name" not in condition:
                raise DialogueConfigError(
                    path, line, f"response '{name}': only slot conditions are supported"
                )
            conditions.append((condition["name"], condition.get("value")))
        buttons = []
        for button in variant.get("buttons") or []:
            if set(button) - {"title", "payload"} or "title" not in button:
                raise DialogueConfigError(
                    path, line, f"response '{name}': buttons need title and payload only"
                )
            buttons.append(
                {"title": str(button["title"]), "payload": str(button.get("payload", button["title"]))}
            )
        parsed.append(
            ResponseVariant(
                text=variant.get("text"),
                buttons=tuple(buttons),
                conditions=tuple(conditions),
                channel=variant.get("channel"),
                custom=variant.get("custom"),
                image=variant.get("image"),
            )
        )
    return tuple(parsed)
