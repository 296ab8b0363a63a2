"""Canned responses: every agent reads them (filled for a conversation); admins write them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.console.deps import CurrentAdmin, CurrentAgent, UnitOfWork
from api.v1.console_schemas import CannedIn, CannedOut
from bot.services import canned, console

router = APIRouter(prefix="/canned-responses", tags=["console: canned responses"])
CannedId = Annotated[int, Path(ge=1, le=2**62)]


@router.get(
    "",
    response_model=list[CannedOut],
    summary="All canned responses; with conversation_id, each also filled for that conversation",
    responses={401: {}, 403: {}, 404: {}},
)
async def list_canned(
    signed_in: CurrentAgent,
    work: UnitOfWork,
    conversation_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[CannedOut]:
    rows = [CannedOut.model_validate(r) for r in await canned.list_canned(work.session)]
    if conversation_id is not None:
        conversation = await console.access_conversation(work.session, signed_in.agent, conversation_id)
        customer = await console.access_customer(work.session, signed_in.agent, conversation.customer_id)
        values = await canned.placeholder_values(work.session, customer)
        for row in rows:
            row.filled = canned.fill(row.text, values)
    return rows


@router.post(
    "",
    status_code=201,
    response_model=CannedOut,
    summary="Add one (admin)",
    responses={401: {}, 403: {}, 422: {}},
)
async def create_canned(body: CannedIn, signed_in: CurrentAdmin, work: UnitOfWork) -> CannedOut:
    row = await canned.create_canned(
        work.session, signed_in.agent, shortcut=body.shortcut, title=body.title, text=body.text
    )
    return CannedOut.model_validate(row)


@router.put(
    "/{canned_id}",
    response_model=CannedOut,
    summary="Change one (admin)",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def update_canned(
    canned_id: CannedId, body: CannedIn, signed_in: CurrentAdmin, work: UnitOfWork
) -> CannedOut:
    row = await canned.update_canned(
        work.session, signed_in.agent, canned_id, shortcut=body.shortcut, title=body.title, text=body.text
    )
    return CannedOut.model_validate(row)


@router.delete(
    "/{canned_id}", status_code=204, summary="Remove one (admin)", responses={401: {}, 403: {}, 404: {}}
)
async def delete_canned(canned_id: CannedId, signed_in: CurrentAdmin, work: UnitOfWork) -> Response:
    await canned.delete_canned(work.session, signed_in.agent, canned_id)
    return Response(status_code=204)
