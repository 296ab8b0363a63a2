import json
import logging
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import identity, otp
from bot.services.otp import CheckResult, SendResult
from bot.services.sms import DevelopmentSmsProvider, KavenegarSmsProvider, SmsError, mask_phone, sms_provider
from bot.storage.base import utcnow
from bot.storage.models import AuditLog, Outbox, OutboxKind, OutboxStatus, VerificationCode

PHONE = "09121234567"


async def _identity_id(session: AsyncSession, name: str = "otp-user") -> int:
    found = await identity.resolve_identity(session, channel="rest", external_id=name)
    return found.id


async def _sent_code(session: AsyncSession, phone: str = PHONE) -> str:
    body = await session.scalar(
        select(Outbox.body)
        .where(Outbox.kind == OutboxKind.SMS, Outbox.target == phone)
        .order_by(Outbox.id.desc())
    )
    assert body is not None
    return next(word for word in body["text"].split() if word.isdigit() and len(word) == 6)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("482917", "482917"),
        ("۴۸۲۹۱۷", "482917"),
        ("٤٨٢ ٩١٧", "482917"),
        (" 48-29 17 ", "482917"),
        ("۴۸۲‌۹۱۷", "482917"),
    ],
)
def test_codes_are_read_in_any_digits_with_spaces(typed: str, code: str) -> None:
    assert otp.read_code(typed) == code


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "کد من", "48291a", "²³⁴⁵⁶⁷"])
def test_anything_else_is_not_a_code(typed: str) -> None:
    assert otp.read_code(typed) is None


def test_codes_are_six_random_digits_without_a_leading_zero() -> None:
    codes = {otp.generate_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() and c[0] != "0" for c in codes)
    assert len(codes) > 190


async def test_a_code_is_sent_recorded_and_only_its_hash_kept(
    session: AsyncSession, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    who = await _identity_id(session)
    with caplog.at_level(logging.DEBUG, logger="pishkhan"):
        assert await otp.send_code(session, settings, identity_id=who, phone=PHONE) is SendResult.SENT
    code = await _sent_code(session)
    row = await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.SMS))
    assert row is not None
    assert {k: row.body[k] for k in ("to", "text")} == {
        "to": PHONE,
        "text": otp.sms_text(settings.shop_name, code),
    }
    assert row.status == OutboxStatus.SENT and row.body["recorded"] is True  # development: never sent
    stored = await session.scalar(select(VerificationCode))
    assert stored is not None and code not in stored.code_hash and stored.phone == PHONE
    assert stored.expires_at - stored.created_at == timedelta(minutes=5)
    assert code not in caplog.text and PHONE not in caplog.text and "verification code sent" in caplog.text
    audit_rows = list(await session.scalars(select(AuditLog)))
    assert [a.action for a in audit_rows] == ["verification.sms_otp.sent"]
    assert code not in json.dumps([a.detail for a in audit_rows])


async def test_with_kavenegar_the_row_waits_for_the_sender(session: AsyncSession, settings: Settings) -> None:
    kavenegar = settings.model_copy(update={"sms_provider": "kavenegar", "kavenegar_api_key": SecretStr("k")})
    who = await _identity_id(session)
    await otp.send_code(session, kavenegar, identity_id=who, phone=PHONE)
    row = await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.SMS))
    assert row is not None and row.status == OutboxStatus.PENDING and set(row.body) == {"to", "text"}


async def test_the_right_code_works_once(session: AsyncSession, settings: Settings) -> None:
    who = await _identity_id(session)
    await otp.send_code(session, settings, identity_id=who, phone=PHONE)
    code = await _sent_code(session)
    check = otp.check_code
    assert await check(session, settings, identity_id=who, phone=PHONE, code=code) is CheckResult.OK
    assert await check(session, settings, identity_id=who, phone=PHONE, code=code) is CheckResult.EXPIRED


async def test_a_code_is_bound_to_who_asked_and_which_phone(
    session: AsyncSession, settings: Settings
) -> None:
    who, other = await _identity_id(session), await _identity_id(session, "someone-else")
    await otp.send_code(session, settings, identity_id=who, phone=PHONE)
    code = await _sent_code(session)
    assert (
        await otp.check_code(session, settings, identity_id=other, phone=PHONE, code=code)
        is CheckResult.EXPIRED
    )
    assert (
        await otp.check_code(session, settings, identity_id=who, phone="09350000000", code=code)
        is CheckResult.EXPIRED
    )
    assert await otp.check_code(session, settings, identity_id=who, phone=PHONE, code=code) is CheckResult.OK


