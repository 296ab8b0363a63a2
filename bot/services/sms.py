"""Text messages (one-time codes): queued in the outbox, delivered by a provider (DESIGN §4).

``queue_sms`` adds an outbox row of kind ``sms`` with the body ``{"to": "09…", "text": "…"}``; the
outbox sender hands it to ``sms_provider(settings).send(to=…, text=…)``. With the development provider
(the default) nothing is ever sent: the row is stored already marked ``sent`` with ``"recorded": true``
in its body, so a developer reads the message (and a code) from the outbox table. No log line carries
an SMS's text or a phone in clear.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.base import utcnow
from bot.storage.models import Outbox, OutboxKind, OutboxStatus

log = logging.getLogger("pishkhan.sms")
SMS_CHANNEL = "sms"


class SmsError(Exception):
    """The provider did not take the message; ``retryable`` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class SmsResult:
    provider: str
    message_id: str | None = None


class SmsProvider(Protocol):
    name: str
    records_only: bool  # True: messages are only recorded in the outbox, never sent

    async def send(self, *, to: str, text: str) -> SmsResult: ...


class DevelopmentSmsProvider:
    """Sends nothing: the outbox row is the record (DESIGN §4, "in development it is stored")."""

    name = "development"
    records_only = True

    async def send(self, *, to: str, text: str) -> SmsResult:
        log.info("sms to %s recorded, not sent (development provider)", mask_phone(to))
        return SmsResult(provider=self.name)


class KavenegarSmsProvider:
    """Kavenegar's REST API: ``POST {base}/{api_key}/sms/send.json`` with receptor, sender, message."""

    name = "kavenegar"
    records_only = False

    def __init__(
        self,
        *,
        api_key: str,
        sender: str | None,
        api_base: str = "https://api.kavenegar.com/v1",
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._api_key, self._sender = api_key, sender
        self._api_base = api_base.rstrip("/")
        self._client, self._timeout = client, timeout

    async def send(self, *, to: str, text: str) -> SmsResult:
        data = {"receptor": to, "message": text}
        if self._sender:
            data["sender"] = self._sender
        url = f"{self._api_base}/{self._api_key}/sms/send.json"  # the key is in the path: never log it
        try:
            if self._client is not None:
                response = await self._client.post(url, data=data, timeout=self._timeout)
            else:
                async with httpx.AsyncClient() as client:
                    response = await client.post(url, data=data, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise SmsError(f"kavenegar unreachable: {type(exc).__name__}", retryable=True) from None
        return self._result(response)

    def _result(self, response: httpx.Response) -> SmsResult:
        try:
            body = response.json()
            status = int(body["return"]["status"])
            message = str(body["return"].get("message", ""))
        except (ValueError, KeyError, TypeError):
            raise SmsError(f"kavenegar answered HTTP {response.status_code}", retryable=True) from None
        if status != 200:
            # 4xx: a wrong key, sender or number, which retrying cannot fix; except 418 (no credit yet)
            # and 429; 5xx and anything else may pass later.
            retryable = not 400 <= status < 500 or status in (418, 429)
            raise SmsError(f"kavenegar refused: {status} {message}", retryable=retryable)
        entries = body.get("entries") or [{}]
        message_id = entries[0].get("messageid") if isinstance(entries[0], dict) else None
        return SmsResult(provider=self.name, message_id=None if message_id is None else str(message_id))


def sms_provider(settings: Settings, *, client: httpx.AsyncClient | None = None) -> SmsProvider:
    if settings.sms_provider == "kavenegar":
        if settings.kavenegar_api_key is None:
            raise ValueError("PISHKHAN_KAVENEGAR_API_KEY must be set when PISHKHAN_SMS_PROVIDER=kavenegar")
        return KavenegarSmsProvider(
            api_key=settings.kavenegar_api_key.get_secret_value(),
            sender=settings.kavenegar_sender,
            api_base=settings.kavenegar_api_base,
            client=client,
        )
    return DevelopmentSmsProvider()


def queue_sms(
    session: AsyncSession,
    settings: Settings,
    *,
    to: str,
    text: str,
    conversation_id: int | None = None,
    now: datetime | None = None,
) -> Outbox:
    """Queue a text message to ``to`` (a normalised phone); recorded as sent by the development provider."""
    now = now or utcnow()
    provider = sms_provider(settings)
    row = Outbox(
        kind=OutboxKind.SMS,
        channel=SMS_CHANNEL,
        target=to,
        ordering_key=f"{SMS_CHANNEL}:{to}",
        conversation_id=conversation_id,
        body={"to": to, "text": text},
        created_at=now,
        next_attempt_at=now,
    )
    if provider.records_only:
        row.status, row.sent_at = OutboxStatus.SENT, now
        row.body = {**row.body, "recorded": True, "provider": provider.name}
    session.add(row)
    return row


def mask_phone(phone: str) -> str:
    """``09121234567`` → ``0912*****67``: enough to tell numbers apart in a log, not to dial one."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:4] + "*" * (len(phone) - 6) + phone[-2:]
