"""The console's pages: sign-in redirects, roles, the CSRF token in the page, files served locally."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.console.conftest import SignIn, asgi_client


async def test_pages_send_a_stranger_to_the_login_page(app: FastAPI) -> None:
    async with asgi_client(app) as client:
        for path in ("/console", "/console/reports", "/console/admin", "/console/conversations/5"):
            response = await client.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == f"/console/login?next={path}"
        login = await client.get("/console/login?next=https://evil.example/")
        assert login.status_code == 200 and 'data-next="/console"' in login.text
        assert 'dir="rtl"' in login.text and 'lang="fa"' in login.text


async def test_a_signed_in_agent_gets_pages_with_the_csrf_token_and_no_admin_page(sign_in: SignIn) -> None:
    agent = await sign_in("sara@shop.ir", name="سارا")
    page = await agent.get("/console")
    assert page.status_code == 200
    assert f'<meta name="csrf-token" content="{agent.csrf}">' in page.text
    assert "سارا" in page.text and 'href="/console/admin"' not in page.text
    assert (await agent.get("/console/login")).status_code == 303  # already signed in
    assert (await agent.get("/console/reports")).status_code == 200
    conversation = await agent.get("/console/conversations/42")
    assert 'data-conversation-id="42"' in conversation.text
    assert (await agent.get("/console/admin")).status_code == 403


async def test_an_admin_gets_the_admin_page(sign_in: SignIn) -> None:
    admin = await sign_in("boss@shop.ir", role="admin")
    page = await admin.get("/console/admin")
    assert page.status_code == 200 and 'href="/console/admin"' in page.text


async def test_every_script_style_and_font_is_served_by_pishkhan(sign_in: SignIn) -> None:
    agent = await sign_in("sara@shop.ir")
    for path in ("/console", "/console/conversations/1", "/console/reports"):
        page = (await agent.get(path)).text
        assets = re.findall(r'(?:src|href)="(/static/[^"?]+)', page)
        assert assets and not re.search(r'(?:src|href)="(?:https?:)?//', page)  # no CDN
        for asset in assets:
            assert (await agent.get(asset)).status_code == 200, asset
    css = (await agent.get("/static/fonts/fonts.css")).text
    for font in re.findall(r'url\("([^"]+)"\)', css):
        assert (await agent.get(f"/static/fonts/{font}")).status_code == 200
