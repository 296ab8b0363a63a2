"""Handing a conversation to a person (DESIGN §6) and giving it back to the bot."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.storage.base import utcnow
from bot.storage.models import Conversation, ConversationStatus


class HandoffReason:
    REQUESTED = "requested"
    COMPLAINT = "complaint"
    FALLBACK = "fallback"
    ACTION_ERROR = "action_error"
    NOT_ELIGIBLE = "not_eligible"
    AGENT = "agent"


async def do_handoff(
    session: AsyncSession, conversation: Conversation, *, reason: str, actor_agent_id: int | None = None
) -> Conversation:
    """Mark the conversation as waiting for a person; from now on the bot stays silent in it."""
    if conversation.status in (ConversationStatus.PENDING, ConversationStatus.OPEN):
        return conversation
    conversation.status = ConversationStatus.PENDING
    conversation.handoff_reason = reason
    conversation.handoff_at = utcnow()
    conversation.assignee_id = None
    audit.record(
        session,
        action="conversation.handoff",
        subject_type="conversation",
        subject_id=conversation.id,
        actor_type="agent" if actor_agent_id else "system",
        actor_id=actor_agent_id,
        detail={"reason": reason},
    )
    await session.flush()
    return conversation


async def do_release(
    session: AsyncSession, conversation: Conversation, *, actor_agent_id: int | None
) -> None:
    """Give the conversation back to the bot."""
    conversation.status = ConversationStatus.BOT
    conversation.assignee_id = None
    audit.record(
        session,
        action="conversation.release",
        subject_type="conversation",
        subject_id=conversation.id,
        actor_type="agent" if actor_agent_id else "system",
        actor_id=actor_agent_id,
    )
    await session.flush()
