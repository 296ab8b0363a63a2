"""``GET /healthz``: can this worker serve, what version is it, and how is everything it leans on.

503 when the database is unreachable (nothing works without it). Redis down is a degradation, not an
outage: one worker still serves its own clients, so the answer stays 200 with ``"status": "degraded"``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text

from bot import __version__
from bot.storage.models import Outbox, OutboxStatus

router = APIRouter(tags=["health"])
TIMEOUT = 3


@router.get("/healthz", summary="Liveness: database, Redis and the outbox backlog")
async def healthz(request: Request) -> JSONResponse:
    content: dict[str, Any] = {"status": "ok", "version": __version__}
    try:
        async with asyncio.timeout(TIMEOUT), request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            backlog = await conn.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
            )
        content["database"] = "ok"
        content["outbox_backlog"] = backlog
    except Exception as exc:  # any failure to reach the database means "not healthy"
        content.update(status="unavailable", database=f"unavailable: {type(exc).__name__}")
    content["redis"] = await _redis(request)
    if content["status"] == "ok" and content["redis"] not in ("ok", "not configured"):
        content["status"] = "degraded"
    return JSONResponse(status_code=503 if content["status"] == "unavailable" else 200, content=content)


async def _redis(request: Request) -> str:
    bus = getattr(request.app.state, "bus", None)
    ping = getattr(bus, "ping", None)
    if ping is None:
        return "not configured"
    try:
        async with asyncio.timeout(TIMEOUT):
            await ping()
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    return "ok"
