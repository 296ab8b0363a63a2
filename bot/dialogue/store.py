"""The tracker store: a conversation's Rasa events in the database, one row an event."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogue.domain import Domain
from bot.dialogue.tracker import Tracker
from bot.storage.base import utcnow
from bot.storage.models import Conversation, TrackerEvent


async def load_tracker(session: AsyncSession, conversation: Conversation, domain: Domain) -> Tracker:
    """The conversation's tracker from its latest session start on (one query)."""
    session_start = (
        select(func.coalesce(func.max(TrackerEvent.id), 0))
        .where(TrackerEvent.conversation_id == conversation.id, TrackerEvent.type == "session_started")
        .scalar_subquery()
    )
    events = await session.scalars(
        select(TrackerEvent.data)
        .where(TrackerEvent.conversation_id == conversation.id, TrackerEvent.id >= session_start)
        .order_by(TrackerEvent.id)
    )
    return Tracker.from_events(str(conversation.id), domain, list(events))


async def save_new_events(session: AsyncSession, conversation: Conversation, tracker: Tracker) -> None:
    """Append the turn's events in one statement (an executemany: no row needs its id back)."""
    if tracker.new_events:
        now = utcnow()
        await session.execute(
            insert(TrackerEvent),
            [
                {
                    "conversation_id": conversation.id,
                    "type": str(item.get("event")),
                    "data": item,
                    "created_at": now,
                }
                for item in tracker.new_events
            ],
        )
    tracker.new_events = []
