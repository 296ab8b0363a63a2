"""Fault fixtures: a private PostgreSQL cluster and Redis we may stop and kill, a fresh database per test
with the known shop in it, the fake Telegram Bot API, and Pishkhan served by its real command.

Required when CI=true; elsewhere skipped when the machine cannot run a private PostgreSQL server."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.migrate import upgrade_async
from tests.bench.servers import ROOT
from tests.db import IN_CI
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.faults.harness import SECRET, PishkhanServer, server_env
from tests.faults.services import PrivatePostgres, PrivateRedis
from tests.shop import load_known_shop


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"fault tests are required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    # Not under pytest's temporary directory: that is private to root, and the cluster runs as postgres
    root = Path(tempfile.mkdtemp(prefix="pishkhan-faults-pg-"))
    try:
        cluster = PrivatePostgres(root).init()
        cluster.start()
    except (OSError, RuntimeError) as exc:
        _unavailable(f"cannot run a private PostgreSQL server: {exc}")
    yield cluster
    cluster.remove()


@dataclass(frozen=True)
class FaultDatabase:
    url: str  # for Pishkhan (SQLAlchemy)
    dsn: str  # for the test's own asyncpg connections


@pytest.fixture
async def fault_db(private_postgres: PrivatePostgres) -> AsyncIterator[FaultDatabase]:
    """A migrated database holding the known shop's orders, dropped afterwards."""
    name = f"fault_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(private_postgres.admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = private_postgres.url(name)
    await upgrade_async(url)
    engine = create_engine(url)
    async with make_sessionmaker(engine)() as session, session.begin():
        await load_known_shop(session)
    await engine.dispose()
    yield FaultDatabase(url=url, dsn=f"postgresql://postgres@127.0.0.1:{private_postgres.port}/{name}")
    admin = await asyncpg.connect(private_postgres.admin_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path / "redis")
    try:
        redis.start()
    except (OSError, RuntimeError) as exc:
        _unavailable(f"cannot run a private Redis server: {exc}")
    yield redis
    redis.stop()


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.close()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """What a scenario measured, printed and kept in var/faults/results.json (one entry per test)."""
    measured: dict[str, Any] = {}
    yield measured
    if not measured:
        return
    out = Path(ROOT) / "var" / "faults" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(out.read_text()) if out.exists() else {}
    results[request.node.name] = measured
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"{request.node.name}: {json.dumps(measured, default=str)}")


StartServer = Callable[..., Awaitable[PishkhanServer]]


@pytest.fixture
async def start_server(
    fault_db: FaultDatabase, telegram_api: FakeTelegram, nlu_model_dir: Path, tmp_path: Path
) -> AsyncIterator[StartServer]:
    """Start ``pishkhan serve`` on the test's database, fake Telegram and the session's trained model (a
    fresh clone has no models/nlu); stopped at the end. Its log is printed when the test fails (pytest
    shows a failed test's output)."""
    servers: list[PishkhanServer] = []

    async def start(workers: int = 2, **env: str) -> PishkhanServer:
        env = {"PISHKHAN_NLU_MODEL": str(nlu_model_dir), **env}
        server = PishkhanServer(
            server_env(fault_db.url, telegram_api, **env), workers=workers, log=tmp_path / "pishkhan.log"
        )
        servers.append(server)
        server.start()
        await server.wait_healthy()
        return server

    yield start
    for server in servers:
        server.stop()
    log = tmp_path / "pishkhan.log"
    if log.exists():
        text = log.read_text(errors="replace")
        print(text[-20_000:])
        # Outages make the most log lines: none may carry a secret (a Bot API URL holds the token)
        leaks = [
            secret for secret in (TOKEN, SECRET, "dev-secret-change-me", "dev-api-key") if secret in text
        ]
        assert leaks == [], f"secrets in the server's log: {leaks}"
