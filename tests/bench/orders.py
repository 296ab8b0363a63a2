"""Shop data in: ``pishkhan orders import`` of 10,000 orders, and PUT /api/v1/orders against the echo app."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.storage.migrate import upgrade
from tests import db
from tests.bench.servers import ROOT, drive, uvicorn_server

ORDERS = 10_000
PUTS = 2_000
CONCURRENCY = 8
API_KEY = "bench-key"


def order(number: int, rng: random.Random) -> dict[str, Any]:
    customer = rng.randrange(3_000)
    items = [
        {
            "sku": f"SKU-{rng.randrange(500)}",
            "title": "هدفون بی‌سیم",
            "quantity": rng.randint(1, 3),
            "unit_price": rng.randrange(100, 5_000) * 1_000,
            "serial_number": f"SN{number}X{k}",
            "warranty_months": 12,
            "category": "لوازم صوتی",
        }
        for k in range(rng.randint(1, 3))
    ]
    return {
        "number": str(number),
        "customer": {"external_id": f"u{customer}", "name": "مشتری نمونه", "phone": f"0912{customer:07d}"},
        "status": "shipped",
        "placed_at": "2026-10-01T10:00:00+03:30",
        "total": sum(i["quantity"] * i["unit_price"] for i in items),
        "items": items,
        "shipment": {
            "carrier": "تیپاکس",
            "tracking_code": f"80{number:010d}",
            "status": "in_transit",
            "events": [
                {"at": "2026-10-02T09:00:00+03:30", "status": "accepted", "description": "تحویل به شرکت حمل"},
                {"at": "2026-10-03T09:00:00+03:30", "status": "in_transit", "description": "خروج از مبدا"},
            ],
        },
    }


def write_orders(path: Path, count: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps(order(3_000_000 + i, rng), ensure_ascii=False) + "\n")


def time_import(url: str, path: Path) -> float:
    upgrade(url)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "orders", "import", str(path)],
        cwd=ROOT,
        env={**os.environ, "PISHKHAN_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


async def measure_puts(url: str) -> dict[str, Any]:
    rng = random.Random(11)
    bodies = [order(5_000_000 + i, rng) for i in range(PUTS)]
    warm = [order(6_000_000 + i, rng) for i in range(50)]
    headers = {"Authorization": f"Bearer {API_KEY}"}

    def body(i: int) -> dict[str, Any]:
        data = dict(bodies[i] if i >= 0 else warm[-i - 1])
        data.pop("number")
        return data

    results: dict[str, Any] = {}
    env = {"PISHKHAN_DATABASE_URL": url, "PISHKHAN_API_KEY": API_KEY, "PISHKHAN_LOG_LEVEL": "WARNING"}
    await asyncio.to_thread(upgrade, url)
    with uvicorn_server("api.app:create_app", env, factory=True) as base:
        put = await drive(
            lambda c, i: c.put(
                f"{base}/api/v1/orders/{(bodies[i] if i >= 0 else warm[-i - 1])['number']}",
                json=body(i),
                headers=headers,
            ),
            total=PUTS,
            concurrency=CONCURRENCY,
        )
    with uvicorn_server("tests.bench.echo_app:app") as base:
        echo = await drive(
            lambda c, i: c.put(f"{base}/echo/{i}", json=body(i)), total=PUTS, concurrency=CONCURRENCY
        )
    results["put_order"] = put.as_dict()
    results["echo"] = echo.as_dict()
    results["put_vs_echo"] = round(put.per_second / echo.per_second, 3)
    return results


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {"concurrency": CONCURRENCY}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.jsonl"
        write_orders(path, ORDERS)
        sqlite = f"sqlite+aiosqlite:///{tmp}/import.db"
        seconds = await asyncio.to_thread(time_import, sqlite, path)
        results["import_sqlite"] = {
            "orders": ORDERS,
            "seconds": round(seconds, 2),
            "orders_per_s": round(ORDERS / seconds),
        }
        pg = await db.create_pg_database()
        try:
            seconds = await asyncio.to_thread(time_import, pg, path)
            results["import_postgresql"] = {
                "orders": ORDERS,
                "seconds": round(seconds, 2),
                "orders_per_s": round(ORDERS / seconds),
            }
        finally:
            await db.drop_pg_database(pg)
        results["http_sqlite"] = await measure_puts(f"sqlite+aiosqlite:///{tmp}/http.db")
    return results
