"""People who work in the console: accounts, signing in (argon2, rate-limited), sessions.

A session is a random token in the browser's cookie; the database keeps only its SHA-256, with a CSRF
token the pages send back in a header on every change. Sessions end on logout, after ``SESSION_HOURS``,
after ``IDLE_MINUTES`` without a request, or when the agent is deactivated.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.storage.base import utcnow
from bot.storage.models import Agent, AgentRole, AgentSession, LoginAttempt
from bot.text.digits import to_persian_digits

SESSION_HOURS = 12
IDLE_MINUTES = 120
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often, not on every request
LOGIN_WINDOW = timedelta(minutes=5)
MAX_FAILURES = 5  # per account and per IP address within LOGIN_WINDOW
MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# argon2id with the library's defaults (RFC 9106 low-memory profile). Tests swap in a cheaper one.
hasher = PasswordHasher()


class AgentError(ValueError):
    """The account cannot be created or changed as asked; the message says why."""


class LoginFailed(Exception):
    """Wrong email or password, or a deactivated account: the caller never learns which."""


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SignedIn:
    agent: Agent
    session: AgentSession
    token: str  # goes to the browser once, in the cookie; never stored


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise AgentError(f"«{email.strip()}» نشانی ایمیل درستی نیست.")
    return value


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AgentError(f"گذرواژه باید دست‌کم {to_persian_digits(MIN_PASSWORD)} نویسه باشد.")
    if len(password) > 1024:
        raise AgentError("گذرواژه بیش از اندازه بلند است.")
    return password


async def create_agent(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    role: AgentRole | str,
    password: str,
    actor_id: int | None = None,
) -> Agent:
    email, role = normalize_email(email), AgentRole(role)
    name = name.strip()
    if not name or len(name) > 200:
        raise AgentError("نام باید ۱ تا ۲۰۰ نویسه باشد.")
    if await session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
        raise AgentError(f"کارشناسی با ایمیل {email} از پیش هست.")
    password_hash = await asyncio.to_thread(hasher.hash, check_password(password))
    agent = Agent(email=email, name=name, role=role, password_hash=password_hash, active=True)
    session.add(agent)
    await session.flush()
    audit.record(
        session,
        action="agent.created",
        subject_type="agent",
        subject_id=agent.id,
        actor_type="agent" if actor_id else "system",
        actor_id=actor_id,
        detail={"role": str(role)},
    )
    return agent


async def list_agents(session: AsyncSession) -> list[Agent]:
    return list(await session.scalars(select(Agent).order_by(Agent.active.desc(), Agent.name, Agent.id)))


async def set_active(session: AsyncSession, *, agent: Agent, active: bool, actor_id: int) -> Agent:
    """Deactivating signs the agent out everywhere; their conversations stay as they are."""
    if agent.id == actor_id and not active:
        raise AgentError("حساب خودتان را نمی‌توانید غیرفعال کنید.")
    agent.active = active
    if not active:
        await session.execute(
            update(AgentSession)
            .where(AgentSession.agent_id == agent.id, AgentSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
    audit.record(
        session,
        action="agent.activated" if active else "agent.deactivated",
        subject_type="agent",
        subject_id=agent.id,
        actor_type="agent",
        actor_id=actor_id,
    )
    await session.flush()
    return agent


# -- signing in ---------------------------------------------------------------------------------------


async def authenticate(
    session: AsyncSession, *, email: str, password: str, ip: str, now: datetime | None = None
) -> Agent:
    """The active agent with this email and password. Every attempt is recorded, so the caller must
    commit even when this raises LoginFailed: the failures are what the rate limit counts."""
    now = now or utcnow()
    email = email.strip().lower()[:254]
    ip = ip[:64]
    await check_login_allowed(session, email=email, ip=ip, now=now)
    agent = await session.scalar(select(Agent).where(Agent.email == email))
    # A missing account costs the same hashing time as a wrong password, so timing tells nothing.
    stored = agent.password_hash if agent is not None else _dummy_hash()
    ok = await asyncio.to_thread(_verify, stored, password)
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok and agent is not None and agent.active))
    if not ok or agent is None or not agent.active:
        await session.flush()
        raise LoginFailed
    if hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = await asyncio.to_thread(hasher.hash, password)
    agent.last_login_at = now
    await session.flush()
    return agent


async def check_login_allowed(session: AsyncSession, *, email: str, ip: str, now: datetime) -> None:
    """Raise LoginThrottled after MAX_FAILURES failures within LOGIN_WINDOW for the account or the IP."""
    since = now - LOGIN_WINDOW
    for column, value in ((LoginAttempt.email, email), (LoginAttempt.ip, ip)):
        latest = list(
            await session.scalars(
                select(LoginAttempt.created_at)
                .where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)
                .order_by(LoginAttempt.created_at.desc())
                .limit(MAX_FAILURES)
            )
        )
        if len(latest) >= MAX_FAILURES:
            # Allowed again once the oldest of these failures leaves the window.
            wait = latest[-1] + LOGIN_WINDOW - now
            raise LoginThrottled(max(1, int(wait.total_seconds()) + 1))


def _verify(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_hex(16))


# -- sessions -----------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    session: AsyncSession, *, agent: Agent, ip: str | None, now: datetime | None = None
) -> SignedIn:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = AgentSession(
        agent_id=agent.id,
        token_hash=_token_hash(token),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(hours=SESSION_HOURS),
        last_seen_at=now,
        ip=(ip or "")[:64] or None,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        action="agent.login",
        subject_type="agent",
        subject_id=agent.id,
        actor_type="agent",
        actor_id=agent.id,
    )
    return SignedIn(agent=agent, session=row, token=token)


async def access_session(
    session: AsyncSession, token: str, *, now: datetime | None = None
) -> tuple[AgentSession, Agent] | None:
    """The live session and its agent for a cookie's token, or None when it is unknown or over."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = (
        await session.execute(
            select(AgentSession, Agent)
            .join(Agent, Agent.id == AgentSession.agent_id)
            .where(AgentSession.token_hash == _token_hash(token))
        )
    ).first()
    if row is None:
        return None
    live, agent = row
    idle_since = now - timedelta(minutes=IDLE_MINUTES)
    if live.ended_at is not None or live.expires_at <= now or live.last_seen_at <= idle_since:
        return None
    if not agent.active:
        return None
    if now - live.last_seen_at >= TOUCH_EVERY:
        live.last_seen_at = now
    return live, agent


async def end_session(session: AsyncSession, live: AgentSession, *, now: datetime | None = None) -> None:
    live.ended_at = now or utcnow()
    audit.record(
        session,
        action="agent.logout",
        subject_type="agent",
        subject_id=live.agent_id,
        actor_type="agent",
        actor_id=live.agent_id,
    )
    await session.flush()


async def access_agent(session: AsyncSession, agent_id: int) -> Agent | None:
    return await session.get(Agent, agent_id)
