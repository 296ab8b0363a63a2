"""Helpers for the console's browser tests: a recording fake for the REST channel's deliveries, seed data
for a customer on two channels and for a fortnight of KPIs, and signing in through the login page."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import timedelta

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import Delivered, OutboxItem
from bot.services import canned, identity
from bot.storage.base import utcnow
from bot.storage.models import (
    Agent,
    Conversation,
    ConversationStatus,
    CsatResponse,
    FirstResponse,
    VerificationMethod,
)
from tests.browser.server import LiveServer
from tests.console.seed import PASSWORD, customer_thread, make_agent

REASONS = ("requested", "complaint", "fallback", "requested", "action_error")
CHANNELS = ("telegram", "instagram", "webchat", "telegram")


@dataclass
class ChannelFake:
    """Stands in for the customer's channel: records every outbox row the sender hands it."""

    delivered: list[OutboxItem] = field(default_factory=list)

    async def __call__(self, item: OutboxItem) -> Delivered:
        self.delivered.append(item)
        return Delivered(external_id=f"fake-{item.id}")


async def sign_in(page: Page, server: LiveServer, email: str) -> None:
    await page.goto(server.url + "/console")
    await expect(page).to_have_url(re.compile(r"/console/login\?next="))
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page).to_have_url(server.url + "/console")


async def sara_on_instagram_and_rest(session: AsyncSession, server: LiveServer, rest_user: str) -> None:
    """Sara asked about her order on Instagram before; now she writes through the REST channel, whose
    identity an agent verified as hers: both land in her one timeline."""
    await identity.insert_identity(
        session,
        customer_id=server.shop.sara_id,
        channel="rest",
        external_id=rest_user,
        display_name="سارا",
        method=VerificationMethod.AGENT,
    )
    await customer_thread(
        session,
        channel="instagram",
        customer_id=server.shop.sara_id,
        texts=["سلام، سفارش ۱۰۰۰۰۰۱ کی می‌رسه؟"],
        intent="track_order",
        bot_reply="سفارش ۱۰۰۰۰۰۱ ارسال شده و فردا به دستتان می‌رسد.",
        handoff_reason=None,
    )


async def others_waiting(session: AsyncSession) -> None:
    await customer_thread(
        session,
        channel="telegram",
        name="رضا کریمی",
        texts=["گوشی‌ای که خریدم صفحه‌اش شکسته رسیده، خیلی ناراحتم"],
        intent="complaint",
        handoff_reason="complaint",
    )
    await customer_thread(
        session,
        channel="instagram",
        name="نگار موسوی",
        texts=["کد تخفیفم کار نمی‌کنه", "چند بار امتحان کردم"],
        intent="nlu_fallback",
        handoff_reason="fallback",
    )


async def a_fortnight_of_work(
    session: AsyncSession, agents: list[Agent], customer_id: int, identity_id: int
) -> None:
    """About 120 conversations over the last 14 days: handoffs with replies, resolutions and ratings."""
    rng = random.Random(1405)
    now = utcnow()
    for n in range(120):
        started = now - timedelta(
            days=rng.randrange(14), hours=rng.randrange(1, 20), minutes=rng.randrange(60)
        )
        handed = rng.random() < 0.35
        conversation = Conversation(
            customer_id=customer_id,
            identity_id=identity_id,
            channel=CHANNELS[n % len(CHANNELS)],
            status=ConversationStatus.RESOLVED if handed else ConversationStatus.BOT,
            created_at=started,
            last_message_at=started,
        )
        if handed:
            agent = agents[n % len(agents)]
            conversation.handoff_reason = REASONS[n % len(REASONS)]
            conversation.handoff_at = started + timedelta(minutes=rng.randrange(1, 10))
            conversation.resolved_at = conversation.handoff_at + timedelta(minutes=rng.randrange(5, 90))
            conversation.assignee_id = agent.id
        session.add(conversation)
        await session.flush()
        if handed and conversation.handoff_at and conversation.resolved_at:
            session.add(
                FirstResponse(
                    conversation_id=conversation.id,
                    agent_id=conversation.assignee_id,
                    handoff_at=conversation.handoff_at,
                    responded_at=conversation.handoff_at + timedelta(seconds=rng.randrange(20, 900)),
                )
            )
            if rng.random() < 0.7:
                session.add(
                    CsatResponse(
                        conversation_id=conversation.id,
                        customer_id=customer_id,
                        agent_id=conversation.assignee_id,
                        score=rng.choice((5, 5, 4, 4, 3, 2)),
                        created_at=conversation.resolved_at + timedelta(minutes=2),
                    )
                )


async def console_agents(session: AsyncSession, tag: str) -> tuple[Agent, Agent]:
    """An agent and an admin, and a canned response with both placeholders."""
    agent = await make_agent(session, f"maryam-{tag}@shop.ir", name="مریم رضایی")
    admin = await make_agent(session, f"admin-{tag}@shop.ir", name="علی مدیری", role="admin")
    await canned.create_canned(
        session,
        admin,
        shortcut=f"followup-{tag}",
        title="پیگیری سفارش",
        text="{customer_name} عزیز، سلام! وضعیت سفارش {order_number} را همین حالا بررسی می‌کنم.",
    )
    return agent, admin
