"""The outbox worker's database side: claim due rows, record what happened, each in a short transaction.

A claimed row is ``sending`` with ``next_attempt_at`` as its lease expiry: a worker that dies while
sending leaves it there, and once the lease runs out any worker claims it again. ``attempts`` grows at
every claim and fences the record: a worker whose lease ran out (and whose row was claimed again)
cannot overwrite the newer claim's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.delivery.base import OutboxItem
from bot.storage.models import DeliveryStatus, Message, Outbox, OutboxKind, OutboxStatus

log = logging.getLogger("pishkhan.delivery")
UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.SENDING)
ERROR_CHARS = 2000
MESSAGE_ERROR_CHARS = 500  # Message.delivery_error is a String(500)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to. ``status`` is sent, failed, or pending (tried again later)."""

    status: OutboxStatus
    error: str | None = None
    next_attempt_at: datetime | None = None
    external_id: str | None = None
    counts_as_attempt: bool = True  # False when nothing was tried (no sender for the channel yet)


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
) -> list[OutboxItem]:
    """Take up to ``limit`` due rows, at most one per ordering key: the oldest unfinished row of its key.

    A row is due when pending and its time has come, or sending with its lease run out. Row N+1 of a
    key waits while row N is pending or sending, so one chat's messages leave in order even while
    row N waits for a retry. On PostgreSQL, rows another worker is claiming are skipped, not waited for.
    """
    earlier = aliased(Outbox)
    blocked = (
        select(earlier.id)
        .where(
            earlier.ordering_key == Outbox.ordering_key,
            earlier.id < Outbox.id,
            earlier.status.in_(UNFINISHED),
        )
        .exists()
    )
    query = (
        select(Outbox)
        .where(Outbox.status.in_(UNFINISHED), Outbox.next_attempt_at <= now, ~blocked)
        .order_by(Outbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Outbox)
    rows = list(await session.scalars(query))
    items = []
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = OutboxStatus.SENDING, row.attempts + 1, now + lease
        items.append(
            OutboxItem(
                id=row.id,
                kind=row.kind,
                channel=row.channel,
                target=row.target,
                ordering_key=row.ordering_key,
                body=dict(row.body),
                attempt=row.attempts,
                conversation_id=row.conversation_id,
                message_id=row.message_id,
                created_at=row.created_at,
            )
        )
    await session.flush()
    return items


async def record(session: AsyncSession, item: OutboxItem, outcome: Outcome, *, now: datetime) -> bool:
    """Store the outcome of ``item``'s attempt; False when the claim was lost (lease expired, reclaimed)."""
    values: dict[str, object] = {"status": outcome.status}
    if outcome.status == OutboxStatus.SENT:
        values.update(sent_at=now, last_error=None)
    else:
        values["last_error"] = (outcome.error or "")[:ERROR_CHARS] or None
    if outcome.next_attempt_at is not None:
        values["next_attempt_at"] = outcome.next_attempt_at
    if not outcome.counts_as_attempt:
        values["attempts"] = item.attempt - 1
    result = await session.execute(
        update(Outbox)
        .where(Outbox.id == item.id, Outbox.status == OutboxStatus.SENDING, Outbox.attempts == item.attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if item.kind == OutboxKind.MESSAGE and item.message_id is not None:
        await _update_message_safely(session, item.message_id, outcome)
    return True


async def _update_message_safely(session: AsyncSession, message_id: int, outcome: Outcome) -> None:
    if not outcome.external_id:
        await _update_message(session, message_id, outcome)
        return
    try:  # (channel, external_message_id) is unique: a clash must not undo the record of the send
        async with session.begin_nested():
            await _update_message(session, message_id, outcome)
    except IntegrityError:
        log.warning("message %s: platform id already on another message; stored without it", message_id)
        await _update_message(session, message_id, replace(outcome, external_id=None))


async def _update_message(session: AsyncSession, message_id: int, outcome: Outcome) -> None:
    """The console shows delivery on the message itself: sent, or failed with the reason."""
    values: dict[str, object]
    if outcome.status == OutboxStatus.SENT:
        values = {"delivery_status": DeliveryStatus.SENT, "delivery_error": None}
        if outcome.external_id:
            values["external_message_id"] = outcome.external_id
    elif outcome.status == OutboxStatus.FAILED:
        values = {
            "delivery_status": DeliveryStatus.FAILED,
            "delivery_error": (outcome.error or "")[:MESSAGE_ERROR_CHARS],
        }
    else:
        return  # still pending: the outbox row carries the latest error
    await session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, items: Sequence[OutboxItem], *, now: datetime) -> int:
    """Give back rows whose attempt was interrupted (shutdown): pending again, due at once."""
    released = 0
    for item in items:
        result = await session.execute(
            update(Outbox)
            .where(
                Outbox.id == item.id, Outbox.status == OutboxStatus.SENDING, Outbox.attempts == item.attempt
            )
            .values(status=OutboxStatus.PENDING, next_attempt_at=now, last_error="interrupted by shutdown")
            .execution_options(synchronize_session=False)
        )
        released += result.rowcount  # type: ignore[attr-defined]
    return released
