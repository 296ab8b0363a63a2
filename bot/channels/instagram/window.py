"""Instagram's messaging window (channels.md §3.5): pure rules, so the sender and proactive messages agree.

A business may answer a customer for 24 hours after the customer's latest message. A human agent may
answer for up to 7 days with the HUMAN_AGENT tag, which Meta grants through App Review (hence the
setting). Nothing may reach a customer who never wrote: conversations are customer-initiated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"


@dataclass(frozen=True, slots=True)
class WindowDecision:
    """``allowed``: may the message go to Meta at all; ``tag``: the message tag it must carry
    (HUMAN_AGENT) or None for a plain response; ``reason``: why not, in words an agent can act on."""

    allowed: bool
    tag: str | None = None
    reason: str | None = None

    @property
    def messaging_type(self) -> str:
        return "MESSAGE_TAG" if self.tag else "RESPONSE"


def within_window(last_inbound_at: datetime | None, now: datetime, *, human_agent: bool) -> WindowDecision:
    """May a message go to a customer whose latest message arrived at ``last_inbound_at``?

    ``human_agent`` is True only for a reply typed by a person *and* when the HUMAN_AGENT tag is enabled:
    bot replies and proactive notices never carry it (Meta's policy forbids automated use).
    """
    if last_inbound_at is None:
        return WindowDecision(
            False,
            reason="outside Instagram's 24-hour window: this customer has never written to us on Instagram",
        )
    age = now - last_inbound_at
    if age < STANDARD_WINDOW:
        return WindowDecision(True)
    if human_agent and age < HUMAN_AGENT_WINDOW:
        return WindowDecision(True, tag=HUMAN_AGENT_TAG)
    if human_agent:
        return WindowDecision(
            False,
            reason=f"outside Instagram's 7-day human-agent window: the customer last wrote {describe_age(age)} ago",
        )
    return WindowDecision(
        False, reason=f"outside Instagram's 24-hour window: the customer last wrote {describe_age(age)} ago"
    )


def describe_age(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"
