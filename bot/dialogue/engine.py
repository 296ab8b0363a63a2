"""The turn engine: after a user message, predict actions by rules and forms and run them until the
bot should listen again. Custom actions run in-process through rasa-sdk's ActionExecutor.

The engine touches no database: the caller loads the tracker, sets the turn context actions use,
stores the new events and delivers the messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection

from bot.dialogue.domain import Domain, load_domain
from bot.dialogue.forms import FormRunner
from bot.dialogue.responses import BotMessage, render
from bot.dialogue.rules import Rule, load_rules, predict
from bot.dialogue.slots import extract_slots
from bot.dialogue.tracker import Tracker, action_event, event, slot_event

log = logging.getLogger("pishkhan.dialogue")
RASA_VERSION = "3.6.21"  # what the action server is told it talks to
MAX_ACTIONS_PER_TURN = 12


class ActionFailed(Exception):
    """A custom action raised; the turn stopped there and the caller should hand over."""

    def __init__(self, action: str) -> None:
        super().__init__(f"action {action} failed")
        self.action = action


@dataclass
class TurnInput:
    text: str
    parse_data: dict[str, Any]
    channel: str
    message_id: str | None = None
    metadata: dict[str, Any] | None = None


class DialogueEngine:
    def __init__(self, domain: Domain, rules: list[Rule], executor: ActionExecutor) -> None:
        self.domain, self.rules, self.executor = domain, rules, executor
        self.forms = FormRunner(self)
        # Template variables every response may use (the shop's name…), below slots and action values.
        self.template_globals: dict[str, Any] = {}
        self._check_implementations()

    def _check_implementations(self) -> None:
        """Refuse to start with an action nobody implements or a form slot nobody asks for."""
        domain, executor = self.domain, self.executor
        missing = [
            a
            for a in domain.actions
            if a not in executor.actions and a not in domain.forms and not a.startswith("utter_")
        ]
        if missing:
            raise ValueError(f"{domain.path}: actions without an implementation: {', '.join(missing)}")
        for form in domain.forms.values():
            for slot in form.required_slots:
                if not any(
                    n in executor.actions or n in domain.responses for n in self.forms.ask_names(form, slot)
                ):
                    raise ValueError(
                        f"{domain.path}: form '{form.name}' has no question for slot '{slot}' "
                        f"(add utter_ask_{slot} or action_ask_{slot})"
                    )

    @classmethod
    def load(cls, data_dir: Path, actions_package: str = "actions") -> DialogueEngine:
        domain = load_domain(data_dir / "domain.yml")
        rules = load_rules(data_dir / "rules.yml", domain)
        executor = ActionExecutor()
        executor.register_package(actions_package)
        return cls(domain, rules, executor)

    # -- a turn ------------------------------------------------------------------------------------

    async def handle(self, tracker: Tracker, turn: TurnInput) -> list[BotMessage]:
        tracker.add(
            event(
                "user",
                text=turn.text,
                parse_data=turn.parse_data,
                input_channel=turn.channel,
                message_id=turn.message_id,
                metadata=turn.metadata or {},
            )
        )
        tracker.add_all(extract_slots(tracker, self.domain))
        return await self.continue_turn(tracker, turn.channel)

    async def continue_turn(self, tracker: Tracker, channel: str) -> list[BotMessage]:
        """Run predicted actions until the bot listens; also used to start a session."""
        messages: list[BotMessage] = []
        for _ in range(MAX_ACTIONS_PER_TURN):
            action = self.next_action(tracker)
            if action == "action_listen":
                break
            messages += await self.run_action(action, tracker, channel)
        else:
            log.error("turn stopped after %d actions (a rule loop?)", MAX_ACTIONS_PER_TURN)
        tracker.add(action_event("action_listen"))
        return messages

    def next_action(self, tracker: Tracker) -> str:
        if tracker.followup_action:
            return tracker.followup_action
        markers = tracker.turn_markers()
        if not markers:
            return "action_listen"
        loop = tracker.active_loop
        first_turn = tracker.user_turns() == 1
        ran_something = len(markers) > 1
        prediction = predict(self.rules, markers, tracker.slots, loop, first_turn)
        if loop:
            rejected = self.forms.rejected(tracker, loop)
            if not ran_something and not rejected:
                return loop  # the form gets the first look at the answer to its question
            if prediction is not None and prediction != "action_listen":
                return prediction  # an interruption the rules know how to answer
            if not ran_something:
                return "action_default_fallback"
            last = markers[-1]
            return "action_listen" if last.kind == "action" and last.name == loop else loop  # ask again
        if prediction is not None:
            return prediction
        return "action_listen" if ran_something else "action_default_fallback"

    # -- running one action ----------------------------------------------------------------------

    async def run_action(self, name: str, tracker: Tracker, channel: str) -> list[BotMessage]:
        if name in self.domain.forms:
            return await self.forms.run(self.domain.forms[name], tracker, channel)
        tracker.add(action_event(name))
        if name in self.domain.responses and not self.domain.is_custom_action(name):
            return self.utter({"response": name}, tracker, channel)
        if name == "action_restart":
            tracker.add(event("restart"))
            return []
        if name == "action_deactivate_loop":
            tracker.add_all([event("active_loop", name=None), slot_event("requested_slot", None)])
            return []
        if name == "action_default_fallback" and name not in self.executor.actions:
            return self.utter({"response": "utter_default"}, tracker, channel)
        return await self.run_custom(name, tracker, channel)

    async def run_custom(
        self, name: str, tracker: Tracker, channel: str, state: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """Call a rasa-sdk action in-process; apply its events, render its messages."""
        call = {
            "next_action": name,
            "sender_id": tracker.sender_id,
            "tracker": state or tracker.current_state(),
            "domain": self.domain.as_rasa_dict(),
            "version": RASA_VERSION,
        }
        try:
            result = await self.executor.run(call)
        except ActionExecutionRejection:
            tracker.add(event("action_execution_rejected", name=name, policy=None, confidence=None))
            return []
        except Exception as exc:
            log.exception("action %s failed", name)
            raise ActionFailed(name) from exc
        if result is None:
            return []
        messages = []
        for response in result.responses:
            messages += self.utter(response, tracker, channel)
        tracker.add_all(result.events)
        return messages

    def utter(self, message: dict[str, Any], tracker: Tracker, channel: str) -> list[BotMessage]:
        rendered = render(self.domain, message, channel, tracker.slots, self.template_globals)
        if rendered is None:
            return []
        tracker.add(
            event(
                "bot",
                text=rendered.text,
                data=rendered.as_event_data(),
                metadata={"utter_action": rendered.response},
            )
        )
        return [rendered]
