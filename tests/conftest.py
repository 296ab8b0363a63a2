"""Shared fixtures: every storage test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.runtime import Runtime, load_runtime
from bot.config import PROJECT_ROOT, Settings
from bot.nlu import train
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.migrate import upgrade_async
from tests import db

API_KEY = "test-shop-key"


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated, empty database for this test run; PostgreSQL is required in CI, skipped elsewhere."""
    if request.param == "sqlite":
        url = db.sqlite_url(tmp_path_factory.mktemp("sqlite"))
        await upgrade_async(url)
        yield url
        return
    try:
        url = await db.create_pg_database()
    except (OSError, TimeoutError) as exc:
        if db.IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        await upgrade_async(url)
        yield url
    finally:
        await db.drop_pg_database(url)


@pytest.fixture(scope="session")
async def redis_url() -> str:
    """The machine's Redis (required in CI, skipped elsewhere when absent)."""
    import redis.asyncio as redis

    url = "redis://127.0.0.1:6379/0"
    client = redis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        if db.IN_CI:
            pytest.fail(f"Redis is required in CI but unreachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    finally:
        await client.aclose()
    return url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessionmaker(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield make_sessionmaker(engine)
    await db.empty_all_tables(engine)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that the test may flush or commit; tables are emptied afterwards."""
    async with sessionmaker() as session, session.begin():
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, api_key=API_KEY, env="test", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app
    await db.empty_all_tables(engine)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def shop_auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


# The trained NLU model and the dialogue, once per test run (training takes seconds; every suite that
# talks to the bot shares them).
@pytest.fixture(scope="session")
def nlu_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nlu-model")
    train(PROJECT_ROOT / "nlu_data", out)
    return out


@pytest.fixture(scope="session")
def runtime(nlu_model_dir: Path, database_url: str) -> Runtime:
    settings = Settings(database_url=database_url, nlu_model=nlu_model_dir, _env_file=None)  # type: ignore[call-arg]
    loaded = load_runtime(settings)
    assert loaded is not None
    return loaded
