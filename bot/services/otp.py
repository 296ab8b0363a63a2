"""One-time codes by SMS (DESIGN §4): six digits, only their hash kept, five minutes, one use, five tries.

Codes go to whatever phone the customer names, whether or not a customer owns it, so the answer never
tells whether the phone is known; proving the phone is what links the channel user to its owner
(bot.services.identity.verify_with_phone). Sending is limited per channel identity and per phone. Every
send and check is audited; neither the code nor its hash ever reaches a log or the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit
from bot.services.sms import mask_phone, queue_sms
from bot.storage.base import utcnow
from bot.storage.models import VerificationCode
from bot.text.digits import to_ascii_digits, to_persian_digits

log = logging.getLogger("pishkhan.otp")

CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
CODES_PER_IDENTITY, IDENTITY_WINDOW = 3, timedelta(minutes=15)
CODES_PER_PHONE, PHONE_WINDOW = 5, timedelta(hours=1)
_CODE_SEPARATORS = re.compile(r"[\s\u200c\u200e\u200f\-_.]")


class SendResult(StrEnum):
    SENT = "sent"
    RATE_LIMITED = "rate_limited"


class CheckResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # try again: attempts remain
    EXPIRED = "expired"  # no live code for this phone (never sent, used, or timed out): send a new one
    LOCKED = "locked"  # the code's attempts are used up


def generate_code() -> str:
    # Never a leading zero: what the customer sees is what they type, and tests know a code that
    # can never be right (012345).
    return str(100_000 + secrets.randbelow(900_000))


def read_code(text: str) -> str | None:
    """The six digits the customer typed (Persian, Arabic-Indic or ASCII; spaces allowed), else None."""
    digits = _CODE_SEPARATORS.sub("", to_ascii_digits(text or ""))
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def hash_code(settings: Settings, *, identity_id: int, phone: str, code: str) -> str:
    """HMAC-SHA256 of the code bound to who asked and where it went, keyed with the secret key."""
    key = settings.secret_key.get_secret_value().encode()
    message = f"pishkhan/otp/v1:{identity_id}:{phone}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sms_text(shop_name: str, code: str) -> str:
    minutes = to_persian_digits(int(CODE_LIFETIME.total_seconds() // 60))
    return f"کد تأیید {shop_name}: {code}\nاین کد تا {minutes} دقیقه معتبر است. آن را به هیچ‌کس ندهید."


async def is_rate_limited(
    session: AsyncSession, *, identity_id: int, phone: str | None = None, now: datetime | None = None
) -> bool:
    now = now or utcnow()
    by_identity = await _count_since(
        session, VerificationCode.identity_id == identity_id, now - IDENTITY_WINDOW
    )
    if by_identity >= CODES_PER_IDENTITY:
        return True
    if phone is None:
        return False
    return await _count_since(session, VerificationCode.phone == phone, now - PHONE_WINDOW) >= CODES_PER_PHONE


async def send_code(
    session: AsyncSession,
    settings: Settings,
    *,
    identity_id: int,
    phone: str,
    conversation_id: int | None = None,
    now: datetime | None = None,
) -> SendResult:
    """Send a new code to ``phone`` (already normalised) for this channel identity, unless rate-limited."""
    now = now or utcnow()
    if await is_rate_limited(session, identity_id=identity_id, phone=phone, now=now):
        record(session, "rate_limited", identity_id)
        log.info("verification code refused for identity %s: rate limit", identity_id)
        return SendResult.RATE_LIMITED
    code = generate_code()
    session.add(
        VerificationCode(
            identity_id=identity_id,
            phone=phone,
            code_hash=hash_code(settings, identity_id=identity_id, phone=phone, code=code),
            expires_at=now + CODE_LIFETIME,
            attempts=0,
            created_at=now,
        )
    )
    queue_sms(
        session,
        settings,
        to=phone,
        text=sms_text(settings.shop_name, code),
        conversation_id=conversation_id,
        now=now,
    )
    record(session, "sent", identity_id)
    log.info("verification code sent to %s for identity %s", mask_phone(phone), identity_id)
    await session.flush()
    return SendResult.SENT


async def check_code(
    session: AsyncSession,
    settings: Settings,
    *,
    identity_id: int,
    phone: str,
    code: str,
    now: datetime | None = None,
) -> CheckResult:
    """Check the customer's answer against the latest code sent to ``phone`` for this identity."""
    now = now or utcnow()
    row = await session.scalar(
        select(VerificationCode)
        .where(VerificationCode.identity_id == identity_id, VerificationCode.phone == phone)
        .order_by(VerificationCode.id.desc())
        .limit(1)
    )
    if row is None or row.consumed_at is not None or now >= row.expires_at:
        result = CheckResult.EXPIRED
    elif row.attempts >= MAX_ATTEMPTS:
        result = CheckResult.LOCKED
    else:
        row.attempts += 1
        expected = hash_code(settings, identity_id=identity_id, phone=phone, code=code)
        if hmac.compare_digest(expected, row.code_hash):
            row.consumed_at = now
            result = CheckResult.OK
        else:
            result = CheckResult.LOCKED if row.attempts >= MAX_ATTEMPTS else CheckResult.WRONG
    record(session, "checked", identity_id, result=result.value)
    await session.flush()
    return result


async def _count_since(session: AsyncSession, condition: object, since: datetime) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(VerificationCode)
        .where(condition, VerificationCode.created_at >= since)  # type: ignore[arg-type]
    )
    return count or 0


def record(session: AsyncSession, what: str, identity_id: int, **detail: Any) -> None:
    """Audit a step of SMS verification (never with the code)."""
    audit.record(
        session,
        action=f"verification.sms_otp.{what}",
        subject_type="identity",
        subject_id=identity_id,
        actor_type="customer",
        actor_id=identity_id,
        detail=detail or None,
    )
