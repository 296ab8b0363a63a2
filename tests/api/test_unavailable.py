"""A database that is down or has no connection to spare answers 503 with Retry-After, never 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from api.errors import install_error_handlers


@pytest.mark.parametrize(
    "error",
    [
        sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached, connection timed out"),
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        sa_exc.OperationalError("SELECT 1", {}, ConnectionResetError()),
    ],
    ids=["pool exhausted", "connection refused", "connection lost"],
)
async def test_an_unavailable_database_answers_503(error: Exception) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/work")
    async def work() -> None:
        raise error

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/work")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json() == {"detail": "database unavailable, retry later"}


async def test_a_bug_is_still_a_500() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/work")
    async def work() -> None:
        raise KeyError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/work")).status_code == 500
