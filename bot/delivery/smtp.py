"""Email rows: sent over SMTP from configuration, or (development) only recorded.

An ``email`` row (bot.services.email.queue_email) has the recipient as ``target`` and the body
``{"to", "from", "subject", "text", "html"?, "reply_to"?}``; ``to`` and ``from`` fall back to the target
and PISHKHAN_EMAIL_FROM. In development mode a row is marked sent without sending, its body kept for
inspection (queue_email already stores such rows as sent).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.config import Settings
from bot.delivery.base import Delivered, OutboxItem, PermanentError, TransientError

log = logging.getLogger("pishkhan.delivery")
TIMEOUT_SECONDS = 30.0
IMPLICIT_TLS_PORT = 465


def build_message(item: OutboxItem, settings: Settings) -> EmailMessage:
    body = item.body
    to = body.get("to") or item.target
    if not to or not body.get("subject") or not (body.get("text") or body.get("html")):
        raise PermanentError("email row needs a recipient, a subject and a text or html body")
    message = EmailMessage()
    sender = Address(display_name=settings.shop_name, addr_spec=body.get("from") or settings.email_from)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = body["subject"]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{item.id}", domain=sender.domain or None)
    if body.get("reply_to"):
        message["Reply-To"] = body["reply_to"]
    message.set_content(body.get("text") or "")
    if body.get("html"):
        message.add_alternative(body["html"], subtype="html")
    return message


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, item: OutboxItem) -> Delivered:
        if self.settings.email_mode == "development":
            log.info("email %s recorded in the outbox, not sent (PISHKHAN_EMAIL_MODE=development)", item.id)
            return Delivered()
        message = build_message(item, self.settings)
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reason = f"recipient refused ({', '.join(map(str, codes))})"
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentError(reason) from exc
            raise TransientError(reason) from exc
        except smtplib.SMTPAuthenticationError as exc:  # our configuration, not this message: retry
            raise TransientError(f"SMTP login refused ({exc.smtp_code})") from exc
        except smtplib.SMTPResponseException as exc:
            reason = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(reason) from exc
            raise TransientError(reason) from exc
        except (smtplib.SMTPException, OSError) as exc:  # timeouts, refused or dropped connections
            raise TransientError(f"SMTP unavailable ({type(exc).__name__}: {exc})") from exc
        return Delivered(external_id=str(message["Message-ID"]))

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_port == IMPLICIT_TLS_PORT:
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT_SECONDS)
        with smtp:
            if s.smtp_port != IMPLICIT_TLS_PORT and s.smtp_starttls:
                smtp.starttls(context=context)
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_username, password)
            smtp.send_message(message)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
