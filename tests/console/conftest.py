"""Console fixtures: cheap password hashing, signed-in clients (one cookie jar each), committed seed data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import agents
from tests.console.seed import CHEAP_HASHER, PASSWORD, make_agent


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agents, "hasher", CHEAP_HASHER)
    agents._dummy_hash.cache_clear()


Tx = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@pytest.fixture
def tx(app: FastAPI) -> Tx:
    """``async with tx() as session:`` — one committed transaction on the app's database."""

    @asynccontextmanager
    async def run() -> AsyncIterator[AsyncSession]:
        async with app.state.sessionmaker() as session, session.begin():
            yield session

    return run


@dataclass
class Agent:
    """A browser signed in as one agent: its own cookie jar, and the CSRF token the pages would send."""

    client: httpx.AsyncClient
    id: int
    email: str
    csrf: str

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, **kwargs)

    async def post(self, url: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return await self.client.post(url, json=json, headers=headers, **kwargs)

    async def put(self, url: str, json: Any = None) -> httpx.Response:
        return await self.client.put(url, json=json, headers={"X-CSRF-Token": self.csrf})

    async def delete(self, url: str) -> httpx.Response:
        return await self.client.delete(url, headers={"X-CSRF-Token": self.csrf})


SignIn = Callable[..., Awaitable[Agent]]


def asgi_client(app: FastAPI, base_url: str = "http://test") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def sign_in(app: FastAPI, tx: Tx) -> AsyncIterator[SignIn]:
    """``await sign_in("sara@shop.ir", role="admin")`` creates the agent and signs a new client in."""
    clients: list[httpx.AsyncClient] = []

    async def make(email: str, *, role: str = "agent", name: str | None = None) -> Agent:
        async with tx() as session:
            agent = await make_agent(session, email, role=role, name=name)
        client = asgi_client(app)
        clients.append(client)
        response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return Agent(client=client, id=agent.id, email=email, csrf=response.json()["csrf_token"])

    yield make
    for client in clients:
        await client.aclose()
