"""What every console request starts from: one unit of work (committed once, before the answer, then
its events published), the signed-in agent from the session cookie, and the CSRF check on changes.

Console errors from the services become HTTP answers here, in one place: NotFound 404, NotAllowed 403,
Conflict 409, any other ConsoleError / AgentError / PeriodError 422, each with the Persian message.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import AppSettings, Session, bearer, require_shop_key
from bot.services import agents, console
from bot.services.reports import PeriodError
from bot.storage.models import Agent, AgentSession

COOKIE = "pishkhan_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATUS = {console.NotFound: 404, console.NotAllowed: 403, console.Conflict: 409}


@dataclass
class Work:
    session: AsyncSession
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, data: dict[str, Any], topic: str = "console") -> None:
        """Queue a live event; it is sent only once the transaction has committed."""
        self.events.append((topic, data))


async def get_work(request: Request) -> AsyncIterator[Work]:
    async with request.app.state.sessionmaker() as session:
        work = Work(session)
        try:
            async with session.begin():
                yield work
        except (console.ConsoleError, agents.AgentError, PeriodError) as exc:
            raise HTTPException(status_code=STATUS.get(type(exc), 422), detail=str(exc)) from None
    for topic, data in work.events:
        await request.app.state.bus.publish(topic, data)


# scope="function": commit before the answer is sent, so what the agent sees next is already stored.
UnitOfWork = Annotated[Work, Depends(get_work, scope="function")]


@dataclass(frozen=True)
class SignedIn:
    agent: Agent
    live: AgentSession

    @property
    def is_admin(self) -> bool:
        return console.is_admin(self.agent)


async def find_agent(request: Request, session: AsyncSession) -> SignedIn | None:
    found = await agents.access_session(session, request.cookies.get(COOKIE, ""))
    return None if found is None else SignedIn(agent=found[1], live=found[0])


def check_csrf(request: Request, signed_in: SignedIn) -> None:
    """Every change made with the session cookie carries the session's CSRF token in a header: another
    site can make a browser send the cookie, but cannot read the token from our pages."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), signed_in.live.csrf_token.encode()):
        raise HTTPException(
            status_code=403, detail="توکن CSRF نیست یا درست نیست؛ صفحه را دوباره بارگذاری کنید."
        )


async def require_agent(request: Request, work: UnitOfWork) -> SignedIn:
    signed_in = await find_agent(request, work.session)
    if signed_in is None:
        raise HTTPException(status_code=401, detail="وارد نشده‌اید یا نشست تمام شده است؛ دوباره وارد شوید.")
    check_csrf(request, signed_in)
    return signed_in


async def require_admin(signed_in: Annotated[SignedIn, Depends(require_agent, scope="function")]) -> SignedIn:
    if not signed_in.is_admin:
        raise HTTPException(status_code=403, detail="این کار فقط از مدیر برمی‌آید.")
    return signed_in


CurrentAgent = Annotated[SignedIn, Depends(require_agent, scope="function")]
CurrentAdmin = Annotated[SignedIn, Depends(require_admin, scope="function")]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def require_shop_or_agent(
    request: Request,
    session: Session,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Agent | None:
    """Reads of a customer: the shop with its API key (None), or a signed-in agent (their permission
    and the audit are the endpoint's to check). Only safe methods use this, so no CSRF check."""
    if credentials is not None or "authorization" in request.headers:
        require_shop_key(settings, credentials)
        return None
    signed_in = await find_agent(request, session)
    if signed_in is None:
        raise HTTPException(
            status_code=401,
            detail="sign in to the console or send the shop's API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return signed_in.agent


ShopOrAgent = Annotated[Agent | None, Depends(require_shop_or_agent)]
