"""``GET|POST /webhooks/instagram``: Meta's subscription handshake and its signed event notifications.

A POST is answered as soon as its messages are stored (Meta retries anything slower than a few seconds
and disables a webhook that keeps failing); the inbound worker runs the turns.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from bot.channels.instagram import NAME, InstagramChannel, Signature
from bot.channels.instagram.adapter import PayloadError

router = APIRouter(prefix="/webhooks/instagram", tags=["channels"])
log = logging.getLogger("pishkhan.instagram")
# Meta's challenge is a number; anything else is not echoed back (a reflected-XSS vector otherwise)
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _channel(request: Request) -> InstagramChannel:
    plugin = getattr(request.app.state, "channels", {}).get(NAME)
    if plugin is None:
        raise HTTPException(
            status_code=404, detail="Instagram is not configured (PISHKHAN_INSTAGRAM_APP_SECRET)"
        )
    return plugin.adapter


@router.get("", summary="Meta's webhook verification", response_class=PlainTextResponse, responses={403: {}})
async def verify_subscription(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    if not _channel(request).check_subscription(mode, token):
        raise HTTPException(status_code=403, detail="wrong hub.mode or hub.verify_token")
    if challenge is None or not _CHALLENGE.fullmatch(challenge):
        raise HTTPException(status_code=400, detail="hub.challenge missing or not alphanumeric")
    return PlainTextResponse(challenge)


@router.post("", summary="Instagram messaging events", responses={400: {}, 401: {}, 403: {}, 503: {}})
async def receive_events(request: Request) -> dict[str, object]:
    channel = _channel(request)
    raw = await request.body()  # the exact bytes Meta signed; never re-serialised
    signature = channel.check_signature(raw, request.headers.get("x-hub-signature-256"))
    if signature is Signature.MISSING:
        raise HTTPException(status_code=401, detail="X-Hub-Signature-256 missing")
    if signature is not Signature.OK:
        raise HTTPException(status_code=403, detail="X-Hub-Signature-256 does not match the body")
    try:
        receipt = await channel.receive(raw)
    except PayloadError as exc:
        # Meta retries a failed delivery and disables a webhook that keeps failing, so a notification is
        # answered 200 with the items it cannot use skipped. A body that is not a JSON object at all is
        # not Meta's: whoever sent it with the app secret is told why.
        log.warning("instagram webhook: body refused: %s", exc)
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return {"queued": receipt.queued, "duplicates": receipt.duplicates, "skipped": receipt.skipped}
