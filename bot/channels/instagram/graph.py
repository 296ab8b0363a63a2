"""The Graph API Send endpoint over httpx (channels.md §3.4), and what its errors mean for delivery.

The base URL comes from settings (``PISHKHAN_GRAPH_API_BASE``), so tests reach a local fake with this
same code. The token travels in the Authorization header, never the query string, where request logs
(httpx logs every URL at INFO) would keep it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bot.delivery import DeliveryError, PermanentError, TransientError, parse_retry_after
from bot.storage.base import utcnow

log = logging.getLogger("pishkhan.instagram")

WINDOW_SUBCODES = frozenset({2534022, 2018278})  # "This message is sent outside of allowed window"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TRANSIENT_CODES = frozenset({1, 2})  # "an unknown error … retry later"
TOKEN_CODE = 190
UNREACHABLE_CODE = 551


@dataclass(eq=False)  # not frozen: raising sets attributes (__traceback__, __notes__) on it
class GraphError(Exception):
    """An error answer of the Graph API: ``{"error": {"message", "type", "code", "error_subcode", …}}``."""

    status: int
    code: int | None
    subcode: int | None
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        numbers = (
            "/".join(str(n) for n in (self.code, self.subcode) if n is not None) or f"HTTP {self.status}"
        )
        return f"Graph API error {numbers}: {self.message}"


class GraphUnavailable(Exception):
    """No answer: a timeout, a refused or dropped connection."""


class GraphClient:
    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        account_id: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 50,
    ) -> None:
        # /me/messages works for both API flavours; an explicit IG account (or Page) id is the documented form
        self.url = f"{base_url.rstrip('/')}/{account_id or 'me'}/messages"
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {access_token}"},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, request: dict[str, Any]) -> str | None:
        """POST one Send API body; the ``message_id`` (mid) Meta gave it, or raise GraphError/GraphUnavailable."""
        try:
            response = await self._http.post(self.url, json=request)
        except httpx.TimeoutException as exc:
            raise GraphUnavailable(f"no answer from the Graph API ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise GraphUnavailable(f"Graph API unreachable ({type(exc).__name__})") from None
        data = _json(response)
        if response.is_success and "error" not in data:
            mid = data.get("message_id")
            return str(mid) if mid else None
        raise read_error(response.status_code, data, response.headers, now=utcnow())


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def read_error(status: int, data: dict[str, Any], headers: Any, *, now: datetime) -> GraphError:
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    return GraphError(
        status=status,
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        message=str(error.get("message") or f"HTTP {status}")[:300],
        retry_after=parse_retry_after(headers.get("retry-after"), now) or _usage_wait(headers),
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _usage_wait(headers: Any) -> float | None:
    """Meta tells how long a throttled app must wait in X-Business-Use-Case-Usage (minutes), not Retry-After."""
    try:
        usage = json.loads(headers.get("x-business-use-case-usage") or "{}")
        minutes = [
            float(entry.get("estimated_time_to_regain_access") or 0)
            for entries in usage.values()
            for entry in entries
        ]
    except (ValueError, TypeError, AttributeError):
        return None
    longest = max(minutes, default=0.0)
    return longest * 60 if longest > 0 else None


def classify(error: GraphError) -> DeliveryError:
    """What the outbox does about a Graph error: retry later (TransientError) or record it as failed,
    with a reason an agent can read in the console (PermanentError)."""
    if error.code == 10 and error.subcode in WINDOW_SUBCODES:
        return PermanentError(f"outside Instagram's 24-hour window: Instagram refused the message ({error})")
    if error.code in RATE_LIMIT_CODES or error.status == 429:
        return TransientError(f"rate limited by Instagram ({error})", retry_after=error.retry_after)
    if error.code == TOKEN_CODE:
        return PermanentError(
            f"Instagram access token invalid or expired; renew PISHKHAN_INSTAGRAM_ACCESS_TOKEN ({error})"
        )
    if error.code == UNREACHABLE_CODE:
        return PermanentError(f"the customer cannot be reached on Instagram ({error})")
    if error.code in TRANSIENT_CODES or error.status >= 500:
        return TransientError(str(error), retry_after=error.retry_after)
    return PermanentError(f"Instagram refused the message ({error})")
