"""Console test data made through the real services: agents, customers on several channels, their
conversations and messages, handoffs. Shared by the API tests, the browser tests and the bench."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import agents, conversations, handoff, identity
from bot.storage.models import Agent, Conversation, Identity, Message, Sender, VerificationMethod

PASSWORD = "a-long-test-password"
# Hashing with argon2's defaults costs ~0.4 s a try; tests sign in often, the parameters are not under test.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@dataclass(frozen=True)
class Thread:
    conversation: Conversation
    identity: Identity
    messages: list[Message]


async def make_agent(
    session: AsyncSession, email: str, *, name: str | None = None, role: str = "agent"
) -> Agent:
    return await agents.create_agent(
        session, email=email, name=name or email.split("@")[0], role=role, password=PASSWORD
    )


async def customer_thread(
    session: AsyncSession,
    *,
    channel: str = "telegram",
    external_id: str | None = None,
    name: str = "سارا احمدی",
    customer_id: int | None = None,
    texts: Sequence[str] = ("سلام", "می‌خوام با یک نفر صحبت کنم"),
    intent: str = "human_handoff",
    bot_reply: str | None = "شما را به همکارم وصل می‌کنم.",
    handoff_reason: str | None = handoff.HandoffReason.REQUESTED,
) -> Thread:
    """A conversation on ``channel`` (for ``customer_id``'s customer when given, verified), with the
    customer's ``texts`` understood as ``intent``, a bot reply, and a handoff when a reason is given."""
    external_id = external_id or f"{channel}-{uuid.uuid4().hex[:8]}"
    if customer_id is None:
        found = await identity.resolve_identity(
            session, channel=channel, external_id=external_id, display_name=name
        )
    else:
        inserted = await identity.insert_identity(
            session,
            customer_id=customer_id,
            channel=channel,
            external_id=external_id,
            display_name=name,
            method=VerificationMethod.AGENT,
        )
        assert inserted is not None
        found = inserted
    conversation = await conversations.open_conversation(session, found)
    messages = []
    for text in texts:
        message = await conversations.store_inbound(
            session,
            conversation,
            external_message_id=uuid.uuid4().hex,
            text=text,
            payload=None,
            understanding={"intent": {"name": intent, "confidence": 0.91}},
        )
        assert message is not None
        messages.append(message)
    if bot_reply:
        messages.append(
            await conversations.store_outbound(
                session,
                conversation,
                text=bot_reply,
                payload=None,
                sender=Sender.BOT,
                target=external_id,
                deliver_via_outbox=False,
            )
        )
    if handoff_reason:
        await handoff.do_handoff(session, conversation, reason=handoff_reason)
    await session.flush()
    return Thread(conversation=conversation, identity=found, messages=messages)
