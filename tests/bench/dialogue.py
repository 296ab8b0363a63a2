"""Full turns through ``POST /webhooks/rest/webhook`` (a track-order turn with a database lookup), at
concurrency 1 and 16, beside the bare echo app measured in the same run."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.nlu import train
from bot.services import identity
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.migrate import upgrade
from bot.storage.models import VerificationMethod
from tests import db
from tests.bench.servers import drive, uvicorn_server
from tests.shop import SARA_PHONE, load_known_shop

TURNS = 600
SENDERS = 32
MESSAGE = '/track_order{"order_id":"1000001"}'


async def prepare(url: str) -> None:
    """Known orders, and REST senders already verified as Sara, so every turn reads her order."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await load_known_shop(session)
            for n in range(SENDERS):
                found = await identity.resolve_identity(session, channel="rest", external_id=f"bench-{n}")
                await identity.verify_with_phone(
                    session, identity=found, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
                )
    finally:
        await engine.dispose()


async def measure(base: str, concurrency: int, *, echo: bool) -> dict[str, Any]:
    async def turn(client, i):
        body = {"sender": f"bench-{i % SENDERS}", "message": MESSAGE}
        if echo:
            return await client.post(f"{base}/echo", json=body)
        return await client.post(f"{base}/webhooks/rest/webhook", json=body)

    result = await drive(turn, total=TURNS, concurrency=concurrency)
    return result.as_dict()


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {"turns": TURNS, "message": MESSAGE}
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model"
        await asyncio.to_thread(train, PROJECT_ROOT / "nlu_data", model)
        pg = await db.create_pg_database()
        try:
            for backend, url in (("sqlite", f"sqlite+aiosqlite:///{tmp}/turns.db"), ("postgresql", pg)):
                await prepare(url)
                env = {
                    "PISHKHAN_DATABASE_URL": url,
                    "PISHKHAN_NLU_MODEL": str(model),
                    "PISHKHAN_LOG_LEVEL": "WARNING",
                }
                with uvicorn_server("api.app:create_app", env, factory=True) as base:
                    for concurrency in (1, 16):
                        results[f"{backend}_rest_c{concurrency}"] = await measure(
                            base, concurrency, echo=False
                        )
        finally:
            await db.drop_pg_database(pg)
        with uvicorn_server("tests.bench.echo_app:app") as base:
            for concurrency in (1, 16):
                results[f"echo_c{concurrency}"] = await measure(base, concurrency, echo=True)
    for backend in ("sqlite", "postgresql"):
        for concurrency in (1, 16):
            rest, echo = results[f"{backend}_rest_c{concurrency}"], results[f"echo_c{concurrency}"]
            results[f"{backend}_turns_vs_echo_c{concurrency}"] = round(
                rest["per_second"] / echo["per_second"], 3
            )
    return results
