"""Dialogue state: Rasa-format tracker events per conversation, and one-time verification codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, CreatedMixin, IdMixin


class TrackerEvent(IdMixin, CreatedMixin, Base):
    """One Rasa event of a conversation, in order (as Rasa's SQLTrackerStore keeps them)."""

    __tablename__ = "tracker_events"
    __table_args__ = (Index("ix_tracker_events_conversation_id_type", "conversation_id", "type"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]


class VerificationCode(IdMixin, CreatedMixin, Base):
    """A one-time code sent by SMS to prove a customer holds a phone (DESIGN §4). Only its hash is kept."""

    __tablename__ = "verification_codes"

    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None]
