"""What the agent console keeps besides the domain: login sessions, login attempts (for the rate limit),
the first agent response after each handoff (for KPIs), and the indexes the KPI report reads by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, CreatedMixin, IdMixin
from bot.storage.models.agents import CsatResponse
from bot.storage.models.conversations import Conversation


class AgentSession(IdMixin, CreatedMixin, Base):
    """A signed-in browser. Only a hash of the cookie's token is stored, so a database leak signs no one in."""

    __tablename__ = "agent_sessions"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(IdMixin, CreatedMixin, Base):
    """One try at signing in; failures in the last minutes decide the rate limit per account and per IP."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created_at", "email", "created_at"),
        Index("ix_login_attempts_ip_created_at", "ip", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)


class FirstResponse(IdMixin, Base):
    """The first agent reply after a handoff. A conversation handed over twice has two rows; the KPI
    report reads the one whose ``handoff_at`` is the conversation's latest handoff."""

    __tablename__ = "first_responses"
    __table_args__ = (
        UniqueConstraint("conversation_id", "handoff_at"),
        Index("ix_first_responses_handoff_at", "handoff_at"),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    handoff_at: Mapped[datetime]
    responded_at: Mapped[datetime]


# The KPI report selects conversations by when they started, were handed over or resolved, and CSAT
# answers by when they came; declared here (not on the shared models) so the console's migration owns them.
Index("ix_conversations_created_at", Conversation.created_at)
Index("ix_conversations_handoff_at", Conversation.handoff_at)
Index("ix_conversations_resolved_at", Conversation.resolved_at)
Index("ix_csat_responses_created_at", CsatResponse.created_at)
