"""Merging two customers into one, recorded so an admin can undo it exactly (DESIGN §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.storage.base import utcnow
from bot.storage.models import (
    Conversation,
    CsatResponse,
    Customer,
    CustomerMerge,
    Identity,
    Note,
    Order,
    ReturnRequest,
    WarrantyClaim,
)

# Everything that belongs to a customer and moves with a merge, by the key it is recorded under.
OWNED = {
    "conversations": Conversation,
    "identities": Identity,
    "orders": Order,
    "return_requests": ReturnRequest,
    "warranty_claims": WarrantyClaim,
    "notes": Note,
    "csat_responses": CsatResponse,
}
PROFILE_FIELDS = ("name", "phone", "email", "loyalty_card")


class MergeError(Exception):
    """The merge or unmerge cannot be done as asked; the message says why."""


async def merge_customers(
    session: AsyncSession,
    *,
    source_id: int,
    target_id: int,
    reason: str,
    actor_agent_id: int | None = None,
    identity_state: dict[str, Any] | None = None,
) -> CustomerMerge:
    """Move everything of ``source`` to ``target`` and mark ``source`` as merged into it."""
    source = await session.get(Customer, source_id)
    target = await session.get(Customer, target_id)
    if source is None or target is None:
        raise MergeError("both customers must exist")
    if source.id == target.id:
        raise MergeError("a customer cannot be merged into itself")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise MergeError("one of the customers is already merged into another")
    moved: dict[str, Any] = {}
    for key, model in OWNED.items():
        ids = list(await session.scalars(select(model.id).where(model.customer_id == source.id)))
        moved[key] = ids
        if ids:
            await session.execute(
                update(model).where(model.id.in_(ids)).values(customer_id=target.id),
                execution_options={"synchronize_session": "fetch"},
            )
    moved["filled_fields"] = _fill_profile(target, source)
    moved["identity_state"] = identity_state or {}
    source.merged_into_id, source.merged_at = target.id, utcnow()
    merge = CustomerMerge(
        source_id=source.id, target_id=target.id, reason=reason, actor_agent_id=actor_agent_id, moved=moved
    )
    session.add(merge)
    await session.flush()
    audit.record(
        session,
        action="customer.merge",
        subject_type="customer",
        subject_id=target.id,
        actor_type="agent" if actor_agent_id else "system",
        actor_id=actor_agent_id,
        detail={"merge_id": merge.id, "source_id": source.id, "reason": reason},
    )
    return merge


async def unmerge(
    session: AsyncSession, *, merge_id: int, actor_agent_id: int | None = None
) -> CustomerMerge:
    """Undo a merge: put back what moved (and what arrived since through the moved identities)."""
    merge = await session.get(CustomerMerge, merge_id)
    if merge is None:
        raise MergeError(f"merge {merge_id} does not exist")
    if merge.undone_at is not None:
        raise MergeError(f"merge {merge_id} was already undone")
    source = await session.get(Customer, merge.source_id)
    target = await session.get(Customer, merge.target_id)
    assert source is not None and target is not None
    if target.merged_into_id is not None:
        raise MergeError(f"customer {target.id} was merged again since; undo that merge first")
    moved = merge.moved
    identity_ids = moved.get("identities", [])
    for key, model in OWNED.items():
        ids = moved.get(key, [])
        condition = model.id.in_(ids)
        if model is Conversation and identity_ids:
            condition = or_(condition, Conversation.identity_id.in_(identity_ids))
        await session.execute(
            update(model).where(condition, model.customer_id == target.id).values(customer_id=source.id),
            execution_options={"synchronize_session": "fetch"},
        )
    await _restore_identity_state(session, moved.get("identity_state", {}))
    for name in moved.get("filled_fields", []):
        if getattr(target, name) == getattr(source, name):
            setattr(target, name, None)
    source.merged_into_id, source.merged_at = None, None
    merge.undone_at = utcnow()
    await session.flush()
    audit.record(
        session,
        action="customer.unmerge",
        subject_type="customer",
        subject_id=target.id,
        actor_type="agent" if actor_agent_id else "system",
        actor_id=actor_agent_id,
        detail={"merge_id": merge.id, "source_id": source.id},
    )
    return merge


def _fill_profile(target: Customer, source: Customer) -> list[str]:
    filled = []
    for name in PROFILE_FIELDS:
        if getattr(target, name) is None and getattr(source, name) is not None:
            setattr(target, name, getattr(source, name))
            filled.append(name)
    return filled


async def _restore_identity_state(session: AsyncSession, states: dict[str, Any]) -> None:
    for identity_id, state in states.items():
        identity = await session.get(Identity, int(identity_id))
        if identity is None:
            continue
        identity.verified = state["verified"]
        identity.method = state["method"]
        verified_at = state["verified_at"]
        identity.verified_at = datetime.fromisoformat(verified_at) if verified_at else None
