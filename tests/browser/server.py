"""The whole app on a loopback port, inside the test's event loop, so a browser talks to it over real
HTTP and WebSockets while the test reaches its state (database, bus, channels) directly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from bot.config import Settings
from bot.storage.migrate import upgrade_async
from tests import db
from tests.conftest import API_KEY
from tests.shop import KnownShop, load_known_shop

IDENTITY_SECRET = "browser-test-identity-secret"
SHOP_USER = "u-1"  # Sara in tests/shop.py


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    settings: Settings
    shop: KnownShop

    @contextlib.asynccontextmanager
    async def tx(self) -> AsyncIterator[AsyncSession]:
        """One committed transaction on the server's database (its commit nudges its outbox sender)."""
        async with self.app.state.sessionmaker() as session, session.begin():
            yield session

    def channel(self, name: str) -> Any:
        return self.app.state.channels[name].adapter


@contextlib.asynccontextmanager
async def start_live_server(directory: Path, nlu_model: Path, **overrides: Any) -> AsyncIterator[LiveServer]:
    url = db.sqlite_url(directory)
    await upgrade_async(url)
    settings = Settings(  # type: ignore[call-arg]
        **{
            "database_url": url,
            "env": "test",
            "_env_file": None,
            "api_key": API_KEY,
            "nlu_model": nlu_model,
            "widget_identity_secret": IDENTITY_SECRET,
            "widget_demo_shop_user": SHOP_USER,
            "widget_new_conversations_per_ip_per_hour": 10_000,
            **overrides,
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session, session.begin():
            shop = await load_known_shop(session)
        async with serve(app) as base:
            yield LiveServer(base, app, settings, shop)


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Yield the base URL; the caller runs the app's lifespan."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws="websockets-sansio",  # the legacy websockets protocol is deprecated (warnings are errors here)
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(400):
            if server.started or task.done():
                break
            await asyncio.sleep(0.025)
        if not server.started:
            await task
            raise RuntimeError("uvicorn did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
