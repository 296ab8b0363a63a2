"""Many customers at once on every channel, through the real ``pishkhan serve`` (issue 8 item 2).

200 customers start together, a third each on the REST channel, Telegram (webhook updates; the replies
reach the fake Bot API in its own process) and the web-chat widget (two tabs each), each holding a
five-message Persian conversation about an order of their own (``load_clients.py``). Two scenarios in
one run: A, ``pishkhan serve --workers 2`` on a fresh PostgreSQL database with Redis as the event bus;
B, the single-process default, ``--workers 1`` on a fresh SQLite file without Redis.

Figures: turns per second and p50/p99 latency (message sent -> its last reply shown), overall and per
channel. Checks (``load_check.py``), once the load has quiesced: every message stored once, in order,
and answered; every client shown exactly the stored replies, in order. Any failure raises, so the
bench exits non-zero. Bounded: every wait has a deadline, the whole module takes a few minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.config import PROJECT_ROOT
from bot.nlu import train
from bot.services import orders
from bot.services.order_data import OrderIn
from bot.storage.base import utcnow
from bot.storage.engine import create_engine, make_sessionmaker
from tests import db
from tests.bench import load_check
from tests.bench.load_clients import (
    TELEGRAM_SECRET,
    Customer,
    make_customers,
    read_telegram,
    rest_customer,
    script,
    telegram_customer,
    widget_customer,
)
from tests.bench.servers import ROOT, connection_owners, loopback_command, loopback_process
from tests.fakes.telegram import TOKEN

CUSTOMERS = 200
FIRST_ORDER, FIRST_PHONE = 3_000_000, 7_000_000
REDIS_URL = "redis://127.0.0.1:6379/14"  # not 0: the tests' own Redis database
TALK_SECONDS = 150.0  # every customer has sent everything
QUIET_SECONDS = 45.0  # the queues are empty
SHOWN_SECONDS = 20.0  # every client shows what the database says it should
PISHKHAN = str(Path(ROOT) / ".venv" / "bin" / "pishkhan")


async def load_orders(url: str) -> None:
    """One shipped order per customer, each with its own phone (so nobody waits on another's rows)."""
    engine = create_engine(url)
    now = utcnow()
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for n in range(CUSTOMERS):
                data = OrderIn.model_validate(
                    {
                        "customer": {
                            "external_id": f"load-{n}",
                            "name": "مشتری",
                            "phone": f"0912{FIRST_PHONE + n}",
                        },
                        "status": "shipped",
                        "placed_at": (now - timedelta(days=2)).isoformat(),
                        "total": 1_950_000,
                        "items": [
                            {"sku": "HP-1", "title": "هدفون بی‌سیم", "quantity": 1, "unit_price": 1_950_000}
                        ],
                        "shipment": {
                            "carrier": "تیپاکس",
                            "tracking_code": f"8045{n:08d}",
                            "status": "in_transit",
                            "events": [{"at": (now - timedelta(days=1)).isoformat(), "status": "accepted"}],
                        },
                    }
                )
                await orders.upsert_order(session, number=str(FIRST_ORDER + n), data=data)
    finally:
        await engine.dispose()


def pishkhan_migrate(env: dict[str, str]) -> None:
    """As ``make migrate`` does."""
    subprocess.run(
        [PISHKHAN, "migrate"],
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def pishkhan_serve(
    env: dict[str, str], workers: int, log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The real command line, its JSON logs into ``log``; yields its base URL and process (the workers
    are its children)."""
    command = [PISHKHAN, "serve", "--workers", str(workers), "--host", "127.0.0.1", "--port", "{port}"]
    with log.open("wb") as stderr, loopback_command(command, env, stop_seconds=30, stderr=stderr) as served:
        yield served


def logged_errors(log: Path) -> dict[str, Any]:
    """How many errors the server logged, and the exception of the first (its last traceback line)."""
    errors = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("level") in ("ERROR", "CRITICAL"):
                errors.append((entry.get("error") or entry.get("message") or "").strip().splitlines()[-1:])
    found: dict[str, Any] = {"server_log_errors": len(errors)}
    if errors:
        found["server_log_first_error"] = (errors[0] or ["?"])[0][:200]
    return found


async def until(condition: Any, seconds: float, every: float = 0.5) -> bool:
    """Poll ``await condition()`` until it holds or ``seconds`` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(every)
    return bool(await condition())


async def drive(base: str, api: str, url: str, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    customers = make_customers(CUSTOMERS, FIRST_ORDER, FIRST_PHONE)
    rng = random.Random(1405)
    # idle connections are dropped before uvicorn's 5-s keep-alive ends: a race there is not a server error
    limits = httpx.Limits(max_connections=CUSTOMERS, max_keepalive_connections=CUSTOMERS, keepalive_expiry=2)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120, connect=30)) as client:
        tasks = []
        for c in customers:
            if c.channel == "rest":
                tasks.append(asyncio.create_task(rest_customer(client, base, c)))
            elif c.channel == "telegram":
                tasks.append(asyncio.create_task(telegram_customer(client, base, c, rng)))
            else:
                tasks.append(asyncio.create_task(widget_customer(base, c, rng)))
        try:
            started = time.perf_counter()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TALK_SECONDS):
                    await asyncio.gather(*(c.talked.wait() for c in customers))
            talked = time.perf_counter() - started
            for c in customers:
                if not c.talked.is_set():
                    c.errors.append(f"still talking after {TALK_SECONDS:.0f} s")
            workers = _widget_workers(process, base, customers)
            result = await _settle(client, api, url, customers)
        finally:
            for c in customers:
                c.release.set()
            for task in tasks:  # a customer stuck past the deadlines is stopped, not awaited forever
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return {"talk_seconds": round(talked, 1), **workers, **result}


def _widget_workers(process: subprocess.Popen[bytes], base: str, customers: list[Customer]) -> dict[str, int]:
    """How many widget customers have their two tabs on different workers now: those tabs see one
    another's turns only through Redis (zero with one worker)."""
    tabs = {
        c.n: [ports[-1] for ports in c.ports.values() if ports] for c in customers if c.channel == "webchat"
    }
    port = int(base.rsplit(":", 1)[1])
    owners = connection_owners(process.pid, port, [p for ports in tabs.values() for p in ports])
    return {
        "widget_tabs_on_distinct_workers": sum(
            1 for ports in tabs.values() if len({owners.get(p) for p in ports} - {None}) == 2
        ),
        "workers_seen": len(set(owners.values())),
    }


async def _settle(client: httpx.AsyncClient, api: str, url: str, customers: list[Customer]) -> dict[str, Any]:
    """Wait for the queues to empty and the clients to show what is stored; then check."""

    async def quiet() -> bool:
        counts = await load_check.backlog(url)
        return counts["inbound_pending"] == 0 and counts["outbox_pending"] == 0

    await until(quiet, QUIET_SECONDS)
    stored = await load_check.read_stored(url)
    expected = {
        c.n: len(load_check.expected_views(c, stored.get((c.channel, c.key), load_check.Stored())))
        for c in customers
    }

    async def shown() -> bool:
        await read_telegram(client, api, customers)
        return all(len(view) >= expected[c.n] for c in customers for view in c.views.values())

    await until(shown, SHOWN_SECONDS)
    await asyncio.sleep(1.0)  # a late duplicate would arrive now
    await read_telegram(client, api, customers)
    verdict = load_check.check(customers, stored)
    backlog = await load_check.backlog(url)
    checks = {
        "duplicates": verdict.mismatch.duplicates,
        "lost": verdict.mismatch.lost,
        "out_of_order": verdict.mismatch.out_of_order,
        "unanswered": verdict.unanswered,
        "errors": verdict.errors,
        **backlog,
    }
    result = {
        **load_check.figures(verdict),
        "customers": len(customers),
        "messages": verdict.messages,
        "replies": verdict.replies,
        **checks,
        "passed": not any(checks.values()),
    }
    if verdict.problems:
        result["problems"] = verdict.problems[:10]
    return result


def env_for(url: str, model: Path, api: str, redis_url: str | None) -> dict[str, str]:
    return {
        "PISHKHAN_DATABASE_URL": url,
        "PISHKHAN_NLU_MODEL": str(model),
        "PISHKHAN_LOG_LEVEL": "WARNING",
        "PISHKHAN_TELEGRAM_TOKEN": TOKEN,
        "PISHKHAN_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "PISHKHAN_TELEGRAM_API_BASE": api,
        # every widget customer comes from 127.0.0.1: the per-address limit is not what is measured
        "PISHKHAN_WIDGET_NEW_CONVERSATIONS_PER_IP_PER_HOUR": "100000",
        "PISHKHAN_REDIS_URL": redis_url or "",  # empty: no Redis, whatever the caller's environment says
    }


async def scenario(url: str, model: Path, workers: int, redis_url: str | None, tmp: str) -> dict[str, Any]:
    with loopback_process(["-m", "tests.fakes.telegram", "{port}"]) as api:
        env = env_for(url, model, api, redis_url)
        metrics = Path(tmp) / f"metrics-{workers}"  # the workers' Prometheus files, removed with tmp
        metrics.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        await asyncio.to_thread(pishkhan_migrate, env)
        await load_orders(url)
        log = Path(tmp) / f"server-{workers}.log"
        with pishkhan_serve(env, workers, log) as (base, process):
            result = {"workers": workers, **await drive(base, api, url, process)}
        return {**result, **logged_errors(log)}


def nlu_model(tmp: str) -> Path:
    """The project's trained model (``make bench`` trains it first), or one trained here."""
    model = PROJECT_ROOT / "models" / "nlu"
    if (model / "manifest.json").exists():
        return model
    train(PROJECT_ROOT / "nlu_data", Path(tmp) / "model")
    return Path(tmp) / "model"


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {"customers": CUSTOMERS, "messages_each": len(script("0", "0"))}
    with tempfile.TemporaryDirectory() as tmp:
        model = await asyncio.to_thread(nlu_model, tmp)
        pg = await db.create_pg_database()
        try:
            results["postgresql_redis_2_workers"] = await scenario(pg, model, 2, REDIS_URL, tmp)
        finally:
            await db.drop_pg_database(pg)
        sqlite = f"sqlite+aiosqlite:///{tmp}/load.db"
        results["sqlite_1_worker"] = await scenario(sqlite, model, 1, None, tmp)
    failed = [name for name, value in results.items() if isinstance(value, dict) and not value["passed"]]
    if failed:
        for name in failed:
            for problem in results[name].get("problems", []):
                print(f"{name}: {problem}")
        raise AssertionError(f"load checks failed in {', '.join(failed)}: {results}")
    return results
