"""What a delivery function is given, what it may answer, and the registry that routes rows to it.

A *sender* makes one attempt at delivering one outbox row; the outbox worker owns retries, order and
bookkeeping. It returns ``Delivered`` (or None) when the far side accepted the row, returns
``RetryAfter`` when the far side asked for a pause (Telegram's 429 ``retry_after``), and raises
``TransientError`` (try again later) or ``PermanentError`` (never retry; the reason is recorded).
Anything else it raises counts as transient, so a bug cannot drop a row, only delay it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from bot.storage.models import OutboxKind


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed outbox row, detached from the database: delivery runs outside any transaction."""

    id: int
    kind: str
    channel: str
    target: str
    ordering_key: str
    body: dict[str, Any]
    attempt: int  # 1 on the first attempt
    conversation_id: int | None = None
    message_id: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Delivered:
    """Accepted by the far side. For a chat message, ``external_id`` is stored on the Message (so echoes
    of it can be ignored) and must be unique within the channel: Instagram's ``mid`` is; Telegram's
    ``message_id`` is unique only within its chat, so give ``f"{chat_id}:{message_id}"``."""

    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """The far side asked us to wait exactly this long before the next attempt."""

    seconds: float
    reason: str = "rate limited"


class DeliveryError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientError(DeliveryError):
    """Try again later: a timeout, a dropped connection, a 5xx, a 429."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying cannot help (a 4xx, a blocked bot, an unknown recipient): recorded as failed."""


Sender = Callable[[OutboxItem], Awaitable["Delivered | RetryAfter | None"]]


def routing_key(kind: str, channel: str) -> str:
    """Messages are routed by channel (telegram, instagram, webchat…); everything else by kind."""
    return channel if kind == OutboxKind.MESSAGE else kind


class SenderRegistry:
    """Senders by kind (``shop_event``, ``sms``, ``email``) or, for chat messages, by channel name."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, kind_or_channel: str, sender: Sender) -> None:
        """Add a sender; a later registration for the same key replaces the earlier one."""
        self._senders[kind_or_channel] = sender

    def unregister(self, kind_or_channel: str, sender: Sender | None = None) -> None:
        """Remove the key's sender (only if it is still ``sender``, when given)."""
        if sender is None or self._senders.get(kind_or_channel) is sender:
            self._senders.pop(kind_or_channel, None)

    def find(self, kind: str, channel: str) -> Sender | None:
        return self._senders.get(routing_key(kind, channel))

    def __contains__(self, kind_or_channel: object) -> bool:
        return kind_or_channel in self._senders


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from an HTTP ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
