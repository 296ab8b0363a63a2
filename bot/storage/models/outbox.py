"""Everything that leaves Pishkhan goes through the outbox, so nothing is lost between storing and sending."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, CreatedMixin, IdMixin, utcnow


class OutboxKind(StrEnum):
    MESSAGE = "message"  # a reply or proactive message to a customer on a channel
    SHOP_EVENT = "shop_event"  # a signed webhook to the shop
    SMS = "sms"
    EMAIL = "email"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Outbox(IdMixin, CreatedMixin, Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_ordering_key_id", "ordering_key", "id"),
    )

    kind: Mapped[OutboxKind] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255))
    # Rows with the same key are delivered one at a time, in id order (one chat, one shop webhook).
    ordering_key: Mapped[str] = mapped_column(String(300))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    body: Mapped[dict[str, Any]]
    status: Mapped[OutboxStatus] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
