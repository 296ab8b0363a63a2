"""Test databases: a fresh SQLite file and a fresh PostgreSQL database per run, dropped at the end."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.models import Base

PG_HOST = os.environ.get("PISHKHAN_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PISHKHAN_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("PISHKHAN_TEST_PG_USER", "postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def create_pg_database() -> str:
    """Create an empty database and return its SQLAlchemy URL; raises OSError when no server answers."""
    name = f"pishkhan_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


async def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'pishkhan-test.db'}"


async def empty_all_tables(engine: AsyncEngine) -> None:
    """Leave the database as a fresh migration left it (faster than recreating it per test)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))
