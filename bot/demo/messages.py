"""Platform message ids, as each channel hands them out, for every message of the demo conversations."""

from __future__ import annotations

import random
import string

from bot.demo.chats import ChannelUserPlan
from bot.demo.people import INSTAGRAM, TELEGRAM, Unique

# Instagram's mids are base64 of "ig_item:1:IGMessageID:…"; they all start the same way.
_MID_PREFIX = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE"
_BASE64URL = string.ascii_letters + string.digits + "-_"


def assign_message_ids(users: list[ChannelUserPlan], rng: random.Random) -> None:
    """Telegram numbers messages per chat (both directions share the counter), so ids are
    ``<chat id>:<message id>``; Instagram and the widget hand out opaque unique ids."""
    mids, widget_ids = Unique(), Unique()
    for user in users:
        counter = rng.randint(2, 400)
        for conversation in sorted(user.conversations, key=lambda c: c.started_at):
            counter += rng.choice((0, 0, 0, 1, 2))  # messages deleted or sent from another device
            for message in conversation.messages:
                if user.channel == TELEGRAM:
                    counter += 1
                    message.external_id = f"{user.external_id}:{counter}"
                elif user.channel == INSTAGRAM:
                    message.external_id = mids.take(lambda: _MID_PREFIX + _random(rng, _BASE64URL, 72))
                else:
                    message.external_id = widget_ids.take(
                        lambda: "wc_" + _random(rng, "0123456789abcdef", 20)
                    )


def _random(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))
