"""Responses: pick the domain variant for this channel and these slots, and fill its placeholders."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.domain import Domain, ResponseVariant
from bot.text.digits import to_persian_digits

log = logging.getLogger("pishkhan.dialogue")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Keys of rasa-sdk's utter_message that are not template variables.
_MESSAGE_KEYS = frozenset(
    {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}
)


@dataclass
class BotMessage:
    text: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None
    image: str | None = None
    response: str | None = None

    def as_event_data(self) -> dict[str, Any]:
        return {"buttons": self.buttons or None, "custom": self.custom, "image": self.image}


def choose_variant(
    variants: tuple[ResponseVariant, ...], channel: str, slots: dict[str, Any]
) -> ResponseVariant | None:
    """The first variant for this channel whose conditions hold, else the first channel-less one."""
    fitting = [v for v in variants if all(slots.get(name) == value for name, value in v.conditions)]
    for variant in fitting:
        if variant.channel == channel:
            return variant
    for variant in fitting:
        if variant.channel is None:
            return variant
    return None


def fill(template: str, values: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(replace, template)


def render(
    domain: Domain,
    message: dict[str, Any],
    channel: str,
    slots: dict[str, Any],
    template_globals: dict[str, Any] | None = None,
) -> BotMessage | None:
    """Turn one rasa-sdk dispatcher message (or a bare response name) into what the customer sees.

    Placeholders are filled from the message's own values, then slots, then ``template_globals``."""
    name = message.get("response") or message.get("template")
    slot_values = {k: v for k, v in slots.items() if v is not None}
    # every number-like slot also reads in Persian digits: {order_id} → 1000001, {order_id_fa} → ۱۰۰۰۰۰۱
    slot_values |= {
        f"{k}_fa": to_persian_digits(v) for k, v in slot_values.items() if isinstance(v, str | int)
    }
    extra = {k: v for k, v in message.items() if k not in _MESSAGE_KEYS}
    variables = {**(template_globals or {}), **slot_values, **extra}
    result = BotMessage(response=name)
    if name:
        variants = domain.responses.get(name)
        variant = choose_variant(variants, channel, slots) if variants else None
        if variant is None:
            log.error("response %s has no variant for channel %s", name, channel)
            if not message.get("text"):
                return None
        else:
            result.text = fill(variant.text, variables) if variant.text else None
            result.buttons = [
                {"title": fill(b["title"], variables), "payload": fill(b["payload"], variables)}
                for b in variant.buttons
            ]
            result.custom, result.image = variant.custom, variant.image
    if message.get("text"):
        result.text = message["text"]
    if message.get("buttons"):
        result.buttons = [
            *result.buttons,
            *({"title": str(b["title"]), "payload": str(b.get("payload", ""))} for b in message["buttons"]),
        ]
    if message.get("custom"):
        result.custom = message["custom"]
    if message.get("image"):
        result.image = message["image"]
    if not (result.text or result.buttons or result.custom or result.image):
        return None
    return result
