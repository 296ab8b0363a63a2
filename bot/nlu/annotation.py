"""Rasa's inline entity annotations: ``[text](entity)``, ``[text](entity:value)``, ``[text]{"entity": …}``
and ``[text][{"entity": …}, …]`` (rasa/shared/nlu/training_data/entities_parser.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# The same expression Rasa 3.x uses, so the same examples parse the same way.
_ANNOTATION = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}|\[(?P<list_entity_dicts>.*?)\])"
)


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """An annotated entity; ``start``/``end`` index the example's plain text, ``value`` is its target value."""

    entity: str
    start: int
    end: int
    value: str
    role: str | None = None
    group: str | None = None


def parse_annotated(annotated: str) -> tuple[str, list[EntitySpan]]:
    """Return the plain text of an annotated example and its entities; ``ValueError`` says what is wrong."""
    parts: list[str] = []
    entities: list[EntitySpan] = []
    position = length = 0
    for match in _ANNOTATION.finditer(annotated):
        before = annotated[position : match.start()]
        parts.append(before)
        length += len(before)
        text = match.group("entity_text")
        for spec in _entity_specs(match):
            entities.append(_span(spec, text, length))
        parts.append(text)
        length += len(text)
        position = match.end()
    parts.append(annotated[position:])
    return "".join(parts), entities


def _entity_specs(match: re.Match[str]) -> list[dict]:
    if match.group("entity"):
        spec = {"entity": match.group("entity")}
        if match.group("value"):
            spec["value"] = match.group("value")
        return [spec]
    if match.group("entity_dict") is not None:
        return [_json_object("{" + match.group("entity_dict") + "}")]
    specs = _json_value("[" + match.group("list_entity_dicts") + "]")
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise ValueError(f"entity list must be a JSON list of objects: {match.group()!r}")
    return specs


def _json_object(raw: str) -> dict:
    spec = _json_value(raw)
    if not isinstance(spec, dict):
        raise ValueError(f"entity annotation must be a JSON object: {raw!r}")
    return spec


def _json_value(raw: str):
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON in entity annotation {raw!r}: {exc.msg}") from None


def _span(spec: dict, text: str, start: int) -> EntitySpan:
    entity = spec.get("entity")
    if not isinstance(entity, str) or not entity.strip():
        raise ValueError(f"entity annotation of {text!r} has no entity name")
    value = spec.get("value", text)
    return EntitySpan(
        entity=entity.strip(),
        start=start,
        end=start + len(text),
        value=str(value),
        role=spec.get("role"),
        group=spec.get("group"),
    )
