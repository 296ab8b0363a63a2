"""One handed-over conversation: the page's data (customer 360), replies, notes, transfer, release, resolve."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from api.console.deps import CurrentAgent, UnitOfWork
from api.runtime import DIALOGUE_DATA
from api.v1.console_schemas import (
    AgentOut,
    ConversationDetailOut,
    ConversationOut,
    CsatOut,
    CustomerViewOut,
    MessageIn,
    MessageOut,
    NoteIn,
    NoteOut,
    ProfileOut,
    ReturnOut,
    ThreadOut,
    TransferIn,
    WarrantyOut,
)
from api.v1.schemas import IdentityOut, OrderOut
from bot.dialogue.domain import Domain, load_domain
from bot.dialogue.responses import render
from bot.services import agents, console, customer_view, replies
from bot.services.customer_view import Customer360
from bot.storage.models import ConversationStatus

router = APIRouter(prefix="/conversations", tags=["console: conversations"])
ConversationId = Annotated[int, Path(ge=1, le=2**62)]
CHANGES = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}
# An open page re-reads after live events; that continues an audited opening unless it is this old.
REFRESH_WINDOW = timedelta(hours=1)


def customer_view_out(view: Customer360) -> CustomerViewOut:
    return CustomerViewOut(
        profile=ProfileOut.model_validate(view.customer),
        identities=[IdentityOut.model_validate(i) for i in view.identities],
        orders=[OrderOut.model_validate(o) for o in view.orders],
        returns=[
            ReturnOut(
                reference=r.reference,
                order_number=number,
                item_title=title,
                reason=r.reason,
                status=str(r.status),
                created_at=r.created_at,
            )
            for r, number, title in view.returns
        ],
        warranty_claims=[
            WarrantyOut(
                reference=w.reference,
                item_title=title,
                serial_number=w.serial_number,
                fault_description=w.fault_description,
                status=str(w.status),
                created_at=w.created_at,
            )
            for w, title in view.warranty_claims
        ],
        csat=[CsatOut.model_validate(c) for c in view.csat],
        notes=[
            NoteOut(
                id=n.id,
                conversation_id=n.conversation_id,
                agent_id=n.agent_id,
                agent_name=name,
                text=n.text,
                created_at=n.created_at,
            )
            for n, name in view.notes
        ],
        conversations=[
            ThreadOut(**ConversationOut.model_validate(c).model_dump(), assignee_name=name)
            for c, name in view.conversations
        ],
    )


@router.get(
    "/{conversation_id}",
    response_model=ConversationDetailOut,
    summary="The conversation and its customer 360 (audited as a view of the customer)",
    responses={401: {}, 403: {}, 404: {}},
)
async def get_conversation(
    conversation_id: ConversationId,
    signed_in: CurrentAgent,
    work: UnitOfWork,
    refresh: Annotated[
        bool, Query(description="A re-read by an open page (after a live event): not a new opening")
    ] = False,
) -> ConversationDetailOut:
    agent = signed_in.agent
    conversation = await console.access_conversation(work.session, agent, conversation_id)
    customer = await console.access_customer(work.session, agent, conversation.customer_id)
    await console.record_customer_view(
        work.session,
        agent,
        customer.id,
        via=f"conversation:{conversation.id}",
        unless_viewed_within=REFRESH_WINDOW if refresh else None,
    )
    view = await customer_view.customer_360(work.session, customer)
    others = [a for a in await agents.list_agents(work.session) if a.active and a.id != agent.id]
    return ConversationDetailOut(
        conversation=ConversationOut.model_validate(conversation),
        customer=customer_view_out(view),
        can_reply=conversation.status == ConversationStatus.OPEN and conversation.assignee_id == agent.id,
        agents=[AgentOut.model_validate(a) for a in others],
    )


@router.post(
    "/{conversation_id}/messages",
    status_code=201,
    response_model=MessageOut,
    summary="Reply to the customer on the conversation's channel, through the outbox",
    responses=CHANGES,
)
async def post_message(
    conversation_id: ConversationId, body: MessageIn, signed_in: CurrentAgent, work: UnitOfWork
) -> MessageOut:
    conversation = await console.access_conversation(work.session, signed_in.agent, conversation_id)
    message = await replies.send_reply(work.session, signed_in.agent, conversation, text=body.text)
    work.publish(_message_event(conversation.id, conversation.customer_id, "agent_reply"))
    return MessageOut.model_validate(message)


@router.post(
    "/{conversation_id}/notes",
    status_code=201,
    response_model=NoteOut,
    summary="A private note (never sent to the customer)",
    responses=CHANGES,
)
async def post_note(
    conversation_id: ConversationId, body: NoteIn, signed_in: CurrentAgent, work: UnitOfWork
) -> NoteOut:
    conversation = await console.access_conversation(work.session, signed_in.agent, conversation_id)
    note = await replies.add_note(work.session, signed_in.agent, conversation, text=body.text)
    work.publish(_message_event(conversation.id, conversation.customer_id, "note"))
    return NoteOut(
        id=note.id,
        conversation_id=note.conversation_id,
        agent_id=note.agent_id,
        agent_name=signed_in.agent.name,
        text=note.text,
        created_at=note.created_at,
    )


@router.post(
    "/{conversation_id}/transfer",
    response_model=ConversationOut,
    summary="Hand the conversation to another agent",
    responses=CHANGES,
)
async def transfer(
    conversation_id: ConversationId, body: TransferIn, signed_in: CurrentAgent, work: UnitOfWork
) -> ConversationOut:
    conversation = await console.access_conversation(work.session, signed_in.agent, conversation_id)
    work.publish(
        await console.do_transfer(work.session, signed_in.agent, conversation, to_agent_id=body.agent_id)
    )
    return ConversationOut.model_validate(conversation)


@router.post(
    "/{conversation_id}/release",
    response_model=ConversationOut,
    summary="Give the conversation back to the bot",
    responses=CHANGES,
)
async def release(
    conversation_id: ConversationId, signed_in: CurrentAgent, work: UnitOfWork
) -> ConversationOut:
    conversation = await console.access_conversation(work.session, signed_in.agent, conversation_id)
    work.publish(await console.do_release(work.session, signed_in.agent, conversation))
    return ConversationOut.model_validate(conversation)


@router.post(
    "/{conversation_id}/resolve",
    response_model=ConversationOut,
    summary="Resolve; the CSAT question (1–5 buttons) is sent on the customer's channel",
    responses=CHANGES,
)
async def resolve(
    conversation_id: ConversationId, request: Request, signed_in: CurrentAgent, work: UnitOfWork
) -> ConversationOut:
    conversation = await console.access_conversation(work.session, signed_in.agent, conversation_id)
    text, payload = csat_question(request, conversation.channel)
    work.publish(
        await console.do_resolve(
            work.session, signed_in.agent, conversation, csat_text=text, csat_payload=payload
        )
    )
    return ConversationOut.model_validate(conversation)


def csat_question(request: Request, channel: str) -> tuple[str | None, dict[str, Any] | None]:
    """``utter_ask_csat`` from the running dialogue's domain, rendered for the customer's channel."""
    runtime = getattr(request.app.state, "runtime", None)
    domain = runtime.conversations.engine.domain if runtime is not None else _domain_on_disk()
    message = render(domain, {"response": "utter_ask_csat"}, channel, {})
    if message is None:
        return None, None
    return message.text, {"buttons": message.buttons, "response": "utter_ask_csat"}


@cache
def _domain_on_disk() -> Domain:
    """The domain when this process serves no conversations (the console still resolves them)."""
    return load_domain(DIALOGUE_DATA / "domain.yml")


def _message_event(conversation_id: int, customer_id: int, action: str) -> dict[str, Any]:
    return {
        "type": "conversation.updated",
        "action": action,
        "conversation_id": conversation_id,
        "customer_id": customer_id,
    }
