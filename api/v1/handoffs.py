"""The handoff queue: conversations waiting for a person (oldest first) and claiming one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.console.deps import CurrentAgent, UnitOfWork
from api.v1.console_schemas import ConversationOut, QueueItemOut
from bot.services import console
from bot.services.console import QueueEntry
from bot.storage.base import utcnow
from bot.storage.models import ConversationStatus

router = APIRouter(tags=["console: queue"])
ConversationId = Annotated[int, Path(ge=1, le=2**62)]


def queue_item(entry: QueueEntry) -> QueueItemOut:
    c = entry.conversation
    return QueueItemOut(
        conversation_id=c.id,
        customer_id=c.customer_id,
        channel=c.channel,
        status=str(c.status),
        customer_name=entry.customer_name,
        reason=c.handoff_reason,
        handoff_at=c.handoff_at,
        waiting_seconds=int((utcnow() - c.handoff_at).total_seconds()) if c.handoff_at else None,
        last_customer_message=entry.last_customer_text,
        last_customer_at=entry.last_customer_at,
        assignee_id=c.assignee_id,
    )


@router.get(
    "/handoffs",
    response_model=list[QueueItemOut],
    summary="Waiting conversations, oldest handoff first (or open ones: the agent's own, all for admins)",
    responses={401: {}},
)
async def list_handoffs(
    signed_in: CurrentAgent,
    work: UnitOfWork,
    status: Annotated[Literal["pending", "open"], Query()] = "pending",
) -> list[QueueItemOut]:
    assignee = None if status == "pending" or signed_in.is_admin else signed_in.agent.id
    entries = await console.list_conversations(
        work.session, status=ConversationStatus(status), assignee_id=assignee
    )
    return [queue_item(e) for e in entries]


@router.post(
    "/handoffs/{conversation_id}/claim",
    response_model=ConversationOut,
    summary="Take a waiting conversation; 409 when another agent took it first",
    responses={401: {}, 403: {}, 404: {}, 409: {}},
)
async def claim(
    conversation_id: ConversationId, signed_in: CurrentAgent, work: UnitOfWork
) -> ConversationOut:
    event = await console.do_claim(work.session, signed_in.agent, conversation_id)
    work.publish(event)
    conversation = await console.access_conversation(work.session, signed_in.agent, conversation_id)
    return ConversationOut.model_validate(conversation)
