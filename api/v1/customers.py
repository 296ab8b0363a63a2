"""The single customer, as integrations see it: profile, identities, orders, and the cross-channel timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from api.console.deps import ShopOrAgent
from api.deps import Session
from api.v1.schemas import CustomerOut, IdentityOut, OrderOut, TimelineMessageOut, TimelineOut
from bot.services import console, customers, identity
from bot.storage.models import Agent, Customer

router = APIRouter(tags=["customers"])

CustomerId = Annotated[int, Path(ge=1, le=2**62)]


# A console page re-reads the timeline after live events; those reads continue an audited opening.
TIMELINE_VIEW_WINDOW = timedelta(hours=1)


async def _access(
    session: Session,
    customer_id: int,
    viewer: Agent | None,
    *,
    via: str,
    again_within: timedelta | None = None,
) -> Customer:
    """The shop (viewer None) reads any customer; an agent only one of their conversations' customers,
    and every opening is written to the audit log (DESIGN §9)."""
    if viewer is None:
        customer = await identity.access_customer(session, customer_id)
        if customer is None:
            raise HTTPException(status_code=404, detail="no such customer")
        return customer
    try:
        customer = await console.access_customer(session, viewer, customer_id)
    except console.NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except console.NotAllowed as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    await console.record_customer_view(
        session, viewer, customer.id, via=via, unless_viewed_within=again_within
    )
    return customer


@router.get("/customers/{customer_id}", response_model=CustomerOut, responses={401: {}, 403: {}, 404: {}})
async def get_customer(customer_id: CustomerId, session: Session, viewer: ShopOrAgent) -> CustomerOut:
    """A merged customer answers with the customer it was merged into. The shop's API key, or an agent's
    console session (customers of the agent's conversations only; audited)."""
    customer = await _access(session, customer_id, viewer, via="api")
    return CustomerOut(
        **{
            name: getattr(customer, name)
            for name in CustomerOut.model_fields
            if name not in ("identities", "orders")
        },
        identities=[
            IdentityOut.model_validate(i) for i in await customers.list_identities(session, customer.id)
        ],
        orders=[OrderOut.model_validate(o) for o in await customers.list_orders(session, customer.id)],
    )


@router.get(
    "/customers/{customer_id}/timeline", response_model=TimelineOut, responses={401: {}, 403: {}, 404: {}}
)
async def get_timeline(
    customer_id: CustomerId,
    session: Session,
    viewer: ShopOrAgent,
    before: Annotated[datetime | None, Query(description="Only messages older than this")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> TimelineOut:
    """Every message of every conversation on every channel of the customer, oldest first. An agent's
    read is audited unless the same agent opened this customer within the last hour."""
    customer = await _access(session, customer_id, viewer, via="timeline", again_within=TIMELINE_VIEW_WINDOW)
    entries = await customers.timeline(session, customer.id, before=before, limit=limit)
    return TimelineOut(
        customer_id=customer.id,
        messages=[
            TimelineMessageOut(
                id=e.message.id,
                conversation_id=e.conversation.id,
                channel=e.conversation.channel,
                direction=e.message.direction,
                sender=e.message.sender,
                agent_id=e.message.agent_id,
                text=e.message.text,
                payload=e.message.payload,
                intent=e.message.intent,
                confidence=e.message.confidence,
                delivery_status=e.message.delivery_status,
                delivery_error=e.message.delivery_error,
                created_at=e.message.created_at,
            )
            for e in entries
        ],
    )
