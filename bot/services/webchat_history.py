"""What a widget shows: the visitor's messages in id order, as the web-chat socket sends them.

Message ids order one visitor's thread (their turns run one at a time). A reply still waiting in the
outbox is not shown until the sender has published it, and nothing after it is shown either: the
widget resumes "after the last id it has", so it must never hold an id beyond a gap.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    Agent,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Identity,
    IdentityKind,
    Message,
    VerificationMethod,
)

CHANNEL = "webchat"
CSAT_RESPONSE = "utter_ask_csat"
REPLAY_LIMIT = 200
TAIL_LIMIT = 60


@dataclass
class Replay:
    messages: list[dict[str, Any]] = field(default_factory=list)
    blocked_at: int | None = None  # the id of a reply the outbox has not delivered yet; nothing after it

    @property
    def blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def last_id(self) -> int | None:
        return self.messages[-1]["id"] if self.messages else None


async def find_visitor(session: AsyncSession, visitor_id: str) -> Identity | None:
    return await session.scalar(
        select(Identity).where(Identity.channel == CHANNEL, Identity.external_id == visitor_id)
    )


async def must_start_over(session: AsyncSession, visitor: Identity | None, shop_user_id: str | None) -> bool:
    """Whether this browser's visitor belongs to someone other than who the page says is logged in:
    verified by a shop login and now logged out, or verified as another customer. The widget then
    starts a new visitor, so the next person at a shared computer never sees the last one's chat."""
    if visitor is None or not visitor.verified:
        return False
    if shop_user_id is None:
        return visitor.method == VerificationMethod.SHOP_TOKEN
    owner = await session.scalar(
        select(Identity.customer_id).where(
            Identity.channel == IdentityKind.SHOP,
            Identity.external_id == shop_user_id,
            Identity.verified.is_(True),
        )
    )
    return owner is not None and owner != visitor.customer_id


async def open_status(session: AsyncSession, visitor_id: str) -> ConversationStatus | None:
    """The status of the visitor's unresolved conversation, None when there is none."""
    status = await session.scalar(
        select(Conversation.status)
        .join(Identity, Identity.id == Conversation.identity_id)
        .where(
            Identity.channel == CHANNEL,
            Identity.external_id == visitor_id,
            Conversation.status != ConversationStatus.RESOLVED,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return ConversationStatus(status) if status is not None else None


async def replay(
    session: AsyncSession,
    visitor_id: str,
    *,
    after_id: int,
    published: Collection[int] = (),
    limit: int = REPLAY_LIMIT,
) -> Replay:
    """The visitor's messages after ``after_id``, oldest first, up to the first undelivered reply."""
    rows = await session.execute(
        _messages(visitor_id).where(Message.id > after_id).order_by(Message.id).limit(limit)
    )
    return _visible(list(rows), published)


async def tail(
    session: AsyncSession, visitor_id: str, *, published: Collection[int] = (), limit: int = TAIL_LIMIT
) -> Replay:
    """The visitor's latest messages (a page load), oldest first, up to the first undelivered reply."""
    rows = await session.execute(_messages(visitor_id).order_by(Message.id.desc()).limit(limit))
    return _visible(list(reversed(list(rows))), published)


def _messages(visitor_id: str) -> Select[tuple[Message, str | None, int]]:
    return (
        select(Message, Agent.name, Conversation.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Identity, Identity.id == Conversation.identity_id)
        .outerjoin(Agent, Agent.id == Message.agent_id)
        .where(Identity.channel == CHANNEL, Identity.external_id == visitor_id)
    )


def _visible(rows: list[Any], published: Collection[int]) -> Replay:
    result = Replay()
    for message, agent_name, _conversation_id in rows:
        if (
            message.direction == Direction.OUT
            and message.delivery_status == DeliveryStatus.PENDING
            and message.id not in published
        ):
            result.blocked_at = message.id
            break
        result.messages.append(to_wire(message, agent_name))
    return result


def to_wire(message: Message, agent_name: str | None = None) -> dict[str, Any]:
    """The socket's ``message`` frame for a stored message."""
    payload = message.payload or {}
    text = message.text
    if (
        message.direction == Direction.IN
        and isinstance(payload.get("title"), str)
        and (text or "").startswith("/")
    ):
        text = payload["title"]  # a button click: show what the customer clicked, not its payload
    frame: dict[str, Any] = {
        "type": "message",
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": str(message.direction),
        "sender": str(message.sender),
        "text": text,
        "buttons": [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in payload.get("buttons") or []
            if isinstance(b, dict)
        ],
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }
    if message.direction == Direction.IN and message.external_message_id:
        frame["client_id"] = message.external_message_id.partition(":")[2] or None
    if payload.get("response") == CSAT_RESPONSE:
        frame["csat"] = True
    if agent_name:
        frame["agent"] = agent_name
    if isinstance(payload.get("image"), str):
        frame["image"] = payload["image"]
    return frame
