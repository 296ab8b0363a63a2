"""Rasa 3.x rules (``rules.yml``): loading, validation and the rule half of next-action prediction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.dialogue.domain import Domain
from bot.dialogue.yaml_lines import DialogueConfigError, line_of, load_yaml

ANY_LOOP = "__any__"


@dataclass(frozen=True, slots=True)
class Marker:
    """One thing that happened in the current turn: a user intent or an executed action."""

    kind: str  # "intent" | "action"
    name: str
    loop_before: str | None  # the active loop when it happened


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    line: int | None
    steps: tuple[tuple[str, str], ...]  # ("intent" | "action", name), in order
    loop_condition: str | bool | None  # form name, None (no loop active), or False (no condition)
    slot_conditions: tuple[tuple[str, Any], ...]
    loop_ends_after: int | None  # index of the step after which `active_loop: null` is expected
    conversation_start: bool
    wait_for_user_input: bool

    @property
    def specificity(self) -> int:
        return (self.loop_condition is not False) + len(self.slot_conditions) + self.conversation_start


def load_rules(path: Path, domain: Domain) -> list[Rule]:
    data = load_yaml(path)
    unknown = set(data) - {"version", "rules"}
    if unknown:
        raise DialogueConfigError(path, line_of(data), f"unsupported keys {sorted(unknown)} (only rules)")
    rules = [_rule(path, spec, domain) for spec in data.get("rules") or []]
    _check_contradictions(path, rules)
    return rules


def _rule(path: Path, spec: Any, domain: Domain) -> Rule:
    line = line_of(spec)
    if not isinstance(spec, dict) or "rule" not in spec:
        raise DialogueConfigError(path, line, "each item must be a rule with a name")
    unknown = set(spec) - {"rule", "steps", "condition", "conversation_start", "wait_for_user_input"}
    if unknown:
        raise DialogueConfigError(path, line, f"rule '{spec['rule']}': unsupported keys {sorted(unknown)}")
    loop_condition, slot_conditions = _conditions(path, spec, domain)
    steps: list[tuple[str, str]] = []
    loop_ends_after = None
    for step in spec.get("steps") or []:
        step_line = line_of(step, line)
        if not isinstance(step, dict) or len(step) != 1:
            raise DialogueConfigError(path, step_line, f"rule '{spec['rule']}': a step has exactly one key")
        ((key, value),) = step.items()
        if key == "intent":
            if value not in domain.intents and value != "nlu_fallback":
                raise DialogueConfigError(path, step_line, f"rule '{spec['rule']}': unknown intent '{value}'")
            steps.append(("intent", value))
        elif key == "action":
            if not domain.knows_action(value):
                raise DialogueConfigError(path, step_line, f"rule '{spec['rule']}': unknown action '{value}'")
            steps.append(("action", value))
        elif key == "active_loop":
            if value is None:
                loop_ends_after = len(steps) - 1
            elif value not in domain.forms:
                raise DialogueConfigError(path, step_line, f"rule '{spec['rule']}': unknown form '{value}'")
        elif key == "slot_was_set":
            continue  # a record of what the previous action did; it does not change prediction
        else:
            raise DialogueConfigError(path, step_line, f"rule '{spec['rule']}': unsupported step '{key}'")
    if not steps:
        raise DialogueConfigError(path, line, f"rule '{spec['rule']}' has no intent or action steps")
    if steps[0][0] == "action" and spec.get("conversation_start"):
        raise DialogueConfigError(
            path, line, f"rule '{spec['rule']}': conversation_start needs an intent first"
        )
    return Rule(
        name=spec["rule"],
        line=line,
        steps=tuple(steps),
        loop_condition=loop_condition,
        slot_conditions=tuple(slot_conditions),
        loop_ends_after=loop_ends_after,
        conversation_start=bool(spec.get("conversation_start")),
        wait_for_user_input=spec.get("wait_for_user_input", True) is not False,
    )


def _conditions(
    path: Path, spec: dict[str, Any], domain: Domain
) -> tuple[str | bool | None, list[tuple[str, Any]]]:
    loop: str | bool | None = False
    slots: list[tuple[str, Any]] = []
    for condition in spec.get("condition") or []:
        line = line_of(condition, line_of(spec))
        if "active_loop" in condition:
            loop = condition["active_loop"]
            if loop is not None and loop not in domain.forms:
                raise DialogueConfigError(path, line, f"rule '{spec['rule']}': unknown form '{loop}'")
        elif "slot_was_set" in condition:
            for item in condition["slot_was_set"]:
                name, value = next(iter(item.items())) if isinstance(item, dict) else (item, ANY_LOOP)
                if name not in domain.slots and name != "requested_slot":
                    raise DialogueConfigError(path, line, f"rule '{spec['rule']}': unknown slot '{name}'")
                slots.append((name, value))
        else:
            raise DialogueConfigError(
                path, line, f"rule '{spec['rule']}': unsupported condition {sorted(condition)}"
            )
    return loop, slots


def _check_contradictions(path: Path, rules: list[Rule]) -> None:
    seen: dict[tuple[Any, ...], tuple[str, Rule]] = {}
    for rule in rules:
        for k in range(1, len(rule.steps) + 1):
            following = rule.steps[k][1] if k < len(rule.steps) else "action_listen"
            if k == len(rule.steps) and not rule.wait_for_user_input:
                continue
            key = (rule.steps[:k], rule.loop_condition, rule.slot_conditions, rule.conversation_start)
            previous = seen.setdefault(key, (following, rule))
            if previous[0] != following:
                raise DialogueConfigError(
                    path,
                    rule.line,
                    f"rule '{rule.name}' contradicts rule '{previous[1].name}': after the same steps one "
                    f"predicts '{previous[0]}', the other '{following}'",
                )


def predict(
    rules: list[Rule], markers: list[Marker], slots: dict[str, Any], active_loop: str | None, first_turn: bool
) -> str | None:
    """The action the best-matching rule says comes next, ``action_listen`` when a matched rule is
    complete, or None when no rule matches this turn."""
    best: tuple[int, int, int] | None = None
    prediction: str | None = None
    for order, rule in enumerate(rules):
        matched = _match(rule, markers, slots, active_loop, first_turn)
        if matched is None:
            continue
        if matched == len(rule.steps):
            if not rule.wait_for_user_input:
                continue
            following = "action_listen"
        else:
            following = rule.steps[matched][1]
        score = (matched, rule.specificity, -order)
        if best is None or score > best:
            best, prediction = score, following
    return prediction


def _match(
    rule: Rule, markers: list[Marker], slots: dict[str, Any], active_loop: str | None, first_turn: bool
) -> int | None:
    """How many steps of ``rule`` the current turn has followed, or None if it does not apply."""
    if rule.conversation_start and not first_turn:
        return None
    for name, value in rule.slot_conditions:
        if (value == ANY_LOOP and slots.get(name) is None) or (
            value != ANY_LOOP and slots.get(name) != value
        ):
            return None
    if rule.steps[0][0] == "intent":
        start = 0
    else:  # a rule that starts from an action, e.g. a form completing: find where it began
        starts = [i for i, m in enumerate(markers) if i > 0 and (m.kind, m.name) == rule.steps[0]]
        if not starts:
            return None
        start = starts[-1]
    tail = markers[start:]
    if not tail or len(tail) > len(rule.steps):
        return None
    if [(m.kind, m.name) for m in tail] != list(rule.steps[: len(tail)]):
        return None
    if rule.loop_condition is not False and tail[0].loop_before != rule.loop_condition:
        return None
    if rule.loop_ends_after is not None and len(tail) > rule.loop_ends_after and active_loop is not None:
        return None
    return len(tail)
