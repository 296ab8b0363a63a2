"""Admin-only: the audit log, and a customer's data export and erasure (DESIGN §9)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from api.console.deps import CurrentAdmin, UnitOfWork
from api.deps import AppSettings
from api.v1.console_schemas import AuditOut, ErasedOut, EraseIn
from bot.services import audit, console, privacy
from bot.storage.base import utcnow
from bot.storage.models import AuditLog

router = APIRouter(tags=["console: admin"])
CustomerId = Annotated[int, Path(ge=1, le=2**62)]


@router.get(
    "/audit",
    response_model=list[AuditOut],
    summary="The audit log, newest first (admin)",
    responses={401: {}, 403: {}},
)
async def list_audit(
    signed_in: CurrentAdmin,
    work: UnitOfWork,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**62, description="Page: entries older than this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    action: Annotated[str | None, Query(max_length=64)] = None,
    subject_type: Annotated[str | None, Query(max_length=32)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditOut]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    for column, value in (
        (AuditLog.action, action),
        (AuditLog.subject_type, subject_type),
        (AuditLog.subject_id, subject_id),
    ):
        if value:
            query = query.where(column == value)
    return [AuditOut.model_validate(row) for row in await work.session.scalars(query)]


@router.post(
    "/customers/{customer_id}/export",
    summary="Everything held about a customer, as a JSON download (admin; audited)",
    responses={200: {"content": {"application/json": {}}}, 401: {}, 403: {}, 404: {}},
)
async def export_customer(customer_id: CustomerId, signed_in: CurrentAdmin, work: UnitOfWork) -> Response:
    customer = await console.access_customer(work.session, signed_in.agent, customer_id)
    data = await privacy.export_customer(work.session, customer)
    audit.record(
        work.session,
        action="privacy.export.by_agent",
        subject_type="customer",
        subject_id=customer.id,
        actor_type="agent",
        actor_id=signed_in.agent.id,
    )
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="customer-{customer.id}-{utcnow():%Y%m%d}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/customers/{customer_id}/erase",
    response_model=ErasedOut,
    summary="Erase a customer's personal data; orders stay, unlinked from the person (admin; audited)",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def erase_customer(
    customer_id: CustomerId, _body: EraseIn, signed_in: CurrentAdmin, work: UnitOfWork, settings: AppSettings
) -> ErasedOut:
    customer = await console.access_customer(work.session, signed_in.agent, customer_id)
    if customer.erased_at is not None:
        raise console.Conflict("اطلاعات این مشتری پیش‌تر پاک شده است.")
    # privacy.erase_customer records the customer as the actor; the agent who asked is recorded here.
    await privacy.erase_customer(work.session, settings, customer=customer, identity_id=None)  # type: ignore[arg-type]
    audit.record(
        work.session,
        action="privacy.erased.by_agent",
        subject_type="customer",
        subject_id=customer.id,
        actor_type="agent",
        actor_id=signed_in.agent.id,
    )
    work.publish({"type": "customer.erased", "customer_id": customer.id})
    return ErasedOut(customer_id=customer.id, erased_at=customer.erased_at or utcnow())
