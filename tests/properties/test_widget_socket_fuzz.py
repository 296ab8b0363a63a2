"""The web-chat widget's socket, fed hostile frames after a valid hello (DESIGN §9, issue 8): the server
never closes it as a fault of its own (1011), and a refused frame (an ``error`` frame, or a close for a
frame too large or unreadable) stores nothing.

Hypothesis draws the frames in a worker thread while the app serves on this loop (``fuzzing.py``); the
socket is a real one, on a loopback port.

Faults it found once are kept as fixed examples (``FOUND_BEFORE``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from bot.config import Settings
from tests.apps import serve as run_lifespan
from tests.browser.server import serve as listen
from tests.properties.fuzzing import fuzz, row_counts
from tests.properties.hostile import PAYLOADS, damaged, encode, mutated

EXAMPLES = 100  # sessions per database, each of one to four frames after the hello
REFUSED_CLOSE = {1009: "frame too large", 4400: "frame refused"}
HELLOS = [
    {"type": "hello"},
    {"type": "hello", "token": "v_3fa1c09e5b7d42a8c6e1f0b2.x", "shop_user": "u1001", "identity_hash": "ab"},
]
OTHER_FRAMES = [
    {"type": "resume", "after_id": 0},
    {"type": "resume", "after_id": None},
    {"type": "typing", "on": True},
    {"type": "ping"},
    HELLOS[1],  # a second hello, once the session is on
]


def real_frames() -> list[dict[str, Any]]:
    """The frames of the recorded widget sessions (tests/fixtures/payloads/webchat), and a few more."""
    transcripts = sorted((PAYLOADS / "webchat").glob("*.json"))
    found = [
        frame
        for path in transcripts
        if not path.name.endswith(".expected.json")
        for frame in json.loads(path.read_text(encoding="utf-8"))["frames"]
    ]
    return found + OTHER_FRAMES


@st.composite
def frame(draw: st.DrawFn, bases: list[dict[str, Any]]) -> str | bytes:
    raw = draw(damaged(encode(draw(mutated(bases)), ascii_only=draw(st.booleans()))))
    if draw(st.booleans()):
        return raw  # a binary frame: the server reads it as UTF-8, replacing what is not
    return raw.decode("utf-8", "replace")


# Faults this fuzzing found once, kept as fixed examples: a frame nested 5,000 deep (RecursionError),
# an after_id past 64 bits (an overflow in the query), NUL in a message (PostgreSQL refuses it).
FOUND_BEFORE = {
    "deep": "[" * 5_000 + "]" * 5_000,
    "resume": json.dumps({"type": "resume", "after_id": 2**63}),
    "nul": json.dumps({"type": "message", "client_id": "fuzz-nul-1", "text": "a\x00b"}),
    "surrogate": json.dumps({"type": "message", "client_id": "fuzz-sur-1", "text": "a\ud800b"}),
}


# a session: its first frame (mostly a plain hello, sometimes a mutated one), then one to four frames
sessions = st.tuples(
    st.just(json.dumps(HELLOS[0])) | frame(HELLOS),
    st.lists(frame(real_frames()), min_size=1, max_size=4),
)


@pytest.fixture
async def widget(database_url: str, engine: AsyncEngine) -> AsyncIterator[tuple[FastAPI, str]]:
    settings = Settings.model_validate(
        {"database_url": database_url, "env": "test", "widget_new_conversations_per_ip_per_hour": 100_000}
    )
    app = create_app(settings, load_conversations=False)  # no bot: what a frame stores stays as it is
    async for _client in run_lifespan(app, engine):
        async with listen(app) as base:
            yield app, base.replace("http", "ws") + "/widget/ws"


async def replies_until_pong(ws: ClientConnection) -> list[dict[str, Any]]:
    """What the server answered to the frame before the ping that follows it."""
    replies = []
    while (reply := json.loads(await asyncio.wait_for(ws.recv(), 30))) != {"type": "pong"}:
        replies.append(reply)
    return replies


Session = tuple[str | bytes, list[str | bytes]]


def session_checker(app: FastAPI, url: str) -> Callable[[Session], Awaitable[None]]:
    async def check(session: Session) -> None:
        hello, frames = session
        async with connect(url, max_size=None) as ws:
            for number, sent in enumerate([hello, *frames]):
                before = await row_counts(app)
                shown = f"after {sent[:200]!r}…"
                try:
                    await ws.send(sent)
                    if number == 0:  # the hello is answered with the session, or refused
                        replies = [json.loads(await asyncio.wait_for(ws.recv(), 30))]
                    else:
                        await ws.send(json.dumps({"type": "ping"}))
                        replies = await replies_until_pong(ws)
                except ConnectionClosed as closed:
                    code = closed.rcvd.code if closed.rcvd else None
                    assert code in REFUSED_CLOSE, f"socket closed with {code} {shown}"
                    assert await row_counts(app) == before, f"stored, then closed {code} {shown}"
                    return
                if any(reply.get("type") == "error" for reply in replies):
                    assert await row_counts(app) == before, f"stored from a refused frame {shown}: {replies}"

    return check


async def test_the_widget_socket_survives_hostile_frames(widget: tuple[FastAPI, str]) -> None:
    await fuzz(sessions, session_checker(*widget), [], EXAMPLES)


@pytest.mark.parametrize("raw", list(FOUND_BEFORE.values()), ids=list(FOUND_BEFORE))
async def test_frames_that_once_broke_the_socket(widget: tuple[FastAPI, str], raw: str) -> None:
    await session_checker(*widget)((json.dumps(HELLOS[0]), [raw]))
