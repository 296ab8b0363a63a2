"""The FastAPI application. ``create_app(settings)`` builds it; nothing connects until start-up."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import health, nlu, observability, public, v1, webchat
from api.background import background
from api.console import pages as console_pages
from api.console.headers import ConsoleSecurityHeaders
from api.errors import install_error_handlers
from api.limits import BodySizeLimitMiddleware
from api.observability import RequestIdMiddleware
from api.runtime import Runtime, load_runtime
from api.webhooks import instagram, rest, telegram
from bot import __version__
from bot.config import Settings, load_settings
from bot.observability import Metrics, configure_logging
from bot.storage.engine import create_engine, make_sessionmaker

log = logging.getLogger("pishkhan")
STATIC = Path(__file__).parent / "static"  # fonts, console scripts and styles: no CDN


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # REST turns run in the request, each holding a connection: half the pool, the rest for the
    # inbound worker, the outbox and the webhooks of this process
    app.state.rest_turns = asyncio.Semaphore(max(1, settings.database_pool_size // 2))
    if app.state.runtime is None and app.state.load_conversations:
        app.state.runtime = load_runtime(settings)
    if app.state.runtime is not None:
        app.state.runtime.conversations.metrics = app.state.metrics
    try:
        async with background(app):
            yield
    finally:
        await engine.dispose()


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, load_conversations: bool = True
) -> FastAPI:
    """The application. ``runtime`` lets tests share one loaded NLU model and dialogue between apps;
    ``load_conversations=False`` serves only the shop API and health."""
    settings = settings or load_settings()
    if os.environ.get("PISHKHAN_JSON_LOGS"):
        configure_logging(settings.log_level)
    app = FastAPI(
        title="Pishkhan",
        version=__version__,
        summary="Omnichannel Persian customer-support bot: shop integration, channels and the agent console.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.load_conversations = load_conversations
    app.state.metrics = Metrics()
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(ConsoleSecurityHeaders)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(observability.router)
    app.include_router(v1.router)
    app.include_router(nlu.router)
    app.include_router(rest.router)
    app.include_router(instagram.router)
    app.include_router(telegram.router)
    app.include_router(public.router)
    app.include_router(webchat.router)
    app.include_router(console_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
