"""``GET /healthz``: is this worker able to serve, and which version is it."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and database status")
async def healthz(request: Request) -> JSONResponse:
    database = "ok"
    try:
        async with asyncio.timeout(3), request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not healthy"
        database = f"unavailable: {type(exc).__name__}"
    healthy = database == "ok"
    return JSONResponse(
        status_code=200 if healthy else 503,
        content={"status": "ok" if healthy else "unavailable", "version": __version__, "database": database},
    )
