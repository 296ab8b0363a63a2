"""Driving the chat widget as a visitor does: the launcher on the shop's page, the chat in its iframe."""

from __future__ import annotations

import asyncio
import re
from functools import cache
from typing import Any

import yaml
from playwright.async_api import Frame, FrameLocator, Locator, Page, expect
from sqlalchemy import select

from bot.config import PROJECT_ROOT
from bot.services import conversations, identity
from bot.storage.base import utcnow
from bot.storage.models import Agent, Conversation, ConversationStatus, Outbox, OutboxStatus, Sender
from tests.browser.server import LiveServer

LAUNCHER = re.compile("گفتگو با پشتیبانی")
PERSIAN_TIME = re.compile(r"^[۰-۹]{2}:[۰-۹]{2}$")
JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip


def launcher(page: Page) -> Locator:
    return page.get_by_role("button", name=LAUNCHER)


def chat_of(page: Page) -> FrameLocator:
    return page.frame_locator("[data-pishkhan-widget] iframe")


def chat_frame(page: Page) -> Frame:
    frame = page.frame(url=re.compile(r"/widget/"))
    assert frame is not None, "the widget's iframe is not on the page"
    return frame


async def open_widget(page: Page) -> FrameLocator:
    await launcher(page).click()
    chat = chat_of(page)
    await expect(chat.locator("body")).to_have_attribute("data-state", "online", timeout=15_000)
    return chat


async def say(chat: FrameLocator, text: str) -> None:
    box = chat.locator("#input")
    await box.fill(text)
    await box.press("Enter")


async def bot_says(chat: FrameLocator, text: str, wait_ms: float = 20_000) -> Locator:
    """The latest bot or agent message, once it contains ``text`` (pinned by its id from then on)."""
    last = chat.locator(".msg.out:not(.local)").last
    await expect(last).to_contain_text(text, timeout=wait_ms)
    return chat.locator(f'.msg[data-id="{await last.get_attribute("data-id")}"]')


async def bubble_texts(chat: FrameLocator) -> list[str]:
    return [t.strip() for t in await chat.locator(".msg .bubble").all_inner_texts()]


async def message_ids(chat: FrameLocator) -> list[int]:
    ids = await chat.locator(".msg[data-id]").evaluate_all("els => els.map(e => Number(e.dataset.id))")
    return list(ids)


async def visitor_id(page: Page, key: str = "anon") -> str:
    token = await chat_frame(page).evaluate(f"localStorage.getItem('pishkhan.token.{key}')")
    assert token, "the widget keeps its visitor token"
    return str(token).split(".")[0]


async def agent_says(
    server: LiveServer, visitor: str, text: str, payload: dict[str, Any] | None = None
) -> int:
    """A reply from the console (or the resolve's CSAT question): stored and queued; waits until sent."""
    async with server.tx() as session:
        agent = await session.scalar(select(Agent).where(Agent.email == "maryam@example.com"))
        if agent is None:
            agent = Agent(email="maryam@example.com", name="مریم", password_hash="-")
            session.add(agent)
            await session.flush()
        found = await identity.find_identity(session, channel="webchat", external_id=visitor)
        assert found is not None
        conversation = await conversations.open_conversation(session, found)
        sender = Sender.BOT if payload else Sender.AGENT
        message = await conversations.store_outbound(
            session,
            conversation,
            text=text,
            payload=payload,
            sender=sender,
            agent_id=None if payload else agent.id,
            target=visitor,
        )
        message_id = message.id
    await wait_sent(server, message_id)
    return message_id


async def wait_sent(server: LiveServer, message_id: int) -> None:
    for _ in range(200):
        async with server.tx() as session:
            status = await session.scalar(select(Outbox.status).where(Outbox.message_id == message_id))
        if status == OutboxStatus.SENT:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox row of message {message_id} was not sent")


@cache
def csat_question() -> dict[str, Any]:
    domain = yaml.safe_load((PROJECT_ROOT / "nlu_data" / "domain.yml").read_text(encoding="utf-8"))
    return dict(domain["responses"]["utter_ask_csat"][0])


async def resolve_with_csat(server: LiveServer, visitor: str) -> int:
    """What an agent's "resolve" does: the conversation is resolved and the CSAT question goes out."""
    question = csat_question()
    async with server.tx() as session:
        found = await identity.find_identity(session, channel="webchat", external_id=visitor)
        assert found is not None
        conversation = await session.scalar(
            select(Conversation).where(Conversation.identity_id == found.id).order_by(Conversation.id.desc())
        )
        assert conversation is not None
        conversation.status, conversation.resolved_at = ConversationStatus.RESOLVED, utcnow()
        message = await conversations.store_outbound(
            session,
            conversation,
            text=question["text"],
            payload={"buttons": question["buttons"], "response": "utter_ask_csat"},
            target=visitor,
        )
        message_id = message.id
    await wait_sent(server, message_id)
    return message_id
