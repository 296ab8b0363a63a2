"""Rasa's REST channel: the turn completes before the answer, which carries the bot's replies."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request

from api.background import publish_turn
from api.deps import AppSettings
from api.runtime import get_runtime
from bot.channels.rest import RestChannel, RestMessageIn

router = APIRouter(prefix="/webhooks/rest", tags=["channels"])
channel = RestChannel()


@router.get("/", summary="REST channel health")
async def rest_health() -> dict[str, str]:
    return {"status": "ok"}


async def check_rest_token(
    settings: AppSettings, authorization: Annotated[str | None, Header()] = None
) -> None:
    """A dependency, so that it runs before the body's fields are validated: a caller without the token
    is told 401, not what a valid body looks like."""
    if settings.rest_token is not None:
        expected = f"Bearer {settings.rest_token.get_secret_value()}".encode()
        if not hmac.compare_digest((authorization or "").encode(), expected):
            raise HTTPException(status_code=401, detail="missing or wrong REST token")


@router.post(
    "/webhook",
    summary="Send a message, get the bot's replies",
    responses={401: {}, 503: {}},
    dependencies=[Depends(check_rest_token)],
)
async def rest_webhook(body: RestMessageIn, request: Request) -> list[dict[str, Any]]:
    runtime = get_runtime(request)
    inbound = channel.parse(body)
    async with (
        request.app.state.rest_turns,  # a burst waits here, not on the connection pool (which times out)
        runtime.locks.hold(f"{inbound.channel}:{inbound.external_user_id}"),
        request.app.state.sessionmaker() as session,
        session.begin(),
    ):
        result = await runtime.conversations.process(session, inbound, deliver_via_outbox=False)
    await publish_turn(request.app.state.bus, result)
    return channel.render(body.sender, [message for _, message in result.replies])
