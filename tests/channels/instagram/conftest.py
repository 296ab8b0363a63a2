"""Instagram fixtures: the fake Graph API on a loopback port, settings pointing at it, apps, signing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.runtime import Runtime
from bot.config import Settings
from tests.apps import serve
from tests.fakes.graph import TOKEN, FakeGraph

APP_SECRET = "test-instagram-app-secret"
VERIFY_TOKEN = "test-verify-token"
ACCOUNT = "17841400000000000"
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "instagram"


def signature(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def meta_body(payload: dict[str, Any]) -> bytes:
    """As Meta sends it: compact JSON with every non-ASCII character escaped (\\u06a9)."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()


def fixture_bytes(name: str) -> bytes:
    return (PAYLOADS / f"{name}.json").read_bytes()


def text_event(sender: str, mid: str, text: str, timestamp: int) -> dict[str, Any]:
    return {
        "sender": {"id": sender},
        "recipient": {"id": ACCOUNT},
        "timestamp": timestamp,
        "message": {"mid": mid, "text": text},
    }


def notification(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "instagram",
        "entry": [{"id": ACCOUNT, "time": 1718000009000, "messaging": list(events)}],
    }


async def post_signed(client: httpx.AsyncClient, raw: bytes, secret: str = APP_SECRET) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(raw, secret)}
    return await client.post("/webhooks/instagram", content=raw, headers=headers)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = await FakeGraph().start()
    yield fake
    await fake.close()


@pytest.fixture
def ig_settings(database_url: str, graph: FakeGraph) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        env="test",
        _env_file=None,
        instagram_app_secret=APP_SECRET,
        instagram_verify_token=VERIFY_TOKEN,
        instagram_access_token=TOKEN,
        instagram_account_id=ACCOUNT,
        graph_api_base=f"{graph.url}/v21.0",
    )


@pytest.fixture
async def ig_app(ig_settings: Settings) -> FastAPI:
    """Webhooks and sender without the bot: stored messages stay queued, nothing answers them."""
    return create_app(ig_settings, load_conversations=False)


@pytest.fixture
async def ig_client(ig_app: FastAPI, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(ig_app, engine):
        yield client


@pytest.fixture
async def ig_bot_app(ig_settings: Settings, runtime: Runtime) -> FastAPI:
    """The whole bot: webhook → inbound worker → trained NLU and dialogue → outbox → fake Graph API."""
    runtime.conversations.settings = ig_settings
    return create_app(ig_settings, runtime=runtime)


@pytest.fixture
async def ig_bot(ig_bot_app: FastAPI, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(ig_bot_app, engine):
        yield client