async def test_a_code_expires_after_five_minutes(session: AsyncSession, settings: Settings) -> None:
    who, now = await _identity_id(session), utcnow()
    await otp.send_code(session, settings, identity_id=who, phone=PHONE, now=now)
    code = await _sent_code(session)
    late = now + timedelta(minutes=5)
    assert (
        await otp.check_code(session, settings, identity_id=who, phone=PHONE, code=code, now=late)
        is CheckResult.EXPIRED
    )
    in_time = now + timedelta(minutes=4, seconds=59)
    assert (
        await otp.check_code(session, settings, identity_id=who, phone=PHONE, code=code, now=in_time)
        is CheckResult.OK
    )


async def test_five_attempts_per_code(session: AsyncSession, settings: Settings) -> None:
    who = await _identity_id(session)
    await otp.send_code(session, settings, identity_id=who, phone=PHONE)
    code = await _sent_code(session)
    wrong = "012345"
    results = [
        await otp.check_code(session, settings, identity_id=who, phone=PHONE, code=wrong) for _ in range(5)
    ]
    assert results == [CheckResult.WRONG] * 4 + [CheckResult.LOCKED]
    assert (
        await otp.check_code(session, settings, identity_id=who, phone=PHONE, code=code) is CheckResult.LOCKED
    )
    stored = await session.scalar(select(VerificationCode))
    assert stored is not None and stored.attempts == 5 and stored.consumed_at is None
    checks = await session.scalars(
        select(AuditLog.detail).where(AuditLog.action == "verification.sms_otp.checked")
    )
    assert [d["result"] for d in checks] == ["wrong"] * 4 + ["locked", "locked"]


async def test_three_codes_per_identity_per_quarter_hour(session: AsyncSession, settings: Settings) -> None:
    who, now = await _identity_id(session), utcnow()
    sent = [
        await otp.send_code(
            session, settings, identity_id=who, phone=f"0912000000{i}", now=now + timedelta(minutes=i)
        )
        for i in range(4)
    ]
    assert sent == [SendResult.SENT] * 3 + [SendResult.RATE_LIMITED]
    later = now + timedelta(minutes=15, seconds=1)
    assert await otp.send_code(session, settings, identity_id=who, phone=PHONE, now=later) is SendResult.SENT
    refused = await session.scalar(
        select(AuditLog).where(AuditLog.action == "verification.sms_otp.rate_limited")
    )
    assert refused is not None


async def test_five_codes_per_phone_per_hour_whoever_asks(session: AsyncSession, settings: Settings) -> None:
    now = utcnow()
    askers = [await _identity_id(session, f"asker-{i}") for i in range(6)]
    sent = [
        await otp.send_code(session, settings, identity_id=who, phone=PHONE, now=now + timedelta(minutes=i))
        for i, who in enumerate(askers)
    ]
    assert sent == [SendResult.SENT] * 5 + [SendResult.RATE_LIMITED]
    assert (
        await otp.send_code(session, settings, identity_id=askers[5], phone="09350000000", now=now)
        is SendResult.SENT
    )
    an_hour_on = now + timedelta(hours=1, seconds=1)
    assert (
        await otp.send_code(session, settings, identity_id=askers[5], phone=PHONE, now=an_hour_on)
        is SendResult.SENT
    )


# -- providers --------------------------------------------------------------------------------------------


def test_the_provider_follows_settings(settings: Settings) -> None:
    assert isinstance(sms_provider(settings), DevelopmentSmsProvider)
    with pytest.raises(ValueError, match="KAVENEGAR_API_KEY"):
        sms_provider(settings.model_copy(update={"sms_provider": "kavenegar"}))
    assert mask_phone(PHONE) == "0912*****67"


def _kavenegar(handler) -> KavenegarSmsProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return KavenegarSmsProvider(
        api_key="KEY", sender="10004346", api_base="https://kn.test/v1", client=client
    )


async def test_kavenegar_sends_the_form_its_api_expects() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {
            "return": {"status": 200, "message": "تایید شد"},
            "entries": [{"messageid": 8792343, "status": 1}],
        }
        return httpx.Response(200, json=body)

    result = await _kavenegar(handler).send(to=PHONE, text="کد: 123456")
    assert result.message_id == "8792343"
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://kn.test/v1/KEY/sms/send.json"
    form = httpx.QueryParams(request.content.decode())
    assert dict(form) == {"receptor": PHONE, "message": "کد: 123456", "sender": "10004346"}


@pytest.mark.parametrize(
    ("status", "http_status", "retryable"),
    [(418, 418, True), (411, 411, False), (401, 401, False), (500, 500, True)],
)
async def test_kavenegar_refusals_say_whether_to_retry(
    status: int, http_status: int, retryable: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            http_status, json={"return": {"status": status, "message": "x"}, "entries": None}
        )

    with pytest.raises(SmsError) as caught:
        await _kavenegar(handler).send(to=PHONE, text="x")
    assert caught.value.retryable is retryable
    assert "KEY" not in str(caught.value)


async def test_kavenegar_unreachable_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(SmsError) as caught:
        await _kavenegar(handler).send(to=PHONE, text="x")
    assert caught.value.retryable and "KEY" not in str(caught.value)
