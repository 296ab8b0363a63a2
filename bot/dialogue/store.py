"""The tracker store: a conversation's Rasa events in the database, one row an event."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogue.domain import Domain
from bot.dialogue.tracker import Tracker
from bot.storage.models import Conversation, TrackerEvent


async def load_tracker(session: AsyncSession, conversation: Conversation, domain: Domain) -> Tracker:
    """The conversation's tracker from its latest session start on."""
    start = await session.scalar(
        select(func.max(TrackerEvent.id)).where(
            TrackerEvent.conversation_id == conversation.id, TrackerEvent.type == "session_started"
        )
    )
    query = select(TrackerEvent.data).where(TrackerEvent.conversation_id == conversation.id)
    if start is not None:
        query = query.where(TrackerEvent.id >= start)
    events = list(await session.scalars(query.order_by(TrackerEvent.id)))
    return Tracker.from_events(str(conversation.id), domain, events)


async def save_new_events(session: AsyncSession, conversation: Conversation, tracker: Tracker) -> None:
    session.add_all(
        TrackerEvent(conversation_id=conversation.id, type=str(item.get("event")), data=item)
        for item in tracker.new_events
    )
    tracker.new_events = []
