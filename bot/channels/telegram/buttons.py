"""Buttons on Telegram: the bot's Rasa payloads (``/affirm``, ``/choose{"order_id":"1000002"}``) as
inline-keyboard ``callback_data``, which Telegram limits to 64 bytes (a Persian letter takes two).

A payload that fits travels as itself, so a press needs no lookup and survives the outbox row being
pruned. A longer one travels as a reference to the outbox row that sent it, ``~<row id>.<index>``,
looked up when pressed (``store.button_payload``); ``~`` never starts a payload we put in a button.
"""

from __future__ import annotations

import re

MAX_CALLBACK_BYTES = 64
REFERENCE = "~"
_REFERENCE = re.compile(r"^~(\d{1,18})\.(\d{1,3})$")


def encode_button(payload: str, outbox_id: int, index: int) -> str:
    """``callback_data`` for the ``index``-th button of outbox row ``outbox_id``."""
    fits = 0 < len(payload.encode()) <= MAX_CALLBACK_BYTES
    if fits and not payload.startswith(REFERENCE):
        return payload
    return f"{REFERENCE}{outbox_id}.{index}"


def decode_button(data: str) -> tuple[str | None, str | None]:
    """(payload, None) for a payload sent as itself, (None, reference) for a reference, (None, None)
    for anything else."""
    if not data:
        return None, None
    if data.startswith(REFERENCE):
        return (None, data) if _REFERENCE.match(data) else (None, None)
    return data, None


def parse_reference(reference: str) -> tuple[int, int] | None:
    match = _REFERENCE.match(reference)
    return (int(match.group(1)), int(match.group(2))) if match else None
