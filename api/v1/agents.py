"""Agents: everyone sees who works here (to transfer to); admins add and deactivate accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from api.console.deps import CurrentAdmin, CurrentAgent, UnitOfWork
from api.v1.console_schemas import AgentDetailOut, AgentIn, AgentOut
from bot.services import agents

router = APIRouter(prefix="/agents", tags=["console: agents"])
AgentId = Annotated[int, Path(ge=1, le=2**62)]


@router.get(
    "",
    response_model=list[AgentDetailOut] | list[AgentOut],
    summary="Agents (details for admins)",
    responses={401: {}},
)
async def list_agents(signed_in: CurrentAgent, work: UnitOfWork) -> list[AgentDetailOut] | list[AgentOut]:
    rows = await agents.list_agents(work.session)
    if signed_in.is_admin:
        return [AgentDetailOut.model_validate(a) for a in rows]
    return [AgentOut.model_validate(a) for a in rows if a.active]


@router.post(
    "",
    status_code=201,
    response_model=AgentDetailOut,
    summary="Add an agent (admin)",
    responses={401: {}, 403: {}, 422: {}},
)
async def create_agent(body: AgentIn, signed_in: CurrentAdmin, work: UnitOfWork) -> AgentDetailOut:
    agent = await agents.create_agent(
        work.session,
        email=body.email,
        name=body.name,
        role=body.role,
        password=body.password,
        actor_id=signed_in.agent.id,
    )
    return AgentDetailOut.model_validate(agent)


async def _set_active(
    agent_id: int, active: bool, signed_in: CurrentAdmin, work: UnitOfWork
) -> AgentDetailOut:
    agent = await agents.access_agent(work.session, agent_id)
    if agent is None:
        raise HTTPException(status_code=404, detail="کارشناسی با این شناسه نیست.")
    await agents.set_active(work.session, agent=agent, active=active, actor_id=signed_in.agent.id)
    return AgentDetailOut.model_validate(agent)


@router.post(
    "/{agent_id}/deactivate",
    response_model=AgentDetailOut,
    summary="Deactivate (admin); the agent is signed out everywhere",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def deactivate(agent_id: AgentId, signed_in: CurrentAdmin, work: UnitOfWork) -> AgentDetailOut:
    return await _set_active(agent_id, False, signed_in, work)


@router.post(
    "/{agent_id}/activate",
    response_model=AgentDetailOut,
    summary="Activate again (admin)",
    responses={401: {}, 403: {}, 404: {}},
)
async def activate(agent_id: AgentId, signed_in: CurrentAdmin, work: UnitOfWork) -> AgentDetailOut:
    return await _set_active(agent_id, True, signed_in, work)
