"""The single customer, as integrations see it: profile, identities, orders, and the cross-channel timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from api.deps import Session, ShopKey
from api.v1.schemas import CustomerOut, IdentityOut, OrderOut, TimelineMessageOut, TimelineOut
from bot.services import customers, identity
from bot.storage.models import Customer

router = APIRouter(tags=["customers"])

CustomerId = Annotated[int, Path(ge=1, le=2**62)]


async def _access(session: Session, customer_id: int) -> Customer:
    customer = await identity.access_customer(session, customer_id)
    if customer is None:
        raise HTTPException(status_code=404, detail="no such customer")
    return customer


@router.get("/customers/{customer_id}", response_model=CustomerOut, responses={401: {}, 404: {}})
async def get_customer(customer_id: CustomerId, session: Session, _: ShopKey) -> CustomerOut:
    """A merged customer answers with the customer it was merged into."""
    customer = await _access(session, customer_id)
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


@router.get("/customers/{customer_id}/timeline", response_model=TimelineOut, responses={401: {}, 404: {}})
async def get_timeline(
    customer_id: CustomerId,
    session: Session,
    _: ShopKey,
    before: Annotated[datetime | None, Query(description="Only messages older than this")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> TimelineOut:
    """Every message of every conversation on every channel of the customer, oldest first."""
    customer = await _access(session, customer_id)
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
