"""Rasa test stories (``tests/conversations/*.yml``), played through the REST channel.

Besides Rasa's steps (``user`` + ``intent``, ``action``, ``slot_was_set``, ``active_loop``) a story may
use ``utter: <response>`` and ``bot: <text the customer sees, a substring>`` as Rasa Pro's end-to-end
tests do, and ``metadata: {verified_phone: 09…}`` to start as the verified owner of that phone.
The actions after a user step are checked exactly: a turn that runs none (an agent holds the
conversation) is written as a user step followed by the next user step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@dataclass
class Turn:
    text: str
    intent: str | None
    line: int
    actions: list[str] = field(default_factory=list)
    loops: list[str | None] = field(default_factory=list)
    slots: list[tuple[str, Any, bool]] = field(default_factory=list)  # name, value, value given
    bot: list[str] = field(default_factory=list)
    utters: list[str] = field(default_factory=list)


@dataclass
class Story:
    name: str
    path: Path
    turns: list[Turn]
    metadata: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.path.stem}: {self.name}"


def load_stories(directory: Path = HERE) -> list[Story]:
    stories = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for spec in data.get("stories") or []:
            stories.append(Story(spec["story"], path, _turns(spec, path), spec.get("metadata") or {}))
    return stories


def _turns(spec: dict[str, Any], path: Path) -> list[Turn]:
    turns: list[Turn] = []
    for index, step in enumerate(spec.get("steps") or []):
        if "user" in step:
            turns.append(Turn(str(step["user"]).strip(), step.get("intent"), index))
            continue
        if not turns:
            raise ValueError(f"{path}: story '{spec['story']}' must start with a user step")
        turn = turns[-1]
        if "action" in step:
            turn.actions.append(step["action"])
        elif "active_loop" in step:
            turn.loops.append(step["active_loop"])
        elif "slot_was_set" in step:
            for item in step["slot_was_set"]:
                if isinstance(item, dict):
                    ((name, value),) = item.items()
                    turn.slots.append((name, value, True))
                else:
                    turn.slots.append((item, None, False))
        elif "bot" in step:
            turn.bot.append(str(step["bot"]))
        elif "utter" in step:
            turn.utters.append(step["utter"])
        else:
            raise ValueError(f"{path}: story '{spec['story']}' has an unsupported step {sorted(step)}")
    return turns
