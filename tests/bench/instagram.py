"""Instagram figures for ``make bench`` (issue 6 item 8).

- Webhook: signed ``POST /webhooks/instagram`` requests per second, each acknowledged once its message is
  stored in the inbound queue (the turns are off, so only the request path is measured), beside the bare
  echo app measured in the same run with the same bodies.
- Sender: outbox rows delivered per second by the real outbox worker and Instagram sender (window check,
  HTTP send, outcome recorded) to the fake Graph API in its own process, beside the bare HTTP client's
  requests per second against the same fake.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import tempfile
import time
from typing import Any

import httpx

from bot.channels.instagram.graph import GraphClient
from bot.channels.instagram.sender import InstagramSender
from bot.config import Settings
from bot.delivery import OutboxSender, SenderRegistry
from bot.services import conversations, identity
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.migrate import upgrade
from tests.bench.servers import drive, loopback_process, uvicorn_server
from tests.fakes.graph import TOKEN

SECRET = "bench-app-secret"
REQUESTS = 1000
USERS = 64
OUTBOX_USERS, PER_USER = 100, 10
TEXT = "سلام، سفارش ۱۰۰۰۰۰۱ من کی می‌رسه؟"


def signed_body(i: int) -> tuple[bytes, str]:
    event = {
        "sender": {"id": f"{1000000000000000 + i % USERS}"},
        "recipient": {"id": "17841400000000000"},
        "timestamp": 1718000000000 + i,
        "message": {"mid": f"bench-mid-{i}", "text": TEXT},
    }
    payload = {
        "object": "instagram",
        "entry": [{"id": "17841400000000000", "time": 1718000000000, "messaging": [event]}],
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()  # non-ASCII escaped, as Meta sends
    return raw, "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


async def measure_webhook(base: str, concurrency: int, *, path: str, offset: int) -> dict[str, Any]:
    async def post(client: httpx.AsyncClient, i: int) -> httpx.Response:
        raw, signature = signed_body(offset + i)
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        return await client.post(base + path, content=raw, headers=headers)

    return (await drive(post, total=REQUESTS, concurrency=concurrency)).as_dict()


async def webhook_figures(tmp: str) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{tmp}/webhook.db"
    await asyncio.to_thread(upgrade, url)
    env = {
        "PISHKHAN_DATABASE_URL": url,
        "PISHKHAN_LOG_LEVEL": "WARNING",
        "PISHKHAN_INSTAGRAM_APP_SECRET": SECRET,
        "PISHKHAN_INSTAGRAM_VERIFY_TOKEN": "bench",
        "PISHKHAN_INSTAGRAM_ACCESS_TOKEN": "bench",  # a sender, idle: nothing is answered
    }
    results: dict[str, Any] = {"requests": REQUESTS}
    with uvicorn_server("tests.bench.servers:webhook_only_app", env, factory=True) as base:
        for n, concurrency in enumerate((1, 16)):
            results[f"webhook_c{concurrency}"] = await measure_webhook(
                base, concurrency, path="/webhooks/instagram", offset=n * 1_000_000
            )
    with uvicorn_server("tests.bench.echo_app:app") as base:
        for concurrency in (1, 16):
            results[f"echo_c{concurrency}"] = await measure_webhook(base, concurrency, path="/echo", offset=0)
    for concurrency in (1, 16):
        webhook, echo = results[f"webhook_c{concurrency}"], results[f"echo_c{concurrency}"]
        results[f"webhook_vs_echo_c{concurrency}"] = round(webhook["per_second"] / echo["per_second"], 3)
    return results


async def queue_replies(sessionmaker: Any) -> int:
    """Customers who wrote a minute ago, each with replies waiting in the outbox."""
    async with sessionmaker() as session, session.begin():
        for n in range(OUTBOX_USERS):
            igsid = f"{2000000000000000 + n}"
            found = await identity.resolve_identity(session, channel="instagram", external_id=igsid)
            conversation = await conversations.open_conversation(session, found)
            await conversations.store_inbound(
                session, conversation, external_message_id=f"in-{n}", text=TEXT, payload=None
            )
            for k in range(PER_USER):
                await conversations.store_outbound(
                    session, conversation, text=f"{TEXT} ({k})", payload=None, target=igsid
                )
    return OUTBOX_USERS * PER_USER


async def sender_figures(tmp: str) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{tmp}/sender.db"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessionmaker = make_sessionmaker(engine)
    results: dict[str, Any] = {}
    try:
        with loopback_process(["-m", "tests.fakes.graph", "{port}"]) as base:
            graph = GraphClient(base_url=f"{base}/v21.0", access_token=TOKEN)
            try:
                results["graph_client"] = await raw_client(graph)
                total = await queue_replies(sessionmaker)
                registry = SenderRegistry()
                registry.register("instagram", InstagramSender(graph, sessionmaker))
                outbox = OutboxSender(
                    sessionmaker, Settings(database_url=url, _env_file=None), registry=registry
                )  # type: ignore[call-arg]
                async with outbox:
                    started = time.perf_counter()
                    attempts = await outbox.drain()
                    elapsed = time.perf_counter() - started
                results["outbox"] = {
                    "messages": total,
                    "attempts": attempts,
                    "per_second": round(total / elapsed, 1),
                }
                results["outbox_vs_client"] = round(
                    total / elapsed / results["graph_client"]["per_second"], 3
                )
            finally:
                await graph.aclose()
    finally:
        await engine.dispose()
    return results


async def raw_client(graph: GraphClient, total: int = 1000, concurrency: int = 32) -> dict[str, Any]:
    """The HTTP client alone, ``concurrency`` sends at a time: the ceiling for the sender."""
    requests = iter(range(total))

    async def worker() -> None:
        for i in requests:
            await graph.send(
                {"recipient": {"id": str(i)}, "messaging_type": "RESPONSE", "message": {"text": TEXT}}
            )

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "requests": total,
        "concurrency": concurrency,
        "per_second": round(total / (time.perf_counter() - started), 1),
    }


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return {**await webhook_figures(tmp), "sender": await sender_figures(tmp)}
