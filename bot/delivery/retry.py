"""When to try again: exponential backoff with jitter, a ceiling, and a last attempt per kind of row."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.storage.models import OutboxKind

MAX_RETRY_AFTER = timedelta(days=1)  # a far side asking for longer is not taken at its word


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt n (1-based) that failed is retried after ``base * factor**(n-1)`` seconds, capped, minus
    up to ``jitter`` of it at random (so a recovering server is not hit by every row at once)."""

    max_attempts: int = 8
    base: float = 60.0
    factor: float = 3.0
    cap: float = 12 * 3600.0
    jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def delay(self, attempt: int) -> timedelta:
        seconds = min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        return timedelta(seconds=seconds * (1.0 - self.jitter * self.random()))

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


# Chat replies: quick retries for ~1.5 h. One-time codes expire in 5 minutes: a few quick tries.
# Shop events and email: 8 attempts over most of a day.
DEFAULT_POLICIES: Mapping[str, RetryPolicy] = {
    OutboxKind.MESSAGE: RetryPolicy(max_attempts=8, base=5.0),
    OutboxKind.SMS: RetryPolicy(max_attempts=5, base=5.0),
    OutboxKind.SHOP_EVENT: RetryPolicy(),
    OutboxKind.EMAIL: RetryPolicy(),
}


def policy_for(kind: str, policies: Mapping[str, RetryPolicy] | None = None) -> RetryPolicy:
    return (policies or DEFAULT_POLICIES).get(kind) or DEFAULT_POLICIES.get(kind) or RetryPolicy()
