"""``POST /webhooks/telegram`` and ``POST /webhooks/bale``: updates from Telegram-compatible messengers.

The secret header is checked before anything is read; an update is answered as soon as it is stored
(Telegram re-sends anything slower than its timeout, and holds the chat's later updates meanwhile);
the inbound worker runs the turn. A database that cannot store it answers 503, so Telegram retries.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request

from bot.channels.telegram.adapter import PayloadError
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.instances import BALE, TELEGRAM

router = APIRouter(prefix="/webhooks", tags=["channels"])
log = logging.getLogger("pishkhan.telegram")
SecretHeader = Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")]
RESPONSES: dict[int | str, dict[str, str]] = {
    400: {"description": "not a Telegram update"},
    401: {"description": "missing or wrong secret token"},
    404: {"description": "this messenger is not configured"},
    503: {"description": "the update could not be stored; Telegram retries"},
}


def _channel(request: Request, name: str) -> TelegramChannel:
    plugin = getattr(request.app.state, "channels", {}).get(name)
    if plugin is None or not isinstance(plugin.adapter, TelegramChannel):
        raise HTTPException(
            status_code=404, detail=f"{name} is not configured (PISHKHAN_{name.upper()}_TOKEN)"
        )
    return plugin.adapter


async def _receive(request: Request, name: str, secret: str | None) -> dict[str, object]:
    channel = _channel(request, name)
    if not channel.accepts(secret):
        raise HTTPException(status_code=401, detail="X-Telegram-Bot-Api-Secret-Token missing or wrong")
    try:
        receipt = await channel.receive_raw(await request.body())
    except PayloadError as exc:
        # Telegram re-sends anything not answered 2xx, so whatever has an update_id is answered 200, its
        # unusable parts skipped. A body without one (not JSON, not an object, nested absurdly deep) is
        # not from Telegram at all but from whoever else holds the secret: they are told why.
        log.warning("%s webhook: body refused: %s", name, exc)
        raise HTTPException(status_code=400, detail=str(exc)) from None
    # Telegram reads a JSON body with a "method" key as a call to make; this one has none.
    return {"queued": receipt.queued, "duplicates": receipt.duplicates, "skipped": receipt.skipped}


@router.post(f"/{TELEGRAM}", summary="Telegram updates", responses=RESPONSES)
async def telegram_webhook(request: Request, secret: SecretHeader = None) -> dict[str, object]:
    return await _receive(request, TELEGRAM, secret)


@router.post(f"/{BALE}", summary="Bale (بله) updates, the Telegram Bot API shape", responses=RESPONSES)
async def bale_webhook(request: Request, secret: SecretHeader = None) -> dict[str, object]:
    return await _receive(request, BALE, secret)
