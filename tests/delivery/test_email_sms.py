"""Email over SMTP to a local server (or only recorded in development), SMS through the provider."""

from __future__ import annotations

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.sms import SmsSender
from bot.services.sms import SmsError, SmsResult
from bot.storage.models import OutboxKind, OutboxStatus
from tests.delivery.conftest import MakeSender, add_rows, rows_by_id
from tests.delivery.fakes import Clock, FakeSmtp

EMAIL_BODY = {
    "to": "sara.ahmadi@example.com",
    "from": "support@shop.example",
    "subject": "فاکتور سفارش ۱۰۰۰۰۰۴",
    "text": "فاکتور سفارش شما پیوست این ایمیل است.",
    "html": "<p dir='rtl'>فاکتور سفارش شما</p>",
}


def email_row(body: dict[str, object] | None = None) -> dict[str, object]:
    body = body or EMAIL_BODY
    return {
        "kind": OutboxKind.EMAIL,
        "channel": "email",
        "target": body["to"],
        "ordering_key": f"email:{body['to']}",
        "body": body,
    }


def smtp_settings(settings: Settings, server: FakeSmtp) -> Settings:
    return settings.model_copy(
        update={
            "email_mode": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_starttls": False,
        }
    )


async def test_development_mode_records_the_email_without_sending(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, fake_smtp: FakeSmtp, clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, email_row())
    await make_sender().drain()  # settings default to PISHKHAN_EMAIL_MODE=development
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.SENT and row.body == EMAIL_BODY
    assert fake_smtp.messages == []


async def test_smtp_delivers_a_persian_email(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    settings: Settings,
    fake_smtp: FakeSmtp,
    clock: Clock,
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, email_row())
    await make_sender(settings=smtp_settings(settings, fake_smtp)).drain()

    (message,) = fake_smtp.messages
    assert message["To"] == "sara.ahmadi@example.com"
    assert message["Subject"] == "فاکتور سفارش ۱۰۰۰۰۰۴"
    assert "support@shop.example" in message["From"]
    assert message.get_body(("plain",)).get_content().strip() == EMAIL_BODY["text"]
    assert "فاکتور سفارش شما" in message.get_body(("html",)).get_content()
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.SENT


async def test_a_refused_recipient_fails_and_a_busy_one_is_retried(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    settings: Settings,
    fake_smtp: FakeSmtp,
    clock: Clock,
) -> None:
    fake_smtp.refuse = {
        "gone@example.com": "550 5.1.1 no such user",
        "busy@example.com": "451 4.3.0 try later",
    }
    gone, busy = await add_rows(
        sessionmaker,
        clock,
        email_row({**EMAIL_BODY, "to": "gone@example.com"}),
        email_row({**EMAIL_BODY, "to": "busy@example.com"}),
    )
    await make_sender(settings=smtp_settings(settings, fake_smtp)).drain()

    rows = await rows_by_id(sessionmaker, gone, busy)
    assert rows[gone].status == OutboxStatus.FAILED and rows[gone].last_error == "recipient refused (550)"
    assert rows[busy].status == OutboxStatus.PENDING and rows[busy].last_error == "recipient refused (451)"
    assert fake_smtp.messages == []


async def test_an_unreachable_smtp_server_is_retried(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    settings: Settings,
    clock: Clock,
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, email_row())
    closed = settings.model_copy(update={"email_mode": "smtp", "smtp_host": "127.0.0.1", "smtp_port": 9})
    await make_sender(settings=closed).drain()
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.PENDING
    assert row.last_error is not None and row.last_error.startswith(
        "SMTP unavailable (ConnectionRefusedError"
    )


async def test_an_email_without_a_subject_fails_with_the_reason(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    settings: Settings,
    fake_smtp: FakeSmtp,
    clock: Clock,
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, email_row({**EMAIL_BODY, "subject": ""}))
    await make_sender(settings=smtp_settings(settings, fake_smtp)).drain()
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "email row needs a recipient, a subject and a text or html body"


def sms_row(text: str = "کد تأیید شما: ۴۸۲۹۱۳") -> dict[str, object]:
    return {
        "kind": OutboxKind.SMS,
        "channel": "sms",
        "target": "09121234567",
        "ordering_key": "sms:09121234567",
        "body": {"to": "09121234567", "text": text},
    }


async def test_the_development_sms_provider_only_records(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, clock: Clock
) -> None:
    (row_id,) = await add_rows(sessionmaker, clock, sms_row())
    await make_sender().drain()
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.SENT and row.body["text"] == "کد تأیید شما: ۴۸۲۹۱۳"


class ScriptedSms:
    name, records_only = "scripted", False

    def __init__(self, *steps: Exception | None) -> None:
        self.steps, self.sent = list(steps), []

    async def send(self, *, to: str, text: str) -> SmsResult:
        step = self.steps.pop(0) if self.steps else None
        if step is not None:
            raise step
        self.sent.append((to, text))
        return SmsResult(provider=self.name, message_id="m-1")


async def test_provider_errors_are_retried_or_failed_as_the_provider_says(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    settings: Settings,
    clock: Clock,
) -> None:
    retried, refused = await add_rows(
        sessionmaker, clock, sms_row(), {**sms_row(), "target": "09350000000", "ordering_key": "sms:0935"}
    )
    provider = ScriptedSms(
        SmsError("kavenegar unreachable", retryable=True), SmsError("411 bad number", retryable=False)
    )
    sender = make_sender()
    sender.registry.register("sms", SmsSender(settings, provider=provider))
    await sender.drain()

    rows = await rows_by_id(sessionmaker, retried, refused)
    assert (
        rows[retried].status == OutboxStatus.PENDING and rows[retried].last_error == "kavenegar unreachable"
    )
    assert rows[refused].status == OutboxStatus.FAILED and rows[refused].last_error == "411 bad number"
    clock.advance(seconds=10)
    await sender.drain()
    assert provider.sent == [("09121234567", "کد تأیید شما: ۴۸۲۹۱۳")]


async def test_kavenegar_is_reached_over_http(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    settings: Settings,
    clock: Clock,
) -> None:
    received: list[dict[str, str]] = []

    async def send(request: web.Request) -> web.Response:
        received.append(dict(await request.post()))  # type: ignore[arg-type]
        return web.json_response(
            {"return": {"status": 200, "message": "تایید شد"}, "entries": [{"messageid": 9}]}
        )

    app = web.Application()
    app.router.add_post("/v1/{key}/sms/send.json", send)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        configured = settings.model_copy(
            update={
                "sms_provider": "kavenegar",
                "kavenegar_api_key": SecretStr("k"),
                "kavenegar_api_base": f"http://{host}:{port}/v1",
            }
        )
        (row_id,) = await add_rows(sessionmaker, clock, sms_row())
        await make_sender(settings=configured).drain()
    finally:
        await runner.cleanup()
    assert received == [{"receptor": "09121234567", "message": "کد تأیید شما: ۴۸۲۹۱۳"}]
    row = (await rows_by_id(sessionmaker, row_id))[row_id]
    assert row.status == OutboxStatus.SENT
