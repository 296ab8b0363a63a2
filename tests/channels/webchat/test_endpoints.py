"""The widget over HTTP: the loader, the iframe page, the demo shop, the socket's edges, history."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from bot.channels.webchat.tokens import identity_hash, identity_secret
from bot.config import Settings
from tests.browser.server import serve


async def test_the_loader_and_the_iframe_page(client: httpx.AsyncClient) -> None:
    loader = await client.get("/widget.js")
    assert loader.status_code == 200 and loader.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in loader.text and "widget/" in loader.text
    page = await client.get("/widget/")
    assert page.status_code == 200
    assert '<html lang="fa" dir="rtl">' in page.text and "../static/fonts/fonts.css" in page.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy and "cdn" not in page.text.lower()
    assert "x-frame-options" not in page.headers, "any shop may embed the widget"
    for asset in ("app.js", "connection.js", "view.js", "format.js", "widget.css"):
        assert (await client.get(f"/static/webchat/{asset}")).status_code == 200, asset


async def test_the_demo_shop_carries_the_widget_and_logs_in_as_the_demo_customer(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    guest = await client.get("/")
    assert guest.status_code == 200 and 'dir="rtl"' in guest.text and "تومان" in guest.text
    [tag] = re.findall(r"<script src=\"/widget.js\"[^>]*>", guest.text)
    assert "data-shop-user" not in tag
    customer = await client.get("/", params={"as": "customer"})
    secret = identity_secret(settings)
    assert secret is not None
    expected = identity_hash(secret, settings.widget_demo_shop_user)
    assert f'data-shop-user="{settings.widget_demo_shop_user}"' in customer.text
    assert f'data-identity-hash="{expected}"' in customer.text


async def test_no_demo_shop_in_production(database_url: str) -> None:
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url, env="production", secret_key="k" * 40, api_key="a" * 40, _env_file=None
    )
    app = create_app(settings, load_conversations=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
        assert (await api.get("/")).status_code == 404


async def test_the_socket_refuses_what_it_cannot_read(app: FastAPI) -> None:
    async with serve(app) as base:
        url = base.replace("http", "ws") + "/widget/ws"
        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "hello"}))
            session = json.loads(await ws.recv())
            assert session["type"] == "session" and session["token"].startswith(session["visitor"] + ".")
            await ws.send("not json")
            assert json.loads(await ws.recv())["code"] == "bad_request"
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv()) == {"type": "pong"}
            await ws.send(json.dumps({"type": "typing", "text": "x" * 20_000}))
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "message", "text": "سلام", "client_id": "c-no-hello"}))
            assert json.loads(await ws.recv())["code"] == "not_ready"
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_history_over_http_needs_the_visitor_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert (await client.get("/widget/messages")).status_code == 401
    forged = {"X-Visitor-Token": "v_" + "0" * 24 + "." + "A" * 43}
    assert (await client.get("/widget/messages", headers=forged)).status_code == 401
    async with serve(app) as base, connect(base.replace("http", "ws") + "/widget/ws") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        token = json.loads(await ws.recv())["token"]
    answer = await client.get("/widget/messages", headers={"X-Visitor-Token": token}, params={"after": 0})
    assert answer.status_code == 200
    assert answer.json() == {"messages": [], "last_id": 0, "reply_pending": False}
