"""What the load bench checks once the load has quiesced: the database is the record. For each customer,
its conversation's messages in id order must hold every message it sent, once and in order, each
answered; and every client view must show exactly the replies stored for it, in that order — nothing
lost, nothing twice. The expected view is rendered from the stored replies by the channel's own code
(the REST answer, the Telegram calls the outbox sender makes); the widget shows the stored ids.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.channels.rest.adapter import RestChannel
from bot.channels.telegram.render import send_requests
from bot.dialogue.responses import BotMessage
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.models import (
    Conversation,
    Direction,
    Identity,
    InboundStatus,
    InboundUpdate,
    Message,
    Outbox,
    OutboxKind,
    OutboxStatus,
)
from tests.bench.load_clients import Customer, rest_item
from tests.bench.servers import percentile


@dataclass
class Stored:
    """One customer's conversation as the database has it, in id order."""

    messages: list[tuple[Message, Outbox | None]] = field(default_factory=list)


@dataclass
class Expected:
    item: Any  # what the client shows for it
    turn: int  # the customer message it answers (-1: before the first)
    reply: bool  # False for the widget's echo of the customer's own message


async def read_stored(url: str) -> dict[tuple[str, str], Stored]:
    """Every conversation message with its outbox row, by (channel, user id)."""
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(Message, Outbox, Identity.channel, Identity.external_id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(Identity, Identity.id == Conversation.identity_id)
                .outerjoin(Outbox, (Outbox.message_id == Message.id) & (Outbox.kind == OutboxKind.MESSAGE))
                .order_by(Message.id)
            )
            stored: dict[tuple[str, str], Stored] = {}
            for message, outbox, channel, external_id in rows:
                stored.setdefault((channel, external_id), Stored()).messages.append((message, outbox))
            return stored
    finally:
        await engine.dispose()


async def backlog(url: str) -> dict[str, int]:
    """Inbound rows still to run and replies still to send (all zero once the load has quiesced)."""
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            inbound = Counter(await session.scalars(select(InboundUpdate.status)))
            outbox = Counter(
                await session.scalars(select(Outbox.status).where(Outbox.kind == OutboxKind.MESSAGE))
            )
    finally:
        await engine.dispose()
    return {
        "inbound_pending": inbound[InboundStatus.PENDING],
        "inbound_failed": inbound[InboundStatus.FAILED],
        "outbox_pending": outbox[OutboxStatus.PENDING] + outbox[OutboxStatus.SENDING],
        "outbox_failed": outbox[OutboxStatus.FAILED],
    }


def expected_views(customer: Customer, stored: Stored) -> list[Expected]:
    """What the customer's client must show, in order, rendered from the stored messages."""
    expected: list[Expected] = []
    turn = -1
    for message, outbox in stored.messages:
        if message.direction == Direction.IN:
            turn += 1
            if customer.channel == "webchat":
                expected.append(Expected(message.id, turn, reply=False))
            continue
        expected += [Expected(item, turn, reply=True) for item in _shown(customer, message, outbox)]
    return expected


def _shown(customer: Customer, message: Message, outbox: Outbox | None) -> list[Any]:
    if customer.channel == "webchat":
        return [message.id]
    if customer.channel == "rest":
        payload = message.payload or {}
        bot = BotMessage(
            text=message.text,
            buttons=payload.get("buttons") or [],
            custom=payload.get("custom"),
            image=payload.get("image"),
        )
        return [rest_item(reply) for reply in RestChannel.render(customer.key, [bot])]
    if outbox is None:
        return ["[no outbox row]"]  # never shown: reported as lost
    calls = send_requests(outbox.target, outbox.body, outbox.id)
    return [call.text if isinstance(call, SendMessage) else "[photo]" for call in calls]


@dataclass
class Mismatch:
    duplicates: int = 0  # shown (or stored) more often than it should be
    lost: int = 0  # never shown (or never stored)
    out_of_order: int = 0  # shown, but not where it belongs

    def add(self, other: Mismatch) -> None:
        self.duplicates += other.duplicates
        self.lost += other.lost
        self.out_of_order += other.out_of_order

    def __bool__(self) -> bool:
        return bool(self.duplicates or self.lost or self.out_of_order)


