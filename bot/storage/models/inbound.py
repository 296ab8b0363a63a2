"""Inbound updates from channel webhooks, kept durably between the 2xx answer and the bot's turn."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, CreatedMixin, IdMixin, utcnow


class InboundStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    IGNORED = "ignored"  # acknowledged but nothing to do (an echo, a status update)


class InboundUpdate(IdMixin, CreatedMixin, Base):
    """One platform delivery (a Telegram update, an Instagram messaging item). The unique key drops
    redeliveries at the door; rows of one ordering key are processed one at a time, in id order."""

    __tablename__ = "inbound_updates"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inbound_updates_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_inbound_updates_ordering_key_id", "ordering_key", "id"),
    )

    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    ordering_key: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]]
    status: Mapped[InboundStatus] = mapped_column(String(16), default=InboundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
