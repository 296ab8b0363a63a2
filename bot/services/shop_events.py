"""Events to the shop: cancellation, return, warranty and privacy requests, delivered through the outbox
to ``PISHKHAN_SHOP_WEBHOOK_URL`` as signed JSON (the outbox sender signs and retries)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.base import utcnow
from bot.storage.models import Outbox, OutboxKind

SHOP_CHANNEL = "shop"


class ShopEvent:
    CANCELLATION_REQUESTED = "order.cancellation_requested"
    RETURN_REQUESTED = "return.requested"
    WARRANTY_CLAIMED = "warranty.claimed"
    PRIVACY_EXPORT = "privacy.export_requested"
    PRIVACY_ERASED = "privacy.erased"


def enqueue(session: AsyncSession, settings: Settings, *, event: str, data: dict[str, Any]) -> Outbox | None:
    """Queue an event for the shop's webhook; None (nothing queued) when the shop has not set one."""
    if not settings.shop_webhook_url:
        return None
    row = Outbox(
        kind=OutboxKind.SHOP_EVENT,
        channel=SHOP_CHANNEL,
        target=settings.shop_webhook_url,
        ordering_key=f"{SHOP_CHANNEL}:{settings.shop_webhook_url}",
        body={"id": uuid.uuid4().hex, "event": event, "occurred_at": utcnow().isoformat(), "data": data},
    )
    session.add(row)
    return row
