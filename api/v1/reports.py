"""KPI reports for a range of days given in the Jalali calendar (or ISO)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.console.deps import CurrentAgent, UnitOfWork
from bot.services import reports

router = APIRouter(prefix="/reports", tags=["console: reports"])
Day = Annotated[
    str | None,
    Query(max_length=10, description="A day: Jalali 1405-09-01 or ۱۴۰۵/۰۹/۰۱, or ISO 2026-11-22"),
]


@router.get(
    "/summary",
    summary="Conversations, containment, handoffs, response and resolution times, CSAT — overall, per "
    "channel, agent and day (default: the last 30 days)",
    responses={401: {}, 422: {}},
)
async def summary(
    _signed_in: CurrentAgent,
    work: UnitOfWork,
    from_: Annotated[Day, Query(alias="from")] = None,
    to: Day = None,
) -> dict[str, Any]:
    period = reports.make_period(from_, to)
    return await reports.summary(work.session, period)
