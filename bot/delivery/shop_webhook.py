"""Events to the shop: one signed JSON POST per outbox row (DESIGN §9, issue "Events to the shop").

The body is sent as the exact bytes that were signed; the shop verifies
``X-Pishkhan-Signature: sha256=<hex HMAC-SHA256(raw body, PISHKHAN_SHOP_WEBHOOK_SECRET)>`` over the raw
request body before parsing it, and uses ``X-Pishkhan-Delivery`` (the event id, the same on every
retry) to ignore a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from bot import __version__
from bot.config import Settings
from bot.delivery.base import Delivered, OutboxItem, PermanentError, TransientError, parse_retry_after
from bot.storage.base import utcnow

SIGNATURE_HEADER = "X-Pishkhan-Signature"
EVENT_HEADER = "X-Pishkhan-Event"
DELIVERY_HEADER = "X-Pishkhan-Delivery"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
TRANSIENT_STATUSES = frozenset({408, 425, 429})
SNIPPET_CHARS = 300


def encode_body(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, Persian as is (not \\u-escaped): these bytes are signed and sent."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(raw: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def verify_signature(raw: bytes, secret: str, header: str | None) -> bool:
    """What the shop does with a delivery (and what our tests do): constant-time check over raw bytes."""
    return bool(header) and hmac.compare_digest(sign(raw, secret), header or "")


def webhook_secret(settings: Settings) -> str:
    secret = settings.shop_webhook_secret or settings.secret_key
    return secret.get_secret_value()


def make_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)


class ShopWebhookSender:
    """Delivers ``shop_event`` rows to the URL stored on the row (the webhook URL when it was queued)."""

    def __init__(
        self, settings: Settings, client: httpx.AsyncClient, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.settings, self.client, self.clock = settings, client, clock

    async def __call__(self, item: OutboxItem) -> Delivered:
        raw = encode_body(item.body)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"Pishkhan/{__version__}",
            SIGNATURE_HEADER: sign(raw, webhook_secret(self.settings)),
            EVENT_HEADER: str(item.body.get("event", "")),
            DELIVERY_HEADER: str(item.body.get("id", item.id)),
        }
        try:
            response = await self.client.post(item.target, content=raw, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise PermanentError(f"webhook URL not usable: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"no answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"connection failed ({type(exc).__name__}: {exc})") from exc
        return self.judge(response)

    def judge(self, response: httpx.Response) -> Delivered:
        status = response.status_code
        if 200 <= status < 300:
            return Delivered()
        reason = f"HTTP {status}"
        if 300 <= status < 400:
            reason += f": redirect to {response.headers.get('Location', '?')} not followed"
        elif snippet := " ".join(response.text.split())[:SNIPPET_CHARS]:
            reason += f": {snippet}"
        if status in TRANSIENT_STATUSES or status >= 500:
            wait = parse_retry_after(response.headers.get("Retry-After"), self.clock())
            raise TransientError(reason, retry_after=wait)
        raise PermanentError(reason)
