"""The agent console's rules: who may see which conversation and customer, the handoff queue, and the
life of a handed-over conversation (claim, transfer, release, resolve).

Permission (DESIGN §9): an admin sees everything; an agent sees conversations waiting in the queue and
those assigned to them, and a customer only through such a conversation. ``access_*`` functions raise
``NotAllowed``/``NotFound``; ``do_*`` functions change state, flush, and return what changed so the edge
can publish it after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, conversations, handoff, identity
from bot.storage.base import utcnow
from bot.storage.models import (
    Agent,
    AgentRole,
    AuditLog,
    Conversation,
    ConversationStatus,
    Customer,
    Direction,
    Identity,
    Message,
    Sender,
)

ACTIVE = (ConversationStatus.PENDING, ConversationStatus.OPEN)


class ConsoleError(Exception):
    """A console action that cannot be done; the message is shown to the agent as is (Persian)."""


class NotFound(ConsoleError):
    pass


class NotAllowed(ConsoleError):
    pass


class Conflict(ConsoleError):
    pass


def is_admin(agent: Agent) -> bool:
    return agent.role == AgentRole.ADMIN


def can_see(agent: Agent, conversation: Conversation) -> bool:
    """Admins see all; agents what waits in the queue and what is assigned to them (open, or resolved
    by them: resolving keeps the assignee, so the agent still sees the CSAT question go out)."""
    return (
        is_admin(agent)
        or conversation.status == ConversationStatus.PENDING
        or conversation.assignee_id == agent.id
    )


def _visible_to(agent: Agent) -> Any:
    """The SQL form of ``can_see`` for an agent (admins need no condition)."""
    return or_(Conversation.status == ConversationStatus.PENDING, Conversation.assignee_id == agent.id)


async def access_conversation(session: AsyncSession, agent: Agent, conversation_id: int) -> Conversation:
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    if conversation is None:
        raise NotFound("گفتگویی با این شناسه نیست.")
    if not can_see(agent, conversation):
        raise NotAllowed("این گفتگو به شما سپرده نشده است.")
    return conversation


async def access_customer(session: AsyncSession, agent: Agent, customer_id: int) -> Customer:
    """The customer (following merges) if the agent may see them; the caller audits the view."""
    customer = await identity.access_customer(session, customer_id)
    if customer is None:
        raise NotFound("مشتری‌ای با این شناسه نیست.")
    if is_admin(agent):
        return customer
    reachable = await session.scalar(
        select(exists().where(Conversation.customer_id == customer.id, _visible_to(agent)))
    )
    if not reachable:
        raise NotAllowed("این مشتری در گفتگوهای شما نیست.")
    return customer


async def record_customer_view(
    session: AsyncSession,
    agent: Agent,
    customer_id: int,
    *,
    via: str,
    unless_viewed_within: timedelta | None = None,
) -> None:
    """Every opening of a customer's page is audited (DESIGN §9): who, whom, from where. A page that
    re-reads the timeline while open passes ``unless_viewed_within``, so its refreshes (after live
    events) are not new openings; a read with no recent opening by the same agent is always recorded."""
    if unless_viewed_within is not None:
        recent = await session.scalar(
            select(AuditLog.id)
            .where(
                AuditLog.subject_id == str(customer_id),
                AuditLog.subject_type == "customer",
                AuditLog.action == "customer.viewed",
                AuditLog.actor_type == "agent",
                AuditLog.actor_id == str(agent.id),
                AuditLog.created_at > utcnow() - unless_viewed_within,
            )
            .limit(1)
        )
        if recent is not None:
            return
    audit.record(
        session,
        action="customer.viewed",
        subject_type="customer",
        subject_id=customer_id,
        actor_type="agent",
        actor_id=agent.id,
        detail={"via": via},
    )


# -- the queue ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueEntry:
    conversation: Conversation
    customer_name: str | None
    last_customer_text: str | None
    last_customer_at: datetime | None


async def list_conversations(
    session: AsyncSession, *, status: ConversationStatus, assignee_id: int | None = None, limit: int = 200
) -> list[QueueEntry]:
    """Conversations in one status (oldest handoff first), with what the queue shows of each."""
    last_in = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id, Message.direction == Direction.IN)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    query = (
        select(Conversation, Customer.name, Identity.display_name, Message.text, Message.created_at)
        .join(Customer, Customer.id == Conversation.customer_id)
        .join(Identity, Identity.id == Conversation.identity_id)
        .outerjoin(Message, Message.id == last_in)
        .where(Conversation.status == status)
        .order_by(Conversation.handoff_at.asc().nulls_last(), Conversation.id)
        .limit(limit)
    )
    if assignee_id is not None:
        query = query.where(Conversation.assignee_id == assignee_id)
    rows = (await session.execute(query)).all()
    return [
        QueueEntry(
            conversation=c, customer_name=name or display, last_customer_text=text, last_customer_at=at
        )
        for c, name, display, text, at in rows
    ]


# -- the life of a handed-over conversation -----------------------------------------------------------


def _changed(conversation: Conversation, action: str) -> dict[str, Any]:
    """What the console event bus carries: ids and states, never names or text."""
    return {
        "type": "conversation.updated",
        "action": action,
        "conversation_id": conversation.id,
        "customer_id": conversation.customer_id,
        "status": str(conversation.status),
        "assignee_id": conversation.assignee_id,
    }


async def do_claim(session: AsyncSession, agent: Agent, conversation_id: int) -> dict[str, Any]:
    """Take a waiting conversation. One conditional UPDATE decides between agents claiming at once:
    the row changes only while still pending, so exactly one claim succeeds; the other gets Conflict."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("گفتگویی با این شناسه نیست.")
    if is_admin(agent) and conversation.status == ConversationStatus.BOT:
        # An admin may take a conversation from the bot (DESIGN §6: "an agent takes the conversation").
        await handoff.do_handoff(
            session, conversation, reason=handoff.HandoffReason.AGENT, actor_agent_id=agent.id
        )
    won = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status == ConversationStatus.PENDING)
        .values(status=ConversationStatus.OPEN, assignee_id=agent.id, updated_at=utcnow())
        .returning(Conversation.id),
        execution_options={"synchronize_session": False},
    )
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation is not None
    if won is None:
        raise Conflict(await _why_not_claimable(session, agent, conversation))
    audit.record(
        session,
        action="conversation.claimed",
        subject_type="conversation",
        subject_id=conversation.id,
        actor_type="agent",
        actor_id=agent.id,
    )
    return _changed(conversation, "claimed")


