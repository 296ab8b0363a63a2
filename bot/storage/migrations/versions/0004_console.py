"""console: agent sessions, login attempts, first responses after handoffs, KPI report indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:01:52.016094
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_email_created_at", ["email", "created_at"], unique=False)
        batch_op.create_index("ix_login_attempts_ip_created_at", ["ip", "created_at"], unique=False)

    op.create_table(
        "agent_sessions",
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("expires_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", bot.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_agent_sessions_agent_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agent_sessions_token_hash")),
    )
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_sessions_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "first_responses",
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("handoff_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_first_responses_agent_id_agents")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_first_responses_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_responses")),
        sa.UniqueConstraint(
            "conversation_id", "handoff_at", name=op.f("uq_first_responses_conversation_id_handoff_at")
        ),
    )
    with op.batch_alter_table("first_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_first_responses_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index("ix_first_responses_handoff_at", ["handoff_at"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_conversations_handoff_at", ["handoff_at"], unique=False)
        batch_op.create_index("ix_conversations_resolved_at", ["resolved_at"], unique=False)

    with op.batch_alter_table("csat_responses", schema=None) as batch_op:
        batch_op.create_index("ix_csat_responses_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("csat_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_csat_responses_created_at")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_resolved_at")
        batch_op.drop_index("ix_conversations_handoff_at")
        batch_op.drop_index("ix_conversations_created_at")

    with op.batch_alter_table("first_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_first_responses_handoff_at")
        batch_op.drop_index(batch_op.f("ix_first_responses_agent_id"))

    op.drop_table("first_responses")
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_sessions_agent_id"))

    op.drop_table("agent_sessions")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_ip_created_at")
        batch_op.drop_index("ix_login_attempts_email_created_at")

    op.drop_table("login_attempts")
