"""The widget's loader script (``/widget.js``) and the chat app inside its iframe (``/widget/``)."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import AppSettings

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent.parent / "static" / "webchat"
TEMPLATES = Path(__file__).parent / "templates"

# The iframe app: its own files only, its socket on this origin; any shop may embed it.
WIDGET_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self' data:; connect-src 'self' {ws}; base-uri 'none'; form-action 'none'; frame-ancestors *"
)


@router.get("/widget.js")
async def loader_script() -> Response:
    return Response(
        _read(STATIC / "loader.js"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/widget/", response_class=HTMLResponse)
async def widget_app(request: Request, settings: AppSettings) -> HTMLResponse:
    ws_origin = f"{'wss' if request.url.scheme == 'https' else 'ws'}://{request.url.netloc}"
    page = _template("widget.html").substitute(shop=html.escape(settings.shop_name))
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": WIDGET_POLICY.format(ws=ws_origin),
            "Cache-Control": "no-cache",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _template(name: str) -> Template:
    return Template(_read(TEMPLATES / name))
