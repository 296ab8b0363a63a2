"""Email to customers (invoices): queued in the outbox, sent by the outbox sender over SMTP.

An outbox row of kind ``email`` has the body ``{"to", "from", "subject", "text", "html"?}``: ``text`` is
the plain-text part and ``html``, when present, the alternative HTML part. With
``PISHKHAN_EMAIL_MODE=development`` (the default) nothing is sent: the row is stored already marked
``sent`` with ``"recorded": true``, so the message can be read from the outbox table.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.base import utcnow
from bot.storage.models import Outbox, OutboxKind, OutboxStatus

log = logging.getLogger("pishkhan.email")
EMAIL_CHANNEL = "email"


def queue_email(
    session: AsyncSession,
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    conversation_id: int | None = None,
    now: datetime | None = None,
) -> Outbox:
    now = now or utcnow()
    body: dict[str, object] = {"to": to, "from": settings.email_from, "subject": subject, "text": text}
    if html is not None:
        body["html"] = html
    row = Outbox(
        kind=OutboxKind.EMAIL,
        channel=EMAIL_CHANNEL,
        target=to,
        ordering_key=f"{EMAIL_CHANNEL}:{to}",
        conversation_id=conversation_id,
        body=body,
        created_at=now,
        next_attempt_at=now,
    )
    if settings.email_mode == "development":
        row.status, row.sent_at = OutboxStatus.SENT, now
        row.body = {**body, "recorded": True}
    session.add(row)
    log.info("email queued (%s)", "recorded" if settings.email_mode == "development" else "smtp")
    return row