async def _why_not_claimable(session: AsyncSession, agent: Agent, conversation: Conversation) -> str:
    if conversation.status == ConversationStatus.OPEN and conversation.assignee_id is not None:
        if conversation.assignee_id == agent.id:
            return "این گفتگو همین حالا با شماست."
        holder = await session.get(Agent, conversation.assignee_id)
        return f"«{holder.name if holder else 'همکار دیگری'}» زودتر این گفتگو را برداشت."
    if conversation.status == ConversationStatus.RESOLVED:
        return "این گفتگو بسته شده است."
    return "این گفتگو دیگر در صف نیست."


def _check_owner(agent: Agent, conversation: Conversation) -> None:
    if conversation.status != ConversationStatus.OPEN:
        raise Conflict("اول باید گفتگو را بردارید.")
    if conversation.assignee_id != agent.id and not is_admin(agent):
        raise NotAllowed("این گفتگو با همکار دیگری است.")


async def do_transfer(
    session: AsyncSession, agent: Agent, conversation: Conversation, *, to_agent_id: int
) -> dict[str, Any]:
    _check_owner(agent, conversation)
    target = await session.get(Agent, to_agent_id)
    if target is None or not target.active:
        raise NotFound("کارشناس مقصد پیدا نشد یا غیرفعال است.")
    if target.id == conversation.assignee_id:
        raise Conflict("گفتگو همین حالا با همین کارشناس است.")
    previous = conversation.assignee_id
    moved = await session.scalar(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.status == ConversationStatus.OPEN,
            Conversation.assignee_id == previous,
        )
        .values(assignee_id=target.id, updated_at=utcnow())
        .returning(Conversation.id),
        execution_options={"synchronize_session": False},
    )
    await session.refresh(conversation)
    if moved is None:
        raise Conflict("گفتگو در همین لحظه تغییر کرد؛ صفحه را تازه کنید.")
    audit.record(
        session,
        action="conversation.transferred",
        subject_type="conversation",
        subject_id=conversation.id,
        actor_type="agent",
        actor_id=agent.id,
        detail={"from": previous, "to": target.id},
    )
    return _changed(conversation, "transferred")


async def do_release(session: AsyncSession, agent: Agent, conversation: Conversation) -> dict[str, Any]:
    """Give the conversation back to the bot (the owner, or an admin for any waiting or open one)."""
    if conversation.status == ConversationStatus.PENDING and not is_admin(agent):
        raise Conflict("اول باید گفتگو را بردارید.")
    if conversation.status not in ACTIVE:
        raise Conflict("این گفتگو با کارشناس نیست.")
    if conversation.status == ConversationStatus.OPEN:
        _check_owner(agent, conversation)
    await handoff.do_release(session, conversation, actor_agent_id=agent.id)
    return _changed(conversation, "released")


async def do_resolve(
    session: AsyncSession,
    agent: Agent,
    conversation: Conversation,
    *,
    csat_text: str | None,
    csat_payload: dict[str, Any] | None,
) -> dict[str, Any]:
    """Close the conversation and send the CSAT question (rendered by the caller from the domain's
    ``utter_ask_csat``) on the customer's channel, through the outbox."""
    if conversation.status == ConversationStatus.RESOLVED:
        raise Conflict("این گفتگو پیش‌تر بسته شده است.")
    if conversation.status == ConversationStatus.OPEN:
        _check_owner(agent, conversation)
    elif not is_admin(agent):
        raise Conflict("اول باید گفتگو را بردارید.")
    now = utcnow()
    conversation.status, conversation.resolved_at = ConversationStatus.RESOLVED, now
    conversation.assignee_id = conversation.assignee_id or agent.id  # CSAT is credited to the assignee
    if csat_text or csat_payload:
        await conversations.store_outbound(
            session,
            conversation,
            text=csat_text,
            payload=csat_payload,
            sender=Sender.BOT,
            target=await recipient(session, conversation),
        )
    audit.record(
        session,
        action="conversation.resolved",
        subject_type="conversation",
        subject_id=conversation.id,
        actor_type="agent",
        actor_id=agent.id,
    )
    await session.flush()
    return _changed(conversation, "resolved")


async def recipient(session: AsyncSession, conversation: Conversation) -> str:
    """Who the channel delivers to: the external id of the identity the conversation runs on."""
    found = await session.get(Identity, conversation.identity_id)
    if found is None:
        raise NotFound("راه ارتباطی این گفتگو پیدا نشد.")
    return found.external_id
