"""The durable inbound queue's storage: webhooks store what arrived; the worker claims and finishes rows.

Redeliveries are dropped by the unique (channel, external_id) key. Rows of one ordering key (one chat)
are due one at a time and in id order.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.channels.base import InboundMessage
from bot.storage.base import utcnow
from bot.storage.models import InboundStatus, InboundUpdate

MAX_ATTEMPTS = 6
BATCH = 50


def to_payload(message: InboundMessage) -> dict[str, Any]:
    data = asdict(message)
    data["sent_at"] = message.sent_at.isoformat()
    return data


def from_payload(data: dict[str, Any]) -> InboundMessage:
    return InboundMessage(**{**data, "sent_at": datetime.fromisoformat(data["sent_at"])})


async def enqueue(
    session: AsyncSession,
    message: InboundMessage,
    *,
    external_id: str | None = None,
    status: InboundStatus = InboundStatus.PENDING,
) -> bool:
    """Store one delivery; False when this (channel, external id) was stored before (a redelivery)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(InboundUpdate)
        .values(
            channel=message.channel,
            external_id=external_id or message.external_message_id,
            ordering_key=f"{message.channel}:{message.external_user_id}",
            payload=to_payload(message),
            status=status,
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(InboundUpdate.id)
    )
    return await session.scalar(statement) is not None


async def due_rows(session: AsyncSession) -> list[tuple[int, str]]:
    """(id, ordering key) of the oldest due row of each key that has no earlier unfinished row."""
    earlier = aliased(InboundUpdate)
    blocked = (
        select(earlier.id)
        .where(
            earlier.ordering_key == InboundUpdate.ordering_key,
            earlier.id < InboundUpdate.id,
            earlier.status == InboundStatus.PENDING,
        )
        .exists()
    )
    rows = await session.execute(
        select(InboundUpdate.id, InboundUpdate.ordering_key)
        .where(
            and_(
                InboundUpdate.status == InboundStatus.PENDING,
                InboundUpdate.next_attempt_at <= utcnow(),
                ~blocked,
            )
        )
        .order_by(InboundUpdate.id)
        .limit(BATCH)
    )
    return [(row_id, key) for row_id, key in rows]


async def has_pending(session: AsyncSession, ordering_key: str) -> bool:
    """Is anything of this chat still waiting for its turn?"""
    found = await session.scalar(
        select(InboundUpdate.id)
        .where(InboundUpdate.ordering_key == ordering_key, InboundUpdate.status == InboundStatus.PENDING)
        .limit(1)
    )
    return found is not None


async def claim(session: AsyncSession, row_id: int) -> InboundUpdate | None:
    """The pending row, locked for this transaction (PostgreSQL skips a row another worker holds)."""
    query = select(InboundUpdate).where(
        InboundUpdate.id == row_id, InboundUpdate.status == InboundStatus.PENDING
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return await session.scalar(query)


def mark_done(row: InboundUpdate) -> None:
    row.status, row.processed_at, row.attempts = InboundStatus.DONE, utcnow(), row.attempts + 1


async def record_failure(session: AsyncSession, row_id: int, error: str, *, counts: bool = True) -> None:
    """Count a failed attempt: try again later with backoff, or give up after MAX_ATTEMPTS. An attempt
    that ``counts=False`` (the database was away) is retried soon and never makes the row give up."""
    row = await session.get(InboundUpdate, row_id)
    if row is None:
        return
    row.last_error = error[:2000]
    if not counts:
        row.next_attempt_at = utcnow() + timedelta(seconds=1 + random.random())
        return
    row.attempts += 1
    if row.attempts >= MAX_ATTEMPTS:
        row.status = InboundStatus.FAILED
    else:
        delay = min(300.0, 2**row.attempts) * (0.5 + random.random())
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
