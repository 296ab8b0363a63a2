"""Customer satisfaction (CSAT): the 1–5 answer to the question sent when a conversation is resolved."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Conversation, ConversationStatus, CsatResponse


async def record_csat(
    session: AsyncSession, *, customer_id: int, score: object, comment: str | None = None
) -> bool:
    """Attach the score to the customer's latest resolved conversation that has none yet.

    Returns False (nothing stored) for a score outside 1–5 or when there is nothing to rate."""
    try:
        value = int(str(score))
    except ValueError:
        return False
    if not 1 <= value <= 5:
        return False
    rated = select(CsatResponse.conversation_id)
    conversation = await session.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.status == ConversationStatus.RESOLVED,
            Conversation.id.not_in(rated),
        )
        .order_by(Conversation.resolved_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    if conversation is None:
        return False
    session.add(
        CsatResponse(
            conversation_id=conversation.id,
            customer_id=customer_id,
            agent_id=conversation.assignee_id,
            score=value,
            comment=comment,
        )
    )
    await session.flush()
    return True
