"""Request-scoped dependencies: the session (committed once, at the edge), settings, the shop's key."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session, session.begin():
        yield session  # committed when the request succeeds, rolled back otherwise


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


# scope="function": the commit happens before the answer is sent, so a failed commit is never a 200 and
# the caller's next request reads what this one stored.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]

bearer = HTTPBearer(auto_error=False, description="The shop's PISHKHAN_API_KEY")


def require_shop_key(
    settings: AppSettings, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    expected = settings.api_key.get_secret_value().encode()
    given = (credentials.credentials if credentials else "").encode()
    if not credentials or not hmac.compare_digest(given, expected):
        raise HTTPException(
            status_code=401, detail="missing or wrong API key", headers={"WWW-Authenticate": "Bearer"}
        )


ShopKey = Annotated[None, Depends(require_shop_key)]
