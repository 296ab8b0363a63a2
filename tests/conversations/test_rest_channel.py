"""Rasa's REST channel: the optional bearer token, Rasa's answer shape, and bad bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.runtime import Runtime
from bot.config import Settings


@pytest.fixture
async def guarded(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    # validated like the environment would be (model_copy would skip turning the token into a SecretStr)
    guarded_settings = Settings.model_validate({**settings.model_dump(), "rest_token": "s3cret"})
    app: FastAPI = create_app(guarded_settings, runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.mark.parametrize("header", [None, "Bearer wrong", "s3cret", "Basic s3cret"])
async def test_with_a_token_set_only_that_token_gets_in(
    guarded: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await guarded.post(
        "/webhooks/rest/webhook", json={"sender": "u1", "message": "سلام"}, headers=headers
    )
    assert response.status_code == 401


async def test_the_right_token_gets_rasas_answer(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post(
        "/webhooks/rest/webhook",
        json={"sender": "u1", "message": "سلام"},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert response.status_code == 200
    [greeting] = response.json()
    assert greeting["recipient_id"] == "u1"
    assert "دستیار پشتیبانی فروشگاه نمونه" in greeting["text"]
    assert {b["payload"] for b in greeting["buttons"]} >= {"/track_order", "/human_handoff"}


@pytest.mark.parametrize(
    "body",
    [{"message": "hi"}, {"sender": "", "message": "hi"}, {"sender": "u", "message": 5}, {"sender": "u"}],
)
async def test_bad_bodies_are_422(bot: httpx.AsyncClient, body: dict) -> None:
    response = await bot.post("/webhooks/rest/webhook", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "raw, field",
    [
        (b'{"sender": "u", "message": "hi", "metadata": {"x": NaN}}', "metadata"),
        (b'{"sender": "u", "message": "h\\u0000i"}', "message"),
        (b'{"sender": "\\u0000", "message": "hi"}', "sender"),
        (b'{"sender": "u", "message": "hi", "metadata": {"y": "\\ud800"}}', "metadata"),
        (
            json.dumps({"sender": "u", "message": "hi", "metadata": {"message_id": "m" * 300}}).encode(),
            "metadata",
        ),
        (b'{"sender": "u", "message": "hi", "metadata": {"x": ' + b"[" * 50 + b"]" * 50 + b"}}", "metadata"),
    ],
)
async def test_what_the_database_cannot_store_is_422_not_503(
    bot: httpx.AsyncClient, raw: bytes, field: str
) -> None:
    # PostgreSQL refuses NaN, NUL and lone surrogates in jsonb, and ids over 255 characters: they used to
    # reach it and come back as "database unavailable"
    response = await bot.post(
        "/webhooks/rest/webhook", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "raw, detail",
    [
        (b'{"sender": "u", "message": "\xff"}', "request body is not UTF-8: invalid start byte at byte 28"),
        (b"[" * 10_000 + b"]" * 10_000, "request body is nested too deeply"),
    ],
)
async def test_a_body_that_cannot_be_decoded_is_400_saying_why(
    bot: httpx.AsyncClient, raw: bytes, detail: str
) -> None:
    response = await bot.post(
        "/webhooks/rest/webhook", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json() == {"detail": detail}


async def test_health_of_the_rest_channel(bot: httpx.AsyncClient) -> None:
    assert (await bot.get("/webhooks/rest/")).json() == {"status": "ok"}
