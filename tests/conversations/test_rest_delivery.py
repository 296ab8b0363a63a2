"""A message sent later (an agent's reply) cannot reach a REST client: it fails at once, with the reason."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from bot.channels.rest.plugin import UNDELIVERABLE
from bot.services import conversations, identity
from bot.storage.models import DeliveryStatus, Message, Outbox, OutboxStatus, Sender


async def _settled(app: FastAPI, message_id: int) -> tuple[Message, Outbox]:
    """The message once the app's own outbox sender has made its attempt (bounded wait)."""
    async with asyncio.timeout(10):
        while True:
            async with app.state.sessionmaker() as session:
                stored = await session.get(Message, message_id)
                row = await session.scalar(select(Outbox).where(Outbox.message_id == message_id))
            if (
                stored is not None
                and row is not None
                and row.status in (OutboxStatus.SENT, OutboxStatus.FAILED)
            ):
                return stored, row
            app.state.outbox_sender.nudge()
            await asyncio.sleep(0.05)


async def test_a_later_message_to_a_rest_client_fails_with_the_reason(
    bot: httpx.AsyncClient, bot_app: FastAPI
) -> None:
    response = await bot.post("/webhooks/rest/webhook", json={"sender": "r1", "message": "/human_handoff"})
    assert response.status_code == 200
    async with bot_app.state.sessionmaker() as session, session.begin():
        found = await identity.find_identity(session, channel="rest", external_id="r1")
        assert found is not None
        conversation = await conversations.open_conversation(session, found)
        message = await conversations.store_outbound(
            session, conversation, text="سلام، من مریم هستم", payload=None, sender=Sender.AGENT, target="r1"
        )
        message_id = message.id
    stored, row = await _settled(bot_app, message_id)
    assert (stored.delivery_status, stored.delivery_error) == (DeliveryStatus.FAILED, UNDELIVERABLE)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
