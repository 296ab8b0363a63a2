"""Conversations and their messages: open the thread, store what came in and what goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.base import utcnow
from bot.storage.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Identity,
    Message,
    Outbox,
    OutboxKind,
    Sender,
)


async def open_conversation(session: AsyncSession, identity: Identity) -> Conversation:
    """The identity's current conversation on its channel, or a new one once the last was resolved."""
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.identity_id == identity.id, Conversation.status != ConversationStatus.RESOLVED)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if conversation is None:
        conversation = Conversation(
            customer_id=identity.customer_id,
            identity_id=identity.id,
            channel=identity.channel,
            status=ConversationStatus.BOT,
        )
        session.add(conversation)
        await session.flush()
    elif conversation.customer_id != identity.customer_id:  # the identity was linked to another customer
        conversation.customer_id = identity.customer_id
    return conversation


async def store_inbound(
    session: AsyncSession,
    conversation: Conversation,
    *,
    external_message_id: str,
    text: str | None,
    payload: dict[str, Any] | None,
    sent_at: datetime | None = None,
    understanding: dict[str, Any] | None = None,
) -> Message | None:
    """Store a customer's message with what the bot understood of it (shown to agents); None when this
    (channel, message id) was stored before (a redelivery)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # The time we took the message in. The platform's own time (``sent_at``) may be skewed or, for
    # replayed deliveries, old; a queue that lags makes windows counted from here slightly generous, and
    # the platform's own refusal is handled when that matters (Instagram's 24 hours).
    now = utcnow()
    statement = (
        insert(Message)
        .values(
            **understood_fields(understanding or {}),
            conversation_id=conversation.id,
            channel=conversation.channel,
            direction=Direction.IN,
            sender=Sender.CUSTOMER,
            text=text,
            payload=payload,
            external_message_id=external_message_id,
            delivery_status=DeliveryStatus.RECEIVED,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_message_id"])
        .returning(Message)
    )
    message = await session.scalar(statement, execution_options={"populate_existing": True})
    if message is not None:
        conversation.last_message_at = now
    return message


async def store_outbound(
    session: AsyncSession,
    conversation: Conversation,
    *,
    text: str | None,
    payload: dict[str, Any] | None,
    sender: Sender = Sender.BOT,
    agent_id: int | None = None,
    target: str,
    deliver_via_outbox: bool = True,
) -> Message:
    """Store a message to the customer and, unless the channel answers in-line, queue it in the outbox."""
    message = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction=Direction.OUT,
        sender=sender,
        agent_id=agent_id,
        text=text,
        payload=payload,
        delivery_status=DeliveryStatus.PENDING if deliver_via_outbox else DeliveryStatus.SENT,
    )
    session.add(message)
    await session.flush()
    if deliver_via_outbox:
        session.add(
            Outbox(
                kind=OutboxKind.MESSAGE,
                channel=conversation.channel,
                target=target,
                ordering_key=f"{conversation.channel}:{target}",
                conversation_id=conversation.id,
                message_id=message.id,
                body={"text": text, **(payload or {})},
            )
        )
    return message


def understood_fields(parse: dict[str, Any]) -> dict[str, Any]:
    """The intent, confidence and entities of a Rasa parse, as Message columns."""
    intent = parse.get("intent") or {}
    entities = [
        {k: e.get(k) for k in ("entity", "value", "start", "end")} for e in parse.get("entities") or []
    ]
    return {
        "intent": intent.get("name"),
        "confidence": intent.get("confidence"),
        "entities": {"entities": entities} if entities else None,
    }
