"""What an agent writes in a conversation: replies to the customer (through the outbox, on the
conversation's channel) and private notes (never shown to the customer)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import conversations
from bot.services.console import Conflict, ConsoleError, NotAllowed, recipient
from bot.storage.base import utcnow
from bot.storage.models import (
    Agent,
    Conversation,
    ConversationStatus,
    FirstResponse,
    Message,
    Note,
    Sender,
)

MAX_TEXT = 4000  # Telegram's limit is 4096; Instagram's 1000 is split by its sender


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ConsoleError("متن خالی است.")
    if len(text) > MAX_TEXT:
        raise ConsoleError(f"متن بلندتر از {MAX_TEXT} نویسه است.")
    return text


async def send_reply(
    session: AsyncSession, agent: Agent, conversation: Conversation, *, text: str
) -> Message:
    """Store the reply and queue it on the customer's channel; the outbox sender delivers it and records
    sent/failed on the message. Only the agent who holds the conversation replies."""
    text = check_text(text)
    if conversation.status != ConversationStatus.OPEN:
        raise Conflict("برای پاسخ دادن اول گفتگو را بردارید.")
    if conversation.assignee_id != agent.id:
        raise NotAllowed("این گفتگو با همکار دیگری است.")
    message = await conversations.store_outbound(
        session,
        conversation,
        text=text,
        payload=None,
        sender=Sender.AGENT,
        agent_id=agent.id,
        target=await recipient(session, conversation),
    )
    if conversation.handoff_at is not None:
        await _record_first_response(session, conversation, agent, message)
    return message


async def _record_first_response(
    session: AsyncSession, conversation: Conversation, agent: Agent, message: Message
) -> None:
    """Keep the first agent reply after the latest handoff (the KPI's first response time); later
    replies after the same handoff change nothing."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(FirstResponse)
        .values(
            conversation_id=conversation.id,
            agent_id=agent.id,
            handoff_at=conversation.handoff_at,
            responded_at=message.created_at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "handoff_at"])
    )


async def add_note(session: AsyncSession, agent: Agent, conversation: Conversation, *, text: str) -> Note:
    note = Note(
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        agent_id=agent.id,
        text=check_text(text),
    )
    session.add(note)
    await session.flush()
    return note


async def list_notes(session: AsyncSession, customer_id: int) -> list[tuple[Note, str]]:
    """The customer's notes, newest first, with the name of the agent who wrote each."""
    rows = await session.execute(
        select(Note, Agent.name)
        .join(Agent, Agent.id == Note.agent_id)
        .where(Note.customer_id == customer_id)
        .order_by(Note.created_at.desc(), Note.id.desc())
        .limit(200)
    )
    return [(note, name) for note, name in rows.all()]
