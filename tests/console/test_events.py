"""The live queue: Server-Sent Events over real HTTP, fed by the event bus after each commit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from fastapi import FastAPI

from tests.browser.server import serve
from tests.console.conftest import SignIn, Tx
from tests.console.seed import customer_thread


async def _next_event(lines: Any) -> tuple[str, dict[str, Any]]:
    kind = ""
    async for line in lines:
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind:
            return kind, json.loads(line.removeprefix("data: "))
    raise AssertionError("stream ended")


async def test_a_claim_reaches_open_consoles_and_logout_ends_the_stream(
    app: FastAPI, sign_in: SignIn, tx: Tx
) -> None:
    watcher = await sign_in("sara@shop.ir")
    claimer = await sign_in("reza@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session)
        second = await customer_thread(session)
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as http:
        # the session cookie of the signed-in test client (set for its own host name)
        http.cookies.set("pishkhan_session", watcher.client.cookies["pishkhan_session"])
        async with httpx.AsyncClient(base_url=base, cookies={"pishkhan_session": "nope"}) as stranger:
            assert (await stranger.get("/api/v1/events")).status_code == 401
        async with http.stream("GET", "/api/v1/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            assert (await claimer.post(f"/api/v1/handoffs/{thread.conversation.id}/claim")).status_code == 200
            kind, data = await asyncio.wait_for(_next_event(lines), 5)
            assert kind == "conversation.updated"
            assert data["conversation_id"] == thread.conversation.id and data["action"] == "claimed"
            assert data["status"] == "open" and data["assignee_id"] == claimer.id
            assert set(data) <= {"type", "action", "conversation_id", "customer_id", "status", "assignee_id"}

            assert (await claimer.post("/api/v1/auth/logout")).status_code == 204  # someone else's logout
            assert (await watcher.post(f"/api/v1/handoffs/{second.conversation.id}/claim")).status_code == 200
            kind, data = await asyncio.wait_for(_next_event(lines), 5)
            assert kind == "conversation.updated" and data["conversation_id"] == second.conversation.id

            assert (await watcher.post("/api/v1/auth/logout")).status_code == 204
            kind, _ = await asyncio.wait_for(_next_event(lines), 5)
            assert kind == "session.ended"
