"""Live console updates as Server-Sent Events, fed by the event bus (Redis when several workers run).

Events carry ids and states only (never names or text); the page re-reads what it shows through the
permission-checked API, so an agent learns nothing from an event they could not read anyway.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.console.deps import CurrentAgent
from bot.storage.base import utcnow

router = APIRouter(tags=["console: live"])
KEEPALIVE_SECONDS = 15.0


@router.get(
    "/events",
    summary="Server-Sent Events: conversation.updated (queue and conversation changes)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 401: {}},
)
async def events(request: Request, signed_in: CurrentAgent) -> StreamingResponse:
    session_id, expires_at = signed_in.live.id, signed_in.live.expires_at
    return StreamingResponse(
        _stream(request, session_id=session_id, expires_at=expires_at),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(request: Request, *, session_id: int, expires_at: Any) -> AsyncIterator[str]:
    async with request.app.state.bus.subscribe("console") as queue:
        yield "retry: 3000\n: connected\n\n"
        while utcnow() < expires_at and not await request.is_disconnected():
            try:
                event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event.get("type") == "session.ended":
                if event.get("session_id") == session_id:
                    yield "event: session.ended\ndata: {}\n\n"
                    return
                continue
            data = {k: v for k, v in event.items() if k != "topic"}
            yield f"event: {event.get('type', 'message')}\ndata: {json.dumps(data)}\n\n"
