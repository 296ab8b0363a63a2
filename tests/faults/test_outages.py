"""Outages of what Pishkhan leans on, during traffic: PostgreSQL restarted, Redis stopped, Telegram's API
answering 500s and timing out. Each ends with the same check: nothing acknowledged is lost, nothing is
answered twice, and every chat's replies arrive in order."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import redis.asyncio as redis

from tests.fakes.telegram import Failure, FakeTelegram, server_error
from tests.faults.conftest import FaultDatabase, StartServer
from tests.faults.harness import TelegramCustomers, exactly_once_in_order, settle
from tests.faults.services import PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.faults
CONVERSATION = ["سلام", "سفارش ۱۰۰۰۰۰۱ کجاست؟", "ممنون", "خداحافظ"]


async def health(client: httpx.AsyncClient, base: str) -> tuple[int, dict]:
    try:
        response = await client.get(f"{base}/healthz")
    except httpx.TransportError as exc:
        return 0, {"error": type(exc).__name__}
    return response.status_code, response.json()


async def test_postgres_restarted_during_traffic(
    fault_db: FaultDatabase,
    start_server: StartServer,
    telegram_api: FakeTelegram,
    private_postgres: PrivatePostgres,
    figures: dict,
) -> None:
    server = await start_server(workers=2)
    customers = TelegramCustomers(server.base)
    chats = range(7101, 7121)
    async with httpx.AsyncClient(timeout=10) as client:
        traffic = asyncio.gather(*(customers.converse(client, chat, CONVERSATION) for chat in chats))
        while customers.acknowledged < 20:  # noqa: ASYNC110 (a count, which no event announces)
            await asyncio.sleep(0.05)
        private_postgres.stop()
        stopped_at = time.monotonic()
        await asyncio.sleep(1)
        down = [await health(client, server.base) for _ in range(3)]
        refused = await client.post(
            f"{server.base}/webhooks/telegram",
            json=customers.update(7199, "سلام"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "fault-test-secret"},
        )
        customers.sent.pop(7199)  # refused, so Telegram would send it again; this test does not
        await asyncio.sleep(2)
        private_postgres.start()
        started_at = time.monotonic()
        await asyncio.wait_for(traffic, 120)
        ledger = await settle(fault_db.dsn, customers)
        settled_at = time.monotonic()
        up = await health(client, server.base)
    assert all(status == 503 and body["database"].startswith("unavailable") for status, body in down), down
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert customers.refusals[503] > 0  # the customers' own deliveries met the outage too
    assert up[0] == 200 and up[1]["database"] == "ok"
    counts = exactly_once_in_order(ledger, customers, telegram_api)
    assert counts["messages"] == len(chats) * len(CONVERSATION) and counts["duplicates"] == 0
    figures.update(
        counts,
        seconds_down=round(started_at - stopped_at, 1),
        deliveries_refused_503=customers.refusals[503],
        seconds_from_restart_to_all_answered=round(settled_at - started_at, 1),
    )


async def test_redis_stopped_degrades_and_recovers(
    fault_db: FaultDatabase,
    start_server: StartServer,
    telegram_api: FakeTelegram,
    private_redis: PrivateRedis,
    figures: dict,
) -> None:
    server = await start_server(workers=2, PISHKHAN_REDIS_URL=private_redis.url)
    customers = TelegramCustomers(server.base)
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await health(client, server.base))[1]["redis"] == "ok"
        private_redis.stop()
        degraded = await health(client, server.base)
        # Conversations go on without Redis: it only carries live events between workers.
        await asyncio.gather(
            *(customers.converse(client, chat, CONVERSATION[:2]) for chat in range(7201, 7211))
        )
        await settle(fault_db.dsn, customers)

        private_redis.start()  # on the same port
        returned_at = time.monotonic()
        listener = redis.from_url(private_redis.url).pubsub()
        await listener.subscribe("pishkhan:console")
        await asyncio.sleep(2.5)  # the workers' listeners retry every second
        await asyncio.gather(
            *(customers.converse(client, chat, CONVERSATION[2:]) for chat in range(7201, 7211))
        )
        heard = await next_event(listener)
        heard_after = time.monotonic() - returned_at
        await listener.aclose()
        ledger = await settle(fault_db.dsn, customers)
        recovered = await health(client, server.base)
    assert degraded[0] == 200 and degraded[1]["status"] == "degraded", degraded
    assert degraded[1]["redis"].startswith("unavailable")
    assert recovered[1]["status"] == "ok" and recovered[1]["redis"] == "ok"
    assert heard["type"] == "conversation.updated"  # consoles on every worker hear turns again
    counts = exactly_once_in_order(ledger, customers, telegram_api)
    assert counts["messages"] == 10 * len(CONVERSATION) and counts["duplicates"] == 0
    figures.update(counts, seconds_until_consoles_hear_again=round(heard_after, 1))


async def next_event(listener, within: float = 15.0) -> dict:
    async with asyncio.timeout(within):
        while True:
            message = await listener.get_message(ignore_subscribe_messages=True, timeout=within)
            if message is not None:
                return json.loads(message["data"])


async def test_telegram_failing_and_timing_out_delays_replies_in_order(
    fault_db: FaultDatabase, start_server: StartServer, telegram_api: FakeTelegram, figures: dict
) -> None:
    server = await start_server(workers=2, PISHKHAN_CHANNEL_TIMEOUT_SECONDS="1")
    slow = Failure(500, "Internal Server Error", delay=3)  # longer than the client waits: a timeout
    telegram_api.script("sendMessage", *[server_error()] * 4, slow, slow)
    customers = TelegramCustomers(server.base)
    chats = range(7301, 7307)
    began = time.monotonic()
    async with httpx.AsyncClient(timeout=10) as client:
        # Each customer sends two messages in a row, without waiting: their replies must keep that order.
        await asyncio.gather(*(customers.converse(client, chat, CONVERSATION[:2]) for chat in chats))
        ledger = await settle(fault_db.dsn, customers, within=150)
        metrics = (await client.get(f"{server.base}/metrics")).text
    refused = [c for c in telegram_api.calls if c.method.lower() == "sendmessage"]
    assert len(refused) >= len(telegram_api.accepted) + 6  # every failure was met, and retried
    counts = exactly_once_in_order(ledger, customers, telegram_api)
    assert counts["messages"] == 12 and counts["duplicates"] == 0
    # /metrics adds up both workers: every turn, and every failed attempt as a retried failure
    assert metric(metrics, 'pishkhan_turns_total{channel="telegram"}') == 12
    assert metric(metrics, 'pishkhan_delivery_failures_total{channel="telegram",final="no"}') == 6
    figures.update(
        counts,
        failed_attempts=len(refused) - len(telegram_api.accepted),
        seconds_until_all_sent=round(time.monotonic() - began, 1),
    )


def metric(exposition: str, sample: str) -> float:
    for line in exposition.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in /metrics")
