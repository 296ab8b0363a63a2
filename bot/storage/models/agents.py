"""People who work in the console, and what they keep there (DESIGN §3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, CreatedMixin, IdMixin


class AgentRole(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


class Agent(IdMixin, CreatedMixin, Base):
    __tablename__ = "agents"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[AgentRole] = mapped_column(String(16), default=AgentRole.AGENT)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]


class CannedResponse(IdMixin, CreatedMixin, Base):
    __tablename__ = "canned_responses"

    shortcut: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))


class Note(IdMixin, CreatedMixin, Base):
    """A private note an agent leaves on a conversation; never shown to the customer."""

    __tablename__ = "notes"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)


class CsatResponse(IdMixin, CreatedMixin, Base):
    __tablename__ = "csat_responses"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class AuditLog(IdMixin, CreatedMixin, Base):
    """Who saw or changed what, and when. Rows are only ever added."""

    __tablename__ = "audit_log"

    actor_type: Mapped[str] = mapped_column(String(16))  # agent, shop, system, customer
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any] | None]