def compare(expected: list[Any], seen: list[Any]) -> Mismatch:
    """How ``seen`` differs from ``expected``: extra copies, missing items, and items out of place
    (those outside the longest common subsequence of what both have)."""
    want, got = Counter(expected), Counter(seen)
    common_want, common_got = _in_order(expected, got), _in_order(seen, want)
    return Mismatch(
        duplicates=sum((got - want).values()),
        lost=sum((want - got).values()),
        out_of_order=len(common_got) - _lcs(common_want, common_got),
    )


def _in_order(items: list[Any], allowed: Counter[Any]) -> list[Any]:
    left, kept = Counter(allowed), []
    for item in items:
        if left[item] > 0:
            left[item] -= 1
            kept.append(item)
    return kept


def _lcs(a: list[Any], b: list[Any]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


@dataclass
class Verdict:
    """The checks over every customer of one scenario."""

    mismatch: Mismatch = field(default_factory=Mismatch)
    messages: int = 0
    replies: int = 0  # replies the database says were given (as each client renders them)
    unanswered: int = 0  # customer messages stored without a reply after them
    errors: int = 0  # requests refused, waits given up
    server_errors: Counter[str] = field(default_factory=Counter)  # by channel: retried or reconnected
    problems: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # by channel, milliseconds
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # first sent, last reply


def check(customers: list[Customer], stored: dict[tuple[str, str], Stored]) -> Verdict:
    verdict = Verdict()
    for customer in customers:
        conversation = stored.get((customer.channel, customer.key), Stored())
        inbound = [m.text for m, _ in conversation.messages if m.direction == Direction.IN]
        found = compare(customer.texts, inbound)
        verdict.messages += len(customer.texts)
        _note(verdict, customer, "stored messages", found)
        directions = [m.direction for m, _ in conversation.messages] + [None]
        verdict.unanswered += sum(
            1 for d, after in pairwise(directions) if d == Direction.IN and after != Direction.OUT
        )
        verdict.errors += len(customer.errors)
        verdict.server_errors[customer.channel] += customer.retries + customer.reconnects
        verdict.problems += [f"{customer.channel} {customer.n}: {e}" for e in customer.errors]
        expected = expected_views(customer, conversation)
        verdict.replies += sum(1 for e in expected if e.reply)
        for name, view in sorted(customer.views.items()):
            _note(verdict, customer, name, compare([e.item for e in expected], [item for item, _ in view]))
        _latencies(verdict, customer, expected)
    return verdict


def _note(verdict: Verdict, customer: Customer, what: str, found: Mismatch) -> None:
    verdict.mismatch.add(found)
    if found:
        verdict.problems.append(f"{customer.channel} {customer.n} ({customer.key}) {what}: {found}")


def _latencies(verdict: Verdict, customer: Customer, expected: list[Expected]) -> None:
    """Message sent -> its last reply shown, on the view it was sent from, when that view is exact."""
    view = customer.views.get(customer.primary, [])
    if [item for item, _ in view] != [e.item for e in expected]:
        return
    last: dict[int, float] = {}
    for e, (_, at) in zip(expected, view, strict=True):
        if e.reply and e.turn >= 0:
            last[e.turn] = at
    latencies = verdict.latencies.setdefault(customer.channel, [])
    latencies += [(last[k] - sent) * 1000 for k, sent in enumerate(customer.sent_at) if k in last]
    if last:
        start, end = customer.sent_at[0], max(last.values())
        before = verdict.spans.get(customer.channel, (start, end))
        verdict.spans[customer.channel] = (min(before[0], start), max(before[1], end))


def figures(verdict: Verdict) -> dict[str, Any]:
    """Turns per second and latency percentiles, overall and by channel."""

    def summary(
        latencies: list[float], span: tuple[float, float] | None, server_errors: int
    ) -> dict[str, Any]:
        seconds = (span[1] - span[0]) if span else 0.0
        return {
            "turns": len(latencies),
            "turns_per_second": round(len(latencies) / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(latencies, 0.5), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "server_errors": server_errors,  # answered by sending again or reconnecting, as platforms do
        }

    everything = [ms for values in verdict.latencies.values() for ms in values]
    spans = list(verdict.spans.values())
    overall = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None
    by_channel = {
        channel: summary(verdict.latencies.get(channel, []), verdict.spans.get(channel), errors)
        for channel, errors in sorted(verdict.server_errors.items())
    }
    return {**summary(everything, overall, verdict.server_errors.total()), **by_channel}
