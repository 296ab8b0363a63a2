"""The unit of work an action runs in: the turn's database session and who the customer is.

In-process, the dialogue engine binds it for the turn and commits once afterwards. Under a standalone
rasa-sdk action server (``python -m rasa_sdk --actions actions``) there is no engine, so the scope
opens its own session for the action, resolves the sender, and commits when the action is done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.config import Settings, load_settings
from bot.services import conversations, identity
from bot.storage.base import utcnow
from bot.storage.engine import create_engine, make_sessionmaker


@dataclass
class TurnContext:
    session: AsyncSession
    settings: Settings
    customer_id: int
    conversation_id: int
    identity_id: int
    channel: str
    now: datetime = field(default_factory=utcnow)
    extras: dict[str, Any] = field(default_factory=dict)


_current: ContextVar[TurnContext | None] = ContextVar("pishkhan_turn", default=None)


@contextmanager
def bind_turn(context: TurnContext) -> Iterator[TurnContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@asynccontextmanager
async def turn_scope(tracker: Tracker) -> AsyncIterator[TurnContext]:
    """The engine's turn context, or (standalone action server) one made for this action alone."""
    context = _current.get()
    if context is not None:
        yield context
        return
    settings = load_settings()
    engine = _standalone_engine(settings)
    async with make_sessionmaker(engine)() as session, session.begin():
        channel = tracker.get_latest_input_channel() or "rasa"
        found = await identity.resolve_identity(session, channel=channel, external_id=tracker.sender_id)
        conversation = await conversations.open_conversation(session, found)
        context = TurnContext(
            session=session,
            settings=settings,
            customer_id=found.customer_id,
            conversation_id=conversation.id,
            identity_id=found.id,
            channel=channel,
        )
        with bind_turn(context):
            yield context


_engines: dict[str, AsyncEngine] = {}


def _standalone_engine(settings: Settings) -> AsyncEngine:
    # Created on first use, never at import: importing the actions package opens nothing.
    if settings.database_url not in _engines:
        _engines[settings.database_url] = create_engine(settings.database_url)
    return _engines[settings.database_url]
