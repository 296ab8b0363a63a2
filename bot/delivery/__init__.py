"""Delivery of everything in the outbox: chat messages, shop events, SMS and email (DESIGN §2 step 7).

Channel adapters plug in through a ``SenderRegistry`` given to the ``OutboxSender`` (the app builds it
from the channel plugins, see api/background.py): a sender is
``async def sender(item: OutboxItem) -> Delivered | RetryAfter | None`` making one attempt, raising
``TransientError`` or ``PermanentError`` when it did not work. ``OutboxSender`` does the rest.
"""

from bot.delivery.base import (
    Delivered,
    DeliveryError,
    OutboxItem,
    PermanentError,
    RetryAfter,
    Sender,
    SenderRegistry,
    TransientError,
    parse_retry_after,
)
from bot.delivery.claims import Outcome
from bot.delivery.retry import DEFAULT_POLICIES, RetryPolicy
from bot.delivery.wakeup import nudge_all
from bot.delivery.worker import OutboxSender, run_standalone

__all__ = [
    "DEFAULT_POLICIES",
    "Delivered",
    "DeliveryError",
    "OutboxItem",
    "OutboxSender",
    "Outcome",
    "PermanentError",
    "RetryAfter",
    "RetryPolicy",
    "Sender",
    "SenderRegistry",
    "TransientError",
    "nudge_all",
    "parse_retry_after",
    "run_standalone",
]
