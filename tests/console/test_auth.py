"""Signing in and out: cookie flags, sessions that end, CSRF on every change, the login rate limit."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import func, select, update

from bot.services import agents
from bot.storage.base import utcnow
from bot.storage.models import Agent as AgentRow
from bot.storage.models import AgentSession, AuditLog, LoginAttempt, Note
from tests.console.conftest import SignIn, Tx, asgi_client
from tests.console.seed import PASSWORD, customer_thread, make_agent


async def test_login_sets_an_httponly_samesite_cookie_and_returns_the_csrf_token(
    app: FastAPI, tx: Tx
) -> None:
    async with tx() as session:
        await make_agent(session, "Sara@Shop.ir", name="سارا")
    async with asgi_client(app) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": " sara@shop.IR ", "password": PASSWORD}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["agent"]["name"] == "سارا" and body["agent"]["role"] == "agent"
        cookie = response.headers["set-cookie"].lower()
        assert "pishkhan_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie  # plain http (development): a Secure cookie would never come back
        me = await client.get("/api/v1/auth/me")
        assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]
    async with tx() as session:
        stored = await session.scalar(select(AgentSession))
        assert stored is not None and stored.token_hash not in cookie  # only a hash of the token is kept
        agent = await session.scalar(select(AgentRow))
        assert agent is not None and agent.last_login_at is not None


async def test_the_cookie_is_secure_over_https(app: FastAPI, tx: Tx) -> None:
    async with tx() as session:
        await make_agent(session, "sara@shop.ir")
    async with asgi_client(app, "https://test") as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": "sara@shop.ir", "password": PASSWORD}
        )
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()


async def test_wrong_password_and_unknown_email_get_the_same_401(app: FastAPI, tx: Tx) -> None:
    async with tx() as session:
        await make_agent(session, "sara@shop.ir")
    async with asgi_client(app) as client:
        wrong = await client.post(
            "/api/v1/auth/login", json={"email": "sara@shop.ir", "password": "nope-nope-nope"}
        )
        unknown = await client.post("/api/v1/auth/login", json={"email": "who@shop.ir", "password": PASSWORD})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert "set-cookie" not in wrong.headers
        assert (await client.get("/api/v1/handoffs")).status_code == 401


async def test_five_failures_lock_the_account_for_five_minutes_even_with_the_right_password(
    app: FastAPI, tx: Tx
) -> None:
    async with tx() as session:
        await make_agent(session, "sara@shop.ir")
    async with asgi_client(app) as client:
        for _ in range(5):
            response = await client.post(
                "/api/v1/auth/login", json={"email": "sara@shop.ir", "password": "x" * 12}
            )
            assert response.status_code == 401
        locked = await client.post("/api/v1/auth/login", json={"email": "sara@shop.ir", "password": PASSWORD})
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= 301
    async with tx() as session:  # the failures were committed although the requests failed
        assert await session.scalar(select(func.count()).select_from(LoginAttempt)) == 5
        await session.execute(update(LoginAttempt).values(created_at=utcnow() - timedelta(minutes=6)))
    async with asgi_client(app) as client:
        again = await client.post("/api/v1/auth/login", json={"email": "sara@shop.ir", "password": PASSWORD})
        assert again.status_code == 200  # failures older than the window no longer count


async def test_five_failures_from_one_address_lock_that_address_for_every_account(
    app: FastAPI, tx: Tx
) -> None:
    async with tx() as session:
        await make_agent(session, "reza@shop.ir")
    async with asgi_client(app) as client:
        for n in range(5):
            await client.post("/api/v1/auth/login", json={"email": f"guess{n}@shop.ir", "password": "x" * 12})
        response = await client.post(
            "/api/v1/auth/login", json={"email": "reza@shop.ir", "password": PASSWORD}
        )
    assert response.status_code == 429


async def test_a_deactivated_agent_cannot_sign_in(app: FastAPI, tx: Tx) -> None:
    async with tx() as session:
        agent = await make_agent(session, "sara@shop.ir")
        agent.active = False
    async with asgi_client(app) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": "sara@shop.ir", "password": PASSWORD}
        )
    assert response.status_code == 401


async def test_login_posted_from_another_site_is_refused(app: FastAPI, tx: Tx) -> None:
    async with tx() as session:
        await make_agent(session, "sara@shop.ir")
    async with asgi_client(app) as client:
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": "sara@shop.ir", "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
    assert response.status_code == 403


async def test_expired_idle_and_ended_sessions_answer_401(sign_in: SignIn, tx: Tx) -> None:
    sara = await sign_in("sara@shop.ir")
    assert (await sara.get("/api/v1/handoffs")).status_code == 200
    async with tx() as session:
        await session.execute(update(AgentSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await sara.get("/api/v1/handoffs")).status_code == 401

    reza = await sign_in("reza@shop.ir")
    async with tx() as session:
        idle = utcnow() - timedelta(minutes=agents.IDLE_MINUTES + 1)
        await session.execute(
            update(AgentSession).where(AgentSession.ended_at.is_(None)).values(last_seen_at=idle)
        )
    assert (await reza.get("/api/v1/handoffs")).status_code == 401

    nima = await sign_in("nima@shop.ir")
    assert (await nima.post("/api/v1/auth/logout")).status_code == 204
    assert (await nima.get("/api/v1/handoffs")).status_code == 401


async def test_logout_needs_the_csrf_token(sign_in: SignIn) -> None:
    sara = await sign_in("sara@shop.ir")
    response = await sara.client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert (await sara.get("/api/v1/handoffs")).status_code == 200  # still signed in


async def test_changes_without_or_with_a_wrong_csrf_token_are_refused_and_change_nothing(
    sign_in: SignIn, tx: Tx
) -> None:
    sara = await sign_in("sara@shop.ir")
    async with tx() as session:
        thread = await customer_thread(session)
    url = f"/api/v1/handoffs/{thread.conversation.id}/claim"
    assert (await sara.client.post(url)).status_code == 403
    assert (await sara.client.post(url, headers={"X-CSRF-Token": "forged"})).status_code == 403
    other = await sign_in("reza@shop.ir")
    assert (await sara.client.post(url, headers={"X-CSRF-Token": other.csrf})).status_code == 403
    note = {"text": "یادداشت"}
    notes_url = f"/api/v1/conversations/{thread.conversation.id}/notes"
    assert (await sara.client.post(notes_url, json=note)).status_code == 403
    async with tx() as session:
        assert await session.scalar(select(func.count()).select_from(Note)) == 0
        assert not await session.scalar(select(AuditLog.id).where(AuditLog.action == "conversation.claimed"))
    assert (await sara.post(url)).status_code == 200


async def test_console_and_api_answers_carry_security_headers(app: FastAPI, sign_in: SignIn) -> None:
    async with asgi_client(app) as client:
        page = await client.get("/console/login")
        unauthorised = await client.get("/api/v1/handoffs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    )
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert unauthorised.status_code == 401 and unauthorised.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # every script is a file: nothing inline for CSP to allow
