"""The widget's WebSocket (``/widget/ws``) and its history endpoint (``/widget/messages``).

The socket speaks JSON text frames (see ``bot.channels.webchat.session``). The first frame must be
``hello`` within ten seconds; a frame over 16 KiB closes the socket (1009); a frame that is not a
JSON object gets an ``error`` frame and the socket stays open; a server fault closes it (1011) and
the widget reconnects and resumes, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, WebSocket, WebSocketDisconnect

from bot.channels.webchat.adapter import FrameError, WebchatAdapter, refusal
from bot.channels.webchat.session import VisitorSession
from bot.channels.wire import check_document
from bot.services import webchat_history as history

router = APIRouter(include_in_schema=False)
log = logging.getLogger("pishkhan.webchat")
MAX_FRAME = 16 * 1024
HELLO_SECONDS = 10.0


class _Closed(Exception):
    pass


def webchat_adapter(app: Any) -> WebchatAdapter | None:
    plugin = getattr(app.state, "channels", {}).get("webchat")
    return plugin.adapter if plugin is not None else None


@router.websocket("/widget/ws")
async def widget_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    adapter = webchat_adapter(websocket.app)
    if adapter is None:
        await websocket.close(1013)  # try again later: the app is starting or stopping
        return

    async def send(frame: dict[str, Any]) -> None:
        await websocket.send_text(json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    async def close(code: int) -> None:
        with contextlib.suppress(Exception):
            await websocket.close(code)

    ip = websocket.client.host if websocket.client else "unknown"
    session = VisitorSession(adapter, send, close, ip=ip)
    try:
        hello = await asyncio.wait_for(_frame(websocket), HELLO_SECONDS)
        await session.start(hello or {})
        async with session.live():
            while True:
                frame = await _frame(websocket)
                if frame is None:
                    await session.send(
                        {"type": "error", "code": "bad_request", "text": refusal("bad_request").text}
                    )
                    continue
                await session.handle(frame)
    except (WebSocketDisconnect, _Closed):
        pass
    except TimeoutError:
        await close(4408)
    except FrameError as exc:
        with contextlib.suppress(Exception):
            await session.send({"type": "error", "code": exc.code, "text": exc.text})
        await close(4400)
    except Exception:
        log.exception("widget socket failed; the widget will reconnect and resume")
        await close(1011)


async def _frame(websocket: WebSocket) -> dict[str, Any] | None:
    """The next frame as a JSON object; None when it is not one; _Closed when the socket is gone."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise _Closed
    raw = message.get("text")
    if raw is None:
        raw = (message.get("bytes") or b"").decode("utf-8", "replace")
    if len(raw) > MAX_FRAME:
        await websocket.close(1009)
        raise _Closed
    try:  # cleaned as webhook bodies are: no NaN, no absurd nesting, no NUL PostgreSQL cannot store
        frame = check_document(json.loads(raw))
    except (ValueError, RecursionError):  # BodyError is a ValueError
        return None
    return frame if isinstance(frame, dict) else None


@router.get("/widget/messages")
async def widget_messages(
    request: Request,
    x_visitor_token: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Messages after this id")] = None,
) -> dict[str, Any]:
    """The visitor's messages after ``after`` (the latest ones without it), for a widget that syncs
    over HTTP; authenticated by the visitor token in ``X-Visitor-Token``."""
    adapter = webchat_adapter(request.app)
    if adapter is None:
        raise HTTPException(status_code=503, detail="web chat is starting; retry shortly")
    visitor_id = adapter.read_token(x_visitor_token)
    if visitor_id is None:
        raise HTTPException(status_code=401, detail="missing or invalid visitor token")
    async with adapter.sessionmaker() as session:
        if after is None:
            batch = await history.tail(session, visitor_id)
        else:
            batch = await history.replay(session, visitor_id, after_id=after)
    return {
        "messages": batch.messages,
        "last_id": batch.last_id if batch.messages else after,
        "reply_pending": batch.blocked,
    }
