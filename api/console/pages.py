"""The console's pages at /console: HTML shells in Persian, right to left; the scripts under
/static/console fill them from the JSON API. Without a live session a page sends the browser to the
login page; the admin page answers 403 to agents."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.deps import SignedIn, UnitOfWork, find_agent
from bot import __version__

router = APIRouter(prefix="/console", include_in_schema=False)
TEMPLATES = Path(__file__).parent / "templates"
SCRIPTS = {"forbidden": ["common"], "conversation": ["common", "customer", "conversation"]}
NAV = (("/console", "صف گفتگوها", "queue"), ("/console/reports", "گزارش‌ها", "reports"))


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    work: UnitOfWork,
    next_: Annotated[str, Query(alias="next", max_length=300)] = "/console",
) -> Response:
    # Only back into the console: ?next= must never send a signed-in agent to another site.
    target = next_ if next_.startswith("/console") else "/console"
    if await find_agent(request, work.session) is not None:
        return RedirectResponse(target, status_code=303)
    return HTMLResponse(_page("login", title="ورود به پیشخوان", signed_in=None, next=_e(target)))


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request, work: UnitOfWork) -> Response:
    return await _signed_in_page(request, work, "queue", title="صف گفتگوها")


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(
    request: Request, work: UnitOfWork, conversation_id: Annotated[int, PathParam(ge=1, le=2**62)]
) -> Response:
    return await _signed_in_page(
        request, work, "conversation", title="گفتگو", conversation_id=str(conversation_id)
    )


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, work: UnitOfWork) -> Response:
    return await _signed_in_page(request, work, "reports", title="گزارش‌ها")


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(request: Request, work: UnitOfWork) -> Response:
    return await _signed_in_page(request, work, "admin", title="مدیریت", admin_only=True)


async def _signed_in_page(
    request: Request, work: UnitOfWork, name: str, *, title: str, admin_only: bool = False, **values: str
) -> Response:
    signed_in = await find_agent(request, work.session)
    if signed_in is None:
        return RedirectResponse(f"/console/login?next={quote(request.url.path)}", status_code=303)
    if admin_only and not signed_in.is_admin:
        return HTMLResponse(_page("forbidden", title="دسترسی ندارید", signed_in=signed_in), status_code=403)
    return HTMLResponse(_page(name, title=title, signed_in=signed_in, **values))


def _page(name: str, *, title: str, signed_in: SignedIn | None, **values: str) -> str:
    body = _template(f"{name}.html").substitute(values)
    if signed_in is None:
        header, csrf, agent_attrs = "", "", ""
    else:
        agent = signed_in.agent
        header = _template("header.html").substitute(
            nav=_nav(name, signed_in.is_admin),
            agent_name=_e(agent.name),
            role="مدیر" if signed_in.is_admin else "کارشناس",
        )
        csrf = signed_in.live.csrf_token
        agent_attrs = f' data-agent-id="{agent.id}" data-role="{_e(str(agent.role))}"'
    scripts = SCRIPTS.get(name, ["common", name])
    return _template("base.html").substitute(
        title=_e(title),
        page=name,
        header=header,
        body=body,
        csrf=_e(csrf),
        agent=agent_attrs,
        version=__version__,
        scripts="".join(
            f'<script src="/static/console/{s}.js?v={__version__}" defer></script>' for s in scripts
        ),
    )


def _nav(current: str, admin: bool) -> str:
    links = [*NAV, ("/console/admin", "مدیریت", "admin")] if admin else list(NAV)
    current_mark = ' aria-current="page"'
    return "".join(
        f'<a href="{href}"{current_mark if key == current else ""}>{label}</a>' for href, label, key in links
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))
