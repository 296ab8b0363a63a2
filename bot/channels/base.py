"""What every channel adapter turns its wire format into, and gets back to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: str
    external_user_id: str
    external_message_id: str
    text: str | None
    sent_at: datetime
    payload: dict[str, Any] | None = None  # a button's payload, a shared contact, ...
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    channel: str
    target: str  # the channel's user or chat id
    text: str | None
    buttons: tuple[dict[str, str], ...] = ()
    custom: dict[str, Any] | None = None
    image: str | None = None
