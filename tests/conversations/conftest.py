"""Conversation fixtures: one trained NLU model and dialogue per test run, an app with known orders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.runtime import Runtime
from bot.config import Settings
from tests import db
from tests.shop import KnownShop, load_known_shop


@pytest.fixture
async def bot_app(settings: Settings, runtime: Runtime, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    runtime.conversations.settings = settings
    app = create_app(settings, runtime=runtime)
    async with app.router.lifespan_context(app):
        yield app
    await db.empty_all_tables(engine)


@pytest.fixture
async def bot(bot_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=bot_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def shop(bot_app: FastAPI) -> KnownShop:
    async with bot_app.state.sessionmaker() as session, session.begin():
        return await load_known_shop(session)
