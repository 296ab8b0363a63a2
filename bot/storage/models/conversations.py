"""Conversations on one channel and every message in them (DESIGN §3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, CreatedMixin, IdMixin, utcnow


class ConversationStatus(StrEnum):
    BOT = "bot"
    PENDING = "pending"  # handed over, waiting for an agent
    OPEN = "open"  # an agent owns it
    RESOLVED = "resolved"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class DeliveryStatus(StrEnum):
    RECEIVED = "received"  # inbound
    PENDING = "pending"  # in the outbox
    SENT = "sent"
    FAILED = "failed"


class Conversation(IdMixin, CreatedMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_status_handoff_at", "status", "handoff_at"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[ConversationStatus] = mapped_column(String(16), default=ConversationStatus.BOT)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    handoff_reason: Mapped[str | None] = mapped_column(String(64))
    handoff_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(IdMixin, CreatedMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_message_id"),
        Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    direction: Mapped[Direction] = mapped_column(String(8))
    sender: Mapped[Sender] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None]
    external_message_id: Mapped[str | None] = mapped_column(String(255))
    intent: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[dict[str, Any] | None]
    delivery_status: Mapped[DeliveryStatus] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(String(500))
