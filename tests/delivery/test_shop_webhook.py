"""Shop events over real HTTP to a local shop endpoint: signature, retries, Retry-After, failures."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import parse_retry_after
from bot.delivery.shop_webhook import encode_body, verify_signature
from bot.services import cancellation, orders, shop_events
from bot.services.shop_events import ShopEvent
from bot.storage.models import Outbox, OutboxStatus
from tests.delivery.conftest import MakeSender, rows_by_id
from tests.delivery.fakes import Clock, FakeShop, Reply
from tests.shop import load_known_shop

SECRET = "shop-webhook-secret"
DATA = {"order_number": "1000004", "reason": "دیر شد؛ منصرف شدم", "customer_name": "سارا احمدی"}


def shop_settings(settings: Settings, url: str, **changes: object) -> Settings:
    return settings.model_copy(
        update={"shop_webhook_url": url, "shop_webhook_secret": SecretStr(SECRET), **changes}
    )


async def queue_event(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock
) -> Outbox:
    async with sessionmaker() as session, session.begin():
        row = shop_events.enqueue(session, settings, event=ShopEvent.CANCELLATION_REQUESTED, data=DATA)
        assert row is not None
        row.next_attempt_at = clock()
    return row


@pytest.fixture
def webhook_sender(
    make_sender: MakeSender, settings: Settings, fake_shop: FakeShop, clock: Clock
) -> tuple[Settings, MakeSender]:
    configured = shop_settings(settings, f"{fake_shop.url}/hooks/pishkhan")
    return configured, lambda **kw: make_sender(settings=configured, **kw)


async def test_the_event_is_signed_over_the_exact_bytes_sent(
    sessionmaker: async_sessionmaker[AsyncSession],
    webhook_sender: tuple[Settings, MakeSender],
    fake_shop: FakeShop,
    clock: Clock,
) -> None:
    configured, make = webhook_sender
    row = await queue_event(sessionmaker, configured, clock)
    await make().drain()

    (request,) = fake_shop.received
    assert request.path == "/hooks/pishkhan"
    assert verify_signature(request.raw, SECRET, request.headers["X-Pishkhan-Signature"])
    assert not verify_signature(request.raw + b" ", SECRET, request.headers["X-Pishkhan-Signature"])
    assert "دیر شد؛ منصرف شدم".encode() in request.raw  # UTF-8 as is, not \u escapes
    body = json.loads(request.raw)
    assert body["data"] == DATA and body["event"] == "order.cancellation_requested"
    assert request.headers["X-Pishkhan-Event"] == "order.cancellation_requested"
    assert request.headers["X-Pishkhan-Delivery"] == body["id"] == row.body["id"]
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    stored = (await rows_by_id(sessionmaker, row.id))[row.id]
    assert stored.status == OutboxStatus.SENT and stored.attempts == 1


async def test_without_a_webhook_secret_the_secret_key_signs(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_sender: MakeSender,
    settings: Settings,
    fake_shop: FakeShop,
    clock: Clock,
) -> None:
    configured = shop_settings(settings, fake_shop.url, shop_webhook_secret=None, secret_key=SecretStr("k-1"))
    await queue_event(sessionmaker, configured, clock)
    await make_sender(settings=configured).drain()
    (request,) = fake_shop.received
    assert verify_signature(request.raw, "k-1", request.headers["X-Pishkhan-Signature"])


@pytest.mark.parametrize("failure", [Reply(500, "boom"), Reply(503), Reply(408), Reply(delay=0.5)])
async def test_a_transient_failure_is_retried_with_the_same_delivery_id(
    sessionmaker: async_sessionmaker[AsyncSession],
    webhook_sender: tuple[Settings, MakeSender],
    fake_shop: FakeShop,
    clock: Clock,
    failure: Reply,
) -> None:
    configured, make = webhook_sender
    row = await queue_event(sessionmaker, configured, clock)
    fake_shop.script = [failure]
    async with httpx.AsyncClient(timeout=0.1) as http:
        sender = make(http=http)
        await sender.drain()
        stored = (await rows_by_id(sessionmaker, row.id))[row.id]
        assert stored.status == OutboxStatus.PENDING and stored.attempts == 1
        expected = f"HTTP {failure.status}" if not failure.delay else "no answer in time (ReadTimeout)"
        assert stored.last_error is not None and stored.last_error.startswith(expected)
        assert stored.next_attempt_at == clock() + timedelta(seconds=10)
        clock.advance(seconds=10)
        await sender.drain()

    stored = (await rows_by_id(sessionmaker, row.id))[row.id]
    assert stored.status == OutboxStatus.SENT and stored.last_error is None
    first, second = fake_shop.received
    assert first.raw == second.raw
    assert first.headers["X-Pishkhan-Delivery"] == second.headers["X-Pishkhan-Delivery"]


async def test_an_unreachable_shop_is_retried(
    sessionmaker: async_sessionmaker[AsyncSession], make_sender: MakeSender, settings: Settings, clock: Clock
) -> None:
    configured = shop_settings(settings, "http://127.0.0.1:9/hooks")  # nothing listens on the discard port
    row = await queue_event(sessionmaker, configured, clock)
    await make_sender(settings=configured).drain()
    stored = (await rows_by_id(sessionmaker, row.id))[row.id]
    assert stored.status == OutboxStatus.PENDING
    assert stored.last_error is not None and stored.last_error.startswith("connection failed (ConnectError")


@pytest.mark.parametrize("in_date_form", [False, True])
async def test_retry_after_is_honoured(
    sessionmaker: async_sessionmaker[AsyncSession],
    webhook_sender: tuple[Settings, MakeSender],
    fake_shop: FakeShop,
    clock: Clock,
    in_date_form: bool,
) -> None:
    configured, make = webhook_sender
    row = await queue_event(sessionmaker, configured, clock)
    value = format_datetime(clock() + timedelta(seconds=120), usegmt=True) if in_date_form else "120"
    fake_shop.script = [Reply(429, "slow down", headers={"Retry-After": value})]
    sender = make()

    await sender.drain()
    stored = (await rows_by_id(sessionmaker, row.id))[row.id]
    assert stored.next_attempt_at == clock() + timedelta(seconds=120)
    assert stored.last_error == "HTTP 429: slow down"
    clock.advance(seconds=119)
    assert await sender.drain() == 0
    clock.advance(seconds=1)
    await sender.drain()
    assert len(fake_shop.received) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(401, '{"error": "bad signature"}'), 'HTTP 401: {"error": "bad signature"}'),
        (Reply(404, "no such hook"), "HTTP 404: no such hook"),
        (Reply(422, "unknown order"), "HTTP 422: unknown order"),
        (Reply(301, headers={"Location": "https://shop.example/new"}), "HTTP 301: redirect to"),
    ],
)
async def test_a_refusal_fails_at_once_and_stays_visible(
    sessionmaker: async_sessionmaker[AsyncSession],
    webhook_sender: tuple[Settings, MakeSender],
    fake_shop: FakeShop,
    clock: Clock,
    reply: Reply,
    reason: str,
) -> None:
    configured, make = webhook_sender
    row = await queue_event(sessionmaker, configured, clock)
    fake_shop.script = [reply]
    sender = make()
    await sender.drain()
    clock.advance(days=3)
    await sender.drain()

    stored = (await rows_by_id(sessionmaker, row.id))[row.id]
    assert stored.status == OutboxStatus.FAILED and stored.attempts == 1
    assert stored.last_error is not None and stored.last_error.startswith(reason)
    assert stored.body["data"] == DATA  # kept for an operator to send again
    assert len(fake_shop.received) == 1


async def test_a_shop_that_keeps_failing_is_given_up_on(
    sessionmaker: async_sessionmaker[AsyncSession],
    webhook_sender: tuple[Settings, MakeSender],
    fake_shop: FakeShop,
    clock: Clock,
) -> None:
    configured, make = webhook_sender
    row = await queue_event(sessionmaker, configured, clock)
    fake_shop.script = [Reply(502, "bad gateway")] * 5
    sender = make()
    for _ in range(5):
        await sender.drain()
        clock.advance(hours=1)

    stored = (await rows_by_id(sessionmaker, row.id))[row.id]
    assert stored.status == OutboxStatus.FAILED and stored.attempts == 3
    assert stored.last_error == "gave up after 3 attempts: HTTP 502: bad gateway"
    assert len(fake_shop.received) == 3


def test_retry_after_header_forms(clock: Clock) -> None:
    now = clock()
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after(format_datetime(now + timedelta(minutes=2), usegmt=True), now) == 120
    assert parse_retry_after(format_datetime(now - timedelta(minutes=2), usegmt=True), now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("inf", now) is None
    assert parse_retry_after(None, now) is None


def test_the_body_bytes_are_compact_utf8_json() -> None:
    raw = encode_body({"event": "x", "data": {"متن": "سلام"}})
    assert raw == '{"event":"x","data":{"متن":"سلام"}}'.encode()


async def test_a_cancellation_reaches_the_shop_signed(
    sessionmaker: async_sessionmaker[AsyncSession],
    webhook_sender: tuple[Settings, MakeSender],
    fake_shop: FakeShop,
) -> None:
    configured, make = webhook_sender
    async with sessionmaker() as session, session.begin():
        await load_known_shop(session)
    async with sessionmaker() as session, session.begin():
        order = await orders.get_order(session, "1000004")
        assert order is not None
        await cancellation.request_cancellation(
            session, configured, order=order, requested_by=order.customer_id, channel="telegram"
        )
    await make().drain()

    (request,) = fake_shop.received
    assert verify_signature(request.raw, SECRET, request.headers["X-Pishkhan-Signature"])
    event = json.loads(request.raw)
    assert event["event"] == "order.cancellation_requested"
    assert event["data"]["order_number"] == "1000004" and event["data"]["shop_customer_id"] == "u-1"
