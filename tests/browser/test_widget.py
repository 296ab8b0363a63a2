"""The chat widget on the demo shop, in headless Chromium: Persian RTL, a track-order chat, history
after a reload, replay after the connection drops, CSAT stars, a logged-in customer."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.async_api import BrowserContext, Page, Route, expect
from sqlalchemy import select

from bot.services import identity
from bot.storage.models import CsatResponse, Message, VerificationMethod
from tests.browser.conftest import Shots
from tests.browser.server import LiveServer, serve
from tests.browser.widget import (
    JALALI_MONTHS,
    PERSIAN_TIME,
    agent_says,
    bot_says,
    bubble_texts,
    chat_frame,
    launcher,
    message_ids,
    open_widget,
    resolve_with_csat,
    say,
    visitor_id,
)

pytestmark = pytest.mark.browser


async def test_a_track_order_chat_in_persian_and_its_history_after_a_reload(
    page: Page, live_server: LiveServer, shots: Shots
) -> None:
    await page.goto(live_server.url + "/")
    await expect(launcher(page)).to_be_visible()
    box = await launcher(page).bounding_box()
    assert box is not None and box["x"] < 100 and box["y"] > 650, (
        "the launcher sits bottom-left on an RTL shop"
    )
    await shots.take(page, "demo-shop")

    chat = await open_widget(page)
    frame = chat_frame(page)
    assert await frame.evaluate("[document.documentElement.dir, document.documentElement.lang]") == [
        "rtl",
        "fa",
    ]
    assert await frame.evaluate("document.activeElement.id") == "input", "opening focuses the message box"

    await say(chat, "سلام")
    greeting = await bot_says(chat, "سلام")
    await expect(greeting.locator(".chip")).to_have_count(3)
    await greeting.get_by_role("button", name="پیگیری سفارش").click()
    await bot_says(chat, "شمارهٔ سفارش")
    await say(chat, "1000001")
    await bot_says(chat, "شمارهٔ موبایل")
    await say(chat, "09121234567")
    status = await bot_says(chat, "ارسال شده")
    await expect(status).to_contain_text("۸۰۴۵۱۲۳۳۹۸۷۱")
    await expect(chat.locator("#typing")).to_be_hidden()

    assert await frame.evaluate(
        "document.fonts.ready.then(() => [...document.fonts].some("
        "f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded'))"
    ), "Vazirmatn is loaded from /static/fonts"
    family = await chat.locator(".bubble").first.evaluate("e => getComputedStyle(e).fontFamily")
    assert family.startswith('"Vazirmatn"') or family.startswith("Vazirmatn")
    assert set(await chat.locator(".bubble").evaluate_all("els => els.map(e => e.dir)")) == {"auto"}
    times = await chat.locator(".meta time").all_inner_texts()
    assert times and all(PERSIAN_TIME.match(t) for t in times), times
    title = await chat.locator(".meta time").first.get_attribute("title") or ""
    assert any(month in title for month in JALALI_MONTHS) and "۱۴" in title, f"not a Jalali date: {title}"
    await expect(chat.locator(".day").first).to_have_text("امروز")
    mine = await chat.locator(".msg.in .bubble").last.bounding_box()
    theirs = await chat.locator(".msg.out .bubble").last.bounding_box()
    assert mine and theirs and mine["x"] < theirs["x"], "customer on the left, the shop on the right (RTL)"
    await shots.take(page, "track-order")

    before = await bubble_texts(chat)
    assert before[:2] == ["سلام", greeting_text := before[1]] and greeting_text
    await page.reload()
    chat = await open_widget(page)
    await expect(chat.locator(".msg .bubble")).to_have_count(len(before))
    assert await bubble_texts(chat) == before, "after a reload the visitor sees the same conversation"
    ids = await message_ids(chat)
    assert ids == sorted(set(ids))
    await expect(chat.locator(".msg.out .chip").first).to_be_disabled()
    await shots.take(page, "history-after-reload")


async def test_a_reply_missed_while_offline_arrives_once(
    page: Page, context: BrowserContext, live_server: LiveServer, shots: Shots
) -> None:
    await page.goto(live_server.url + "/")
    chat = await open_widget(page)
    await say(chat, "سلام")
    await bot_says(chat, "سلام")
    visitor = await visitor_id(page)
    body = chat.locator("body")

    await context.set_offline(True)
    await expect(body).to_have_attribute("data-state", "offline")
    await expect(chat.locator("#banner")).to_be_visible()
    missed = await agent_says(live_server, visitor, "سفارش شما امروز تحویل پیک شد.")
    await page.wait_for_timeout(300)
    assert "سفارش شما امروز تحویل پیک شد." not in await bubble_texts(chat)
    await shots.take(page, "offline")

    await context.set_offline(False)
    await expect(body).to_have_attribute("data-state", "online", timeout=15_000)
    reply = await bot_says(chat, "تحویل پیک شد")
    await expect(reply.locator(".label")).to_contain_text("همکار پشتیبانی")
    await page.wait_for_timeout(500)
    assert (await bubble_texts(chat)).count("سفارش شما امروز تحویل پیک شد.") == 1
    assert missed in await message_ids(chat)

    # the server drops every socket (a deploy): the widget reconnects by itself and misses nothing
    assert await live_server.channel("webchat").drop_sockets() >= 1
    second = await agent_says(live_server, visitor, "کد رهگیری را هم پیامک کردیم.")
    await bot_says(chat, "کد رهگیری را هم پیامک کردیم.", wait_ms=30_000)
    await expect(body).to_have_attribute("data-state", "online")
    ids = await message_ids(chat)
    assert len(ids) == len(set(ids)) and second in ids
    async with live_server.tx() as session:
        found = await identity.find_identity(session, channel="webchat", external_id=visitor)
        assert found is not None
        stored = await session.scalar(
            select(Message.id).where(Message.id == second, Message.conversation_id.is_not(None))
        )
    assert stored == second
    await shots.take(page, "back-online")


async def test_csat_stars_for_a_resolved_conversation(
    page: Page, live_server: LiveServer, shots: Shots
) -> None:
    await page.goto(live_server.url + "/")
    chat = await open_widget(page)
    await say(chat, "سلام")
    await bot_says(chat, "سلام")
    visitor = await visitor_id(page)
    await resolve_with_csat(live_server, visitor)
    question = await bot_says(chat, "چقدر از پاسخ‌گویی راضی بودید")
    stars = question.locator(".star")
    await expect(stars).to_have_count(5)
    await expect(question.locator(".chip:not(.star)")).to_have_count(0)
    await stars.nth(3).hover()
    await shots.take(page, "csat-stars")
    await stars.nth(4).click()
    await expect(chat.locator(".msg.in .bubble").last).to_contain_text("★★★★★")
    await bot_says(chat, "ممنون از نظرتان")
    await expect(stars.first).to_be_disabled()
    async with live_server.tx() as session:
        found = await identity.find_identity(session, channel="webchat", external_id=visitor)
        assert found is not None
        scores = list(
            await session.scalars(
                select(CsatResponse.score).where(CsatResponse.customer_id == found.customer_id)
            )
        )
    assert scores == [5]
    await shots.take(page, "csat-thanks")


async def test_a_logged_in_shop_customer_is_recognised(
    page: Page, live_server: LiveServer, shots: Shots
) -> None:
    await page.goto(live_server.url + "/?as=customer")
    await expect(page.locator(".account")).to_contain_text("وارد شده به عنوان")
    chat = await open_widget(page)
    await expect(chat.locator("#presence")).to_contain_text("شناخته شد")
    await say(chat, "سلام")
    greeting = await bot_says(chat, "سلام")
    await greeting.get_by_role("button", name="پیگیری سفارش").click()
    orders = await bot_says(chat, "۱۰۰۰۰۰۴")
    await expect(orders.locator(".chip").first).to_be_visible()
    assert not any("شمارهٔ موبایل" in t for t in await bubble_texts(chat)), (
        "no phone asked of a logged-in customer"
    )
    visitor = await visitor_id(page, key="u:u-1")
    async with live_server.tx() as session:
        found = await identity.find_identity(session, channel="webchat", external_id=visitor)
    assert found is not None and found.verified and found.method == VerificationMethod.SHOP_TOKEN
    assert found.customer_id == live_server.shop.sara_id
    await shots.take(page, "logged-in")


async def test_the_panel_on_a_phone_and_the_keyboard(
    page: Page, live_server: LiveServer, shots: Shots
) -> None:
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(live_server.url + "/")
    chat = await open_widget(page)
    panel = await page.locator("[data-pishkhan-widget] iframe").bounding_box()
    assert panel and panel["width"] == 390 and panel["height"] == 844, "full screen on a phone"
    await say(chat, "سلام")
    await bot_says(chat, "سلام")
    await shots.take(page, "phone")
    await chat.locator("#input").press("Escape")
    await expect(page.locator("[data-pishkhan-widget] iframe")).to_be_hidden()
    await expect(launcher(page)).to_be_focused()
    await expect(launcher(page)).to_have_attribute("aria-expanded", "false")


async def test_the_shops_css_cannot_reach_the_widget(page: Page, live_server: LiveServer) -> None:
    hostile = (
        "button{display:none!important} iframe{border:12px solid red!important} "
        "div{font-family:serif!important;direction:ltr!important}"
    )

    async def careless_shop_css(route: Route) -> None:
        response = await route.fetch()
        await route.fulfill(response=response, body=await response.text() + hostile)

    await page.route("**/static/webchat/demo.css", careless_shop_css)
    await page.goto(live_server.url + "/")
    await expect(page.get_by_role("button", name="افزودن به سبد").first).to_be_hidden()
    await open_widget(page)
    width = await page.locator("[data-pishkhan-widget] iframe").evaluate(
        "e => getComputedStyle(e).borderTopWidth"
    )
    assert width == "0px"
    assert await chat_frame(page).evaluate("getComputedStyle(document.body).direction") == "rtl"


async def test_one_script_tag_on_another_origin(page: Page, live_server: LiveServer, shots: Shots) -> None:
    html = (
        '<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        "<title>فروشگاه دیگر</title></head><body><h1>فروشگاه دیگر</h1>"
        f'<script src="{live_server.url}/widget.js" data-title="پشتیبانی فروشگاه دیگر" data-position="right">'
        "</script></body></html>"
    )
    other = FastAPI()
    other.get("/product/42", response_class=HTMLResponse)(lambda: html)
    async with serve(other) as base:
        shop = base.replace("127.0.0.1", "localhost")  # another origin, as a shop's own domain would be
        await page.goto(f"{shop}/product/42")
        box = await launcher(page).bounding_box()
        assert box is not None and box["x"] > 1100, "data-position=right"
        chat = await open_widget(page)
        await expect(chat.locator("#title")).to_have_text("پشتیبانی فروشگاه دیگر")
        await say(chat, "سلام")
        await bot_says(chat, "سلام")
        copy = await page.evaluate("JSON.parse(localStorage.getItem('pishkhan.widget.tokens') || '{}')")
        assert re.match(r"^v_[0-9a-f]{24}\.", copy.get("anon", "")), (
            "the shop's page keeps a first-party copy"
        )
        await shots.take(page, "other-origin")


async def test_a_reply_while_the_panel_is_closed_shows_an_unread_badge(
    page: Page, live_server: LiveServer, shots: Shots
) -> None:
    await page.goto(live_server.url + "/")
    chat = await open_widget(page)
    await say(chat, "سلام")
    await bot_says(chat, "سلام")
    await page.get_by_role("button", name="بستن گفتگو").click()
    await expect(page.locator("[data-pishkhan-widget] iframe")).to_be_hidden()
    await agent_says(live_server, await visitor_id(page), "سلام، پیگیری می‌کنم.")
    badge = page.locator("[data-pishkhan-widget] .badge")
    await expect(badge).to_have_text("۱")
    await expect(launcher(page)).to_have_attribute("aria-label", re.compile("پیام تازه"))
    await shots.take(page, "unread-badge")
    await launcher(page).click()
    await expect(badge).to_be_hidden()
    await bot_says(chat, "پیگیری می‌کنم")
