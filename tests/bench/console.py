"""The console on PostgreSQL: opening a customer page (customer 360 + timeline) for a customer with 2,000
messages over 3 channels, and the KPI report over 100,000 conversations — each beside a plain indexed
query in the same run. The data is generated with set-based INSERTs (generate_series): seconds, not minutes."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text

from api.app import create_app
from bot.config import Settings
from bot.services import agents, reports
from bot.storage.base import utcnow
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.migrate import upgrade
from tests import db
from tests.shop import load_known_shop

CONVERSATIONS = 100_000
CUSTOMERS = 20_000
AGENTS = 20
DAYS = 90
BACKGROUND_MESSAGES = 2  # per generated conversation: 200,000 messages around the one customer's
PAGE_MESSAGES = 2_000  # the customer whose page is opened: over 3 channels, 6 conversations
RUNS = 30
PASSWORD = "bench-password-123"

# One statement per table; ids follow generate_series so foreign keys line up without lookups.
GENERATE = [
    """INSERT INTO agents (id, email, name, role, password_hash, active, created_at)
       SELECT g, 'agent' || g || '@shop.ir', 'کارشناس ' || g, CASE WHEN g = 1 THEN 'admin' ELSE 'agent' END,
              :hash, true, now() FROM generate_series(1, :agents) g""",
    """INSERT INTO customers (id, name, language, created_at, updated_at)
       SELECT g, 'مشتری ' || g, 'fa', now(), now() FROM generate_series(1, :customers) g""",
    """INSERT INTO identities (id, customer_id, channel, external_id, verified, reachable, created_at)
       SELECT g, g, (ARRAY['telegram','instagram','webchat'])[1 + g % 3], 'user-' || g, false, true, now()
       FROM generate_series(1, :customers) g""",
    """INSERT INTO conversations (id, customer_id, identity_id, channel, status, assignee_id, handoff_reason,
                                  handoff_at, resolved_at, last_message_at, updated_at, created_at)
       SELECT g, c, c, (ARRAY['telegram','instagram','webchat'])[1 + c % 3],
              CASE WHEN g % 4 <> 0 THEN 'bot' WHEN g % 5 = 0 THEN 'open' ELSE 'resolved' END,
              CASE WHEN g % 4 = 0 THEN 1 + g % :agents END,
              CASE WHEN g % 4 = 0 THEN (ARRAY['requested','complaint','fallback','action_error'])[1 + g % 7 % 4] END,
              CASE WHEN g % 4 = 0 THEN t + interval '3 minutes' END,
              CASE WHEN g % 4 = 0 AND g % 5 <> 0 THEN t + (g % 240 + 10) * interval '1 minute' END,
              t, t, t
       FROM (SELECT g, 1 + g % :customers AS c,
                    now() - (g % :days) * interval '1 day' - (g % 1440) * interval '1 minute' AS t
             FROM generate_series(1, :conversations) g) s""",
    """INSERT INTO first_responses (conversation_id, agent_id, handoff_at, responded_at)
       SELECT id, assignee_id, handoff_at, handoff_at + (30 + id % 3600) * interval '1 second'
       FROM conversations WHERE handoff_at IS NOT NULL AND id % 10 <> 0""",
    """INSERT INTO csat_responses (conversation_id, customer_id, agent_id, score, created_at)
       SELECT id, customer_id, assignee_id, 1 + id * 7 % 5, resolved_at + interval '1 minute'
       FROM conversations WHERE resolved_at IS NOT NULL AND id % 3 <> 0""",
    """INSERT INTO messages (conversation_id, channel, direction, sender, text, intent, confidence,
                             delivery_status, created_at)
       SELECT c.id, c.channel, CASE WHEN k = 1 THEN 'in' ELSE 'out' END,
              CASE WHEN k = 1 THEN 'customer' ELSE 'bot' END, 'سفارشم کجاست؟',
              CASE WHEN k = 1 THEN 'track_order' END, CASE WHEN k = 1 THEN 0.93 END,
              CASE WHEN k = 1 THEN 'received' ELSE 'sent' END, c.created_at + k * interval '1 second'
       FROM conversations c, generate_series(1, :per_conversation) k""",
]
SEQUENCES = ["agents", "customers", "identities", "conversations"]


async def generate(url: str) -> dict[str, Any]:
    """Everything the report reads, and one customer (Sara of tests/shop.py) with 2,000 messages."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        async with engine.begin() as conn:
            password_hash = await asyncio.to_thread(agents.hasher.hash, PASSWORD)
            params = {
                "hash": password_hash,
                "agents": AGENTS,
                "customers": CUSTOMERS,
                "days": DAYS,
                "conversations": CONVERSATIONS,
                "per_conversation": BACKGROUND_MESSAGES,
            }
            for statement in GENERATE:
                await conn.execute(text(statement), params)
            for table in SEQUENCES:  # ids were given explicitly: move the sequences past them
                await conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        async with make_sessionmaker(engine)() as session, session.begin():
            shop = await load_known_shop(session)
            await page_customer(session, shop.sara_id)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return {"sara_id": shop.sara_id, "seconds": round(time.perf_counter() - started, 1)}


