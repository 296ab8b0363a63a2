"""Request ids on every request and log line, and ``GET /metrics`` for Prometheus."""

from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.observability import Metrics, request_id
from bot.storage.models import Outbox, OutboxStatus

router = APIRouter(tags=["health"])
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Use the caller's X-Request-ID when it is a sane token, else make one; echo it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    async with request.app.state.sessionmaker() as session:
        rows = await session.execute(
            select(Outbox.channel, func.count())
            .where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
            .group_by(Outbox.channel)
        )
        backlog = dict(rows.all())
    for channel in {*backlog, *(c for c in request.app.state.channels)}:
        registry.outbox_backlog.labels(channel=channel).set(backlog.get(channel, 0))
    return Response(registry.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
