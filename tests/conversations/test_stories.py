"""Every story in tests/conversations/*.yml, played through POST /webhooks/rest/webhook."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.services import identity
from bot.storage.models import Conversation, Identity, Message, TrackerEvent, VerificationMethod
from tests.conversations.stories import Story, load_stories
from tests.shop import KnownShop

STORIES = load_stories()


@pytest.mark.parametrize("story", STORIES, ids=[s.id for s in STORIES])
async def test_story(story: Story, bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop) -> None:
    sender = story.metadata.get("sender", "story-" + str(abs(hash(story.id)) % 10**8))
    if phone := story.metadata.get("verified_phone"):
        await _verify(bot_app, sender, phone)
    for turn in story.turns:
        response = await bot.post("/webhooks/rest/webhook", json={"sender": sender, "message": turn.text})
        assert response.status_code == 200, response.text
        replies = response.json()
        seen = await _turn_record(bot_app, sender)
        where = f"{story.id}, step {turn.line} ({turn.text!r})"
        if turn.intent:
            assert seen["intent"] == turn.intent, f"{where}: understood as {seen['intent']}"
        assert seen["actions"] == turn.actions, f"{where}: ran {seen['actions']}; replies {_texts(replies)}"
        for loop in turn.loops:
            assert loop in seen["loops"], f"{where}: active_loop {loop} not set (got {seen['loops']})"
        for name, value, given in turn.slots:
            assert name in seen["slots"], f"{where}: slot {name} not set (set: {seen['slots']})"
            if given:
                assert seen["slots"][name] == value, f"{where}: slot {name} = {seen['slots'][name]!r}"
        for text in turn.bot:
            assert any(text in reply for reply in _texts(replies)), (
                f"{where}: no reply contains {text!r}: {_texts(replies)}"
            )
        for name in turn.utters:
            assert name in seen["utters"], f"{where}: {name} not uttered (got {seen['utters']})"


def _texts(replies: list[dict[str, Any]]) -> list[str]:
    return [r.get("text", "") for r in replies]


async def _verify(app: FastAPI, sender: str, phone: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        found = await identity.resolve_identity(session, channel="rest", external_id=sender)
        await identity.verify_with_phone(
            session, identity=found, phone=phone, method=VerificationMethod.SMS_OTP
        )


async def _turn_record(app: FastAPI, sender: str) -> dict[str, Any]:
    """What the latest turn did: the intent understood, the actions run, loops, slots and utterances."""
    async with app.state.sessionmaker() as session:
        conversation = await session.scalar(
            select(Conversation)
            .join(Identity, Identity.id == Conversation.identity_id)
            .where(Identity.channel == "rest", Identity.external_id == sender)
            .order_by(Conversation.id.desc())
        )
        assert conversation is not None
        message = await session.scalar(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.direction == "in")
            .order_by(Message.id.desc())
        )
        events = list(
            await session.scalars(
                select(TrackerEvent.data)
                .where(TrackerEvent.conversation_id == conversation.id)
                .order_by(TrackerEvent.id)
            )
        )
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    turn = (
        events[last_user + 1 :]
        if last_user is not None and str(events[last_user].get("message_id")) == str(message.id)
        else []
    )
    return {
        "intent": message.intent if message else None,
        "actions": [e["name"] for e in turn if e.get("event") == "action" and e["name"] != "action_listen"],
        "loops": [e.get("name") for e in turn if e.get("event") == "active_loop"],
        "slots": {e["name"]: e.get("value") for e in turn if e.get("event") == "slot"},
        "utters": [(e.get("metadata") or {}).get("utter_action") for e in turn if e.get("event") == "bot"],
    }