async def page_customer(session: Any, customer_id: int) -> None:
    """Six conversations on three channels for one customer, 2,000 messages in all; the last is waiting."""
    channels = ["telegram", "instagram", "webchat"]
    for n, channel in enumerate(channels):
        await session.execute(
            text("""INSERT INTO identities (customer_id, channel, external_id, verified, reachable, created_at)
                    VALUES (:customer, :channel, :external, true, true, now())"""),
            {"customer": customer_id, "channel": channel, "external": f"sara-{channel}-{n}"},
        )
    await session.execute(
        text("""INSERT INTO conversations (customer_id, identity_id, channel, status, handoff_reason, handoff_at,
                                          last_message_at, updated_at, created_at)
                SELECT i.customer_id, i.id, i.channel, CASE WHEN k = 2 AND i.channel = 'webchat' THEN 'pending'
                       ELSE 'resolved' END, 'requested', now() - k * interval '20 days', now(), now(),
                       now() - k * interval '30 days'
                FROM identities i, generate_series(1, 2) k
                WHERE i.customer_id = :customer AND i.channel IN ('telegram','instagram','webchat')"""),
        {"customer": customer_id},
    )
    await session.execute(
        text("""INSERT INTO messages (conversation_id, channel, direction, sender, text, intent, confidence,
                                     delivery_status, created_at)
                SELECT c.id, c.channel, CASE WHEN k % 2 = 0 THEN 'in' ELSE 'out' END,
                       CASE WHEN k % 2 = 0 THEN 'customer' ELSE 'bot' END, 'پیام شمارهٔ ' || k,
                       CASE WHEN k % 2 = 0 THEN 'track_order' END, CASE WHEN k % 2 = 0 THEN 0.9 END,
                       CASE WHEN k % 2 = 0 THEN 'received' ELSE 'sent' END, c.created_at + k * interval '1 minute'
                FROM generate_series(0, :total - 1) k
                JOIN (SELECT id, channel, created_at, row_number() OVER (ORDER BY id) - 1 AS n
                      FROM conversations WHERE customer_id = :customer) c ON c.n = k % 6"""),
        {"customer": customer_id, "total": PAGE_MESSAGES},
    )


async def timed(action: Callable[[], Awaitable[Any]], runs: int = RUNS) -> dict[str, float]:
    await action()  # warm caches and the connection pool
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
    }


async def measure(url: str, sara_id: int) -> dict[str, Any]:
    app = create_app(Settings(database_url=url, env="test", _env_file=None), load_conversations=False)  # type: ignore[call-arg]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": "agent1@shop.ir", "password": PASSWORD}
            )
            login.raise_for_status()
            async with app.state.sessionmaker() as session:
                conversation_id = (
                    await session.execute(
                        text("SELECT id FROM conversations WHERE customer_id = :c AND status = 'pending'"),
                        {"c": sara_id},
                    )
                ).scalar_one()
                count = (
                    await session.execute(
                        text(
                            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                            "WHERE c.customer_id = :c"
                        ),
                        {"c": sara_id},
                    )
                ).scalar_one()

            async def open_page() -> None:
                detail = await client.get(f"/api/v1/conversations/{conversation_id}")
                timeline = await client.get(f"/api/v1/customers/{sara_id}/timeline?limit=500")
                assert detail.status_code == timeline.status_code == 200

            async def whole_history() -> None:
                response = await client.get(f"/api/v1/customers/{sara_id}/timeline?limit=2000")
                assert len(response.json()["messages"]) == 2000

            async def plain_query() -> None:
                async with app.state.sessionmaker() as session:
                    await session.execute(
                        text(
                            "SELECT id, text, created_at FROM messages WHERE conversation_id = :id "
                            "ORDER BY created_at DESC LIMIT 500"
                        ),
                        {"id": conversation_id},
                    )

            end = utcnow().date() + timedelta(days=1)
            period = reports.make_period((end - timedelta(days=DAYS + 1)).isoformat(), end.isoformat())

            async def report() -> None:
                async with app.state.sessionmaker() as session:
                    summary = await reports.summary(session, period)
                assert summary["totals"]["conversations"] >= CONVERSATIONS

            async def report_api() -> None:
                response = await client.get(
                    f"/api/v1/reports/summary?from={period.first_day}&to={period.last_day}"
                )
                assert response.status_code == 200

            async def count_query() -> None:
                async with app.state.sessionmaker() as session:
                    await session.execute(
                        text("SELECT count(*) FROM conversations WHERE created_at >= :a AND created_at < :b"),
                        {"a": period.start, "b": period.end},
                    )

            return {
                "customer_messages": count,
                "customer_page_ms": await timed(open_page),
                "customer_timeline_2000_ms": await timed(whole_history, 10),
                "plain_messages_query_ms": await timed(plain_query),
                "kpi_report_ms": await timed(report, 5),
                "kpi_report_api_ms": await timed(report_api, 5),
                "plain_count_query_ms": await timed(count_query, 10),
            }


async def run() -> dict[str, Any]:
    try:
        url = await db.create_pg_database()
    except (OSError, TimeoutError) as exc:
        return {"skipped": f"PostgreSQL not reachable: {exc}"}
    try:
        generated = await generate(url)
        results = {"conversations": CONVERSATIONS, "generate_s": generated["seconds"]}
        results.update(await measure(url, generated["sara_id"]))
        page, plain = (
            results["customer_page_ms"]["median_ms"],
            results["plain_messages_query_ms"]["median_ms"],
        )
        report, count = results["kpi_report_ms"]["median_ms"], results["plain_count_query_ms"]["median_ms"]
        results["customer_page_vs_plain_query"] = round(page / plain, 1)
        results["kpi_report_vs_plain_count"] = round(report / count, 1)
        return results
    finally:
        await db.drop_pg_database(url)
