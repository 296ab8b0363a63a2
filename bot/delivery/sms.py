"""SMS rows: handed to the provider PISHKHAN_SMS_PROVIDER chooses (bot.services.sms).

An ``sms`` row's body is ``{"to": "09…", "text": "…"}`` (``target`` is the phone too). A provider that
only records (development) leaves the row as the record and sends nothing.
"""

from __future__ import annotations

import httpx

from bot.config import Settings
from bot.delivery.base import Delivered, OutboxItem, PermanentError, TransientError
from bot.services.sms import SmsError, SmsProvider, sms_provider


class SmsSender:
    def __init__(
        self,
        settings: Settings,
        *,
        provider: SmsProvider | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings, self.client = settings, client
        self._provider = provider

    def provider(self) -> SmsProvider:
        if self._provider is None:
            try:
                self._provider = sms_provider(self.settings, client=self.client)
            except ValueError as exc:  # misconfigured (no API key): fixable, so the row waits
                raise TransientError(f"SMS provider not configured: {exc}") from exc
        return self._provider

    async def __call__(self, item: OutboxItem) -> Delivered:
        provider = self.provider()
        to, text = item.body.get("to") or item.target, item.body.get("text")
        if not to or not text:
            raise PermanentError("sms row needs a phone and a text")
        if provider.records_only:
            return Delivered()
        try:
            result = await provider.send(to=to, text=text)
        except SmsError as exc:
            if exc.retryable:
                raise TransientError(str(exc)) from exc
            raise PermanentError(str(exc)) from exc
        return Delivered(external_id=result.message_id)
