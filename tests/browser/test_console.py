"""The agent console in headless Chromium: sign in, a handoff arriving live from the REST channel, the
customer's two channels in one timeline, a reply reaching the channel, resolve with the CSAT question,
and the KPI and admin pages. Screenshots land in test-output/browser/<test>/ and are looked at."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.services import identity
from bot.storage.base import utcnow
from bot.storage.models import AuditLog, Conversation, CsatResponse, Message, Outbox, Sender
from tests.browser.conftest import Shots
from tests.browser.console import (
    ChannelFake,
    a_fortnight_of_work,
    console_agents,
    others_waiting,
    sara_on_instagram_and_rest,
    sign_in,
)
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


def persian(value: object) -> str:
    return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def accept_dialogs(page: Page) -> None:
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))


async def test_an_agent_takes_a_live_handoff_replies_on_the_customers_channel_and_resolves(
    page: Page, live_server: LiveServer, shots: Shots
) -> None:
    server, tag = live_server, uuid.uuid4().hex[:6]
    rest_user = f"rest-sara-{tag}"
    async with server.tx() as session:
        agent, _admin = await console_agents(session, tag)
        await sara_on_instagram_and_rest(session, server, rest_user)
        await others_waiting(session)
    fake = ChannelFake()
    registry = server.app.state.outbox_sender.registry
    registry.register("rest", fake)
    await page.set_viewport_size({"width": 1366, "height": 960})
    try:
        await sign_in(page, server, agent.email)
        await expect(page.locator("#live")).to_have_attribute("data-state", "on")
        await page.evaluate("window.sameDocument = true")

        # The customer asks for a person through the REST channel; the queue shows it without a reload.
        async with httpx.AsyncClient(base_url=server.url) as http:
            answer = await http.post(
                "/webhooks/rest/webhook", json={"sender": rest_user, "message": "/human_handoff"}
            )
        assert answer.status_code == 200 and answer.json(), answer.text
        async with server.tx() as session:
            found = await identity.find_identity(session, channel="rest", external_id=rest_user)
            assert found is not None
            conversation_id = await session.scalar(
                select(Conversation.id).where(Conversation.identity_id == found.id)
            )
        row = page.locator(f'#pending tr[data-conversation-id="{conversation_id}"]')
        await expect(row).to_be_visible(timeout=10_000)
        assert await page.evaluate("window.sameDocument") is True, "the row came live, not from a reload"
        await expect(row).to_contain_text("سارا احمدی")
        await expect(row).to_contain_text("درخواست مشتری")
        await expect(row.locator(".badge")).to_have_text("REST")
        await shots.take(page, "queue")

        # Claim it and see both channels in one timeline, with the bot's understanding and the reason.
        await row.get_by_role("button", name="برداشتن").click()
        await expect(page).to_have_url(f"{server.url}/console/conversations/{conversation_id}")
        timeline = page.locator("#timeline")
        await expect(timeline.locator('.msg[data-channel="instagram"]').first).to_contain_text(
            "۱۰۰۰۰۰۱ کی می‌رسه"
        )
        await expect(timeline.locator('.msg[data-channel="rest"]').first).to_be_visible()
        await expect(timeline.locator(".msg.in .nlu").first).to_contain_text("track_order")
        await expect(page.locator("#handoff-banner")).to_contain_text("درخواست مشتری")
        await expect(page.locator("#profile")).to_contain_text("سارا احمدی")
        await expect(page.locator("#orders")).to_contain_text("۱۰۰۰۰۰۱")

        # A canned response, filled for Sara, edited and sent: it reaches the REST channel's fake.
        await page.select_option("#canned", label=f"پیگیری سفارش (followup-{tag})")
        text = page.locator("#reply-text")
        await expect(text).to_have_value(re.compile(r"^سارا احمدی عزیز، سلام! وضعیت سفارش ۱۰۰۰۰۰[۰-۹]"))
        await text.press("End")
        await text.type(" چند لحظه صبر کنید.")
        await page.get_by_role("button", name="ارسال").click()
        reply = timeline.locator(".msg.s-agent").last
        await expect(reply).to_contain_text("چند لحظه صبر کنید.")
        await expect(reply.locator(".delivery")).to_have_text("✓ ارسال شد", timeout=10_000)
        sent = [item for item in fake.delivered if item.target == rest_user]
        assert len(sent) == 1 and sent[0].body["text"].startswith("سارا احمدی عزیز")
        async with server.tx() as session:
            stored = await session.scalar(select(Message).where(Message.id == sent[0].message_id))
            assert stored is not None and stored.sender == Sender.AGENT and stored.agent_id == agent.id
            assert (
                await session.scalar(select(Outbox.channel).where(Outbox.message_id == stored.id)) == "rest"
            )

        await page.fill("#note-text", "مشتری عجله دارد؛ اگر تا فردا نرسید تماس بگیریم.")
        await page.get_by_role("button", name="افزودن یادداشت").click()
        await expect(page.locator("#notes")).to_contain_text("مشتری عجله دارد")
        await page.locator(".customer").evaluate("aside => aside.scrollTo(0, 0)")  # the profile, for the shot
        await shots.take(page, "conversation")

        # Resolve: the CSAT question goes to the customer's channel.
        accept_dialogs(page)
        await page.click("#resolve")
        await expect(page.locator("#status")).to_have_text("بسته")
        question = timeline.locator(".msg.s-bot").last
        await expect(question).to_contain_text("چقدر از پاسخ‌گویی راضی بودید")
        await expect(question.locator(".chip")).to_have_count(5)
        await expect(question.locator(".delivery")).to_have_text("✓ ارسال شد", timeout=10_000)
        csat = [item for item in fake.delivered if item.target == rest_user and item.body.get("buttons")]
        assert len(csat) == 1 and len(csat[0].body["buttons"]) == 5
        await expect(page.locator("#reply-closed")).to_contain_text("بسته شده")
        await shots.take(page, "resolved")

        # The customer taps "۵ عالی": the score is the agent's.
        async with httpx.AsyncClient(base_url=server.url) as http:
            tapped = csat[0].body["buttons"][0]["payload"]
            thanks = await http.post("/webhooks/rest/webhook", json={"sender": rest_user, "message": tapped})
        assert thanks.status_code == 200
        async with server.tx() as session:
            score = await session.scalar(
                select(CsatResponse).where(CsatResponse.conversation_id == conversation_id)
            )
            assert score is not None and score.score == 5 and score.agent_id == agent.id
            # One opening of Sara's page, audited once, however often it refreshed live.
            views = await session.scalars(
                select(AuditLog).where(
                    AuditLog.action == "customer.viewed", AuditLog.actor_id == str(agent.id)
                )
            )
            assert [v.subject_id for v in views] == [str(server.shop.sara_id)]
    finally:
        registry.unregister("rest", fake)


async def test_the_kpi_page_draws_a_jalali_range_and_the_admin_page_lists_agents_and_the_audit_log(
    page: Page, live_server: LiveServer, shots: Shots
) -> None:
    server, tag = live_server, uuid.uuid4().hex[:6]
    async with server.tx() as session:
        agent, admin = await console_agents(session, tag)
        found = await identity.resolve_identity(session, channel="telegram", external_id=f"kpi-{tag}")
        await a_fortnight_of_work(session, [agent, admin], found.customer_id, found.id)
    await page.set_viewport_size({"width": 1366, "height": 960})
    await sign_in(page, server, admin.email)
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    await page.goto(server.url + "/console/reports")
    await expect(page.locator("#live")).to_be_hidden()  # nothing live on this page
    cards = page.locator("#cards .card")
    await expect(cards).to_have_count(6)
    await expect(page.locator("#from")).to_have_value(re.compile(r"^۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2}$"))
    # A narrower range, typed in Persian digits; the figures shown are the API's.
    start = (utcnow().date() - timedelta(days=13)).isoformat()
    report = await page.evaluate(
        "async (from) => (await fetch('/api/v1/reports/summary?from=' + from)).json()", start
    )
    typed = persian(report["period"]["from_jalali"].replace("-", "/"))
    await page.fill("#from", typed)
    await page.click("#range button[type=submit]")
    await expect(page.locator("#period")).to_contain_text(typed)
    await expect(cards.first.locator(".card-value")).to_have_text(persian(report["totals"]["conversations"]))
    await expect(page.locator("#chart-channels svg rect")).to_have_count(len(report["by_channel"]))
    await expect(page.locator("#chart-days svg rect.light")).to_have_count(14)
    await expect(page.locator("#agents-table")).to_contain_text("مریم رضایی")
    await expect(page.locator(".definitions")).to_contain_text("زمان اولین پاسخ")
    await shots.take(page, "reports")
    await page.screenshot(path=str(shots.directory / "reports-full.png"), full_page=True)

    await page.goto(server.url + "/console/admin")
    await expect(page.locator("#agents")).to_contain_text("مریم رضایی")
    await expect(page.locator("#canned")).to_contain_text(f"followup-{tag}")
    await expect(page.locator("#audit tbody tr").first).to_be_visible()
    await shots.take(page, "admin")
