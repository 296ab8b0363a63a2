"""One inbound message, end to end (DESIGN §2 steps 2–7): dedupe, identity, conversation, NLU,
dialogue, stored replies. The caller holds the conversation's lock and commits once afterwards."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.context import TurnContext, bind_turn
from bot.channels.base import InboundMessage
from bot.config import Settings
from bot.dialogue.engine import ActionFailed, DialogueEngine, TurnInput
from bot.dialogue.locks import lock_across_workers
from bot.dialogue.payloads import parse_payload
from bot.dialogue.responses import BotMessage
from bot.dialogue.store import load_tracker, save_new_events
from bot.dialogue.tracker import Tracker, action_event, event, slot_event
from bot.observability import Metrics
from bot.observability import conversation_id as conversation_id_var
from bot.services import conversations, handoff, identity
from bot.storage.models import (
    Conversation,
    ConversationStatus,
    Identity,
    Message,
    TrackerEvent,
    VerificationMethod,
)
from bot.text.phone import InvalidPhone

log = logging.getLogger("pishkhan.dialogue")


class Parser(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


@dataclass
class TurnResult:
    conversation: Conversation | None
    identity: Identity | None
    inbound: Message | None
    replies: list[tuple[Message, BotMessage]] = field(default_factory=list)
    duplicate: bool = False
    silent: bool = False  # an agent holds the conversation


class ConversationRuntime:
    def __init__(self, engine: DialogueEngine, nlu: Parser, settings: Settings) -> None:
        self.engine, self.nlu, self.settings = engine, nlu, settings
        self.metrics: Metrics | None = None  # set by the app; the runtime works without it
        engine.template_globals = {"shop_name": settings.shop_name}
        self.memory_slots = tuple(s.strip() for s in settings.memory_slots.split(",") if s.strip())

    def understand(self, text: str | None) -> dict[str, Any]:
        """A button payload as Rasa reads it, else the NLU model's parse (intent null for empty text)."""
        return parse_payload(text or "", self.engine.domain.intents) or self.nlu.parse(text or "")

    async def process(
        self, session: AsyncSession, inbound: InboundMessage, *, deliver_via_outbox: bool
    ) -> TurnResult:
        await lock_across_workers(session, f"{inbound.channel}:{inbound.external_user_id}")
        found = await identity.resolve_identity(
            session,
            channel=inbound.channel,
            external_id=inbound.external_user_id,
            display_name=inbound.display_name,
        )
        conversation = await conversations.open_conversation(session, found)
        parse = self.understand(inbound.text)  # before storing, so the row is written once, understood
        stored = await conversations.store_inbound(
            session,
            conversation,
            external_message_id=inbound.external_message_id,
            text=inbound.text,
            payload=inbound.payload,
            sent_at=inbound.sent_at,
            understanding=parse,
        )
        if stored is None:
            return TurnResult(conversation, found, None, duplicate=True)
        verified_now = await self._apply_claim(
            session, found, conversation, (inbound.payload or {}).get("verify")
        )
        if conversation.status in (ConversationStatus.PENDING, ConversationStatus.OPEN):
            return TurnResult(conversation, found, stored, silent=True)
        tracker = await self._tracker(session, conversation)
        if verified_now and not (inbound.text or "").strip():
            parse = _claim_as_information((inbound.payload or {}).get("verify") or {})
        context = TurnContext(
            session=session,
            settings=self.settings,
            customer_id=found.customer_id,
            conversation_id=conversation.id,
            identity_id=found.id,
            channel=inbound.channel,
        )
        turn = TurnInput(
            text=inbound.text or "",
            parse_data=parse,
            channel=inbound.channel,
            message_id=str(stored.id),
            metadata=inbound.metadata,
        )
        started, status_before = time.perf_counter(), conversation.status
        token = conversation_id_var.set(conversation.id)
        try:
            with bind_turn(context):
                messages = await self._run_turn(session, conversation, tracker, turn, verified_now)
        finally:
            conversation_id_var.reset(token)
        self._observe(inbound.channel, parse, status_before, conversation, time.perf_counter() - started)
        await save_new_events(session, conversation, tracker)
        replies = []
        for message in messages:
            replies.append(
                (
                    await conversations.store_outbound(
                        session,
                        conversation,
                        text=message.text,
                        payload=_payload(message),
                        target=inbound.external_user_id,
                        deliver_via_outbox=deliver_via_outbox,
                    ),
                    message,
                )
            )
        return TurnResult(conversation, found, stored, replies)

    async def _run_turn(
        self,
        session: AsyncSession,
        conversation: Conversation,
        tracker: Tracker,
        turn: TurnInput,
        verified_now: bool,
    ) -> list[BotMessage]:
        try:
            if verified_now and not turn.text.strip():
                return await self._confirm_verification(tracker, turn)
            return await self.engine.handle(tracker, turn)
        except ActionFailed as failure:
            return await self._hand_over_after_error(session, conversation, tracker, failure, turn.channel)

    def _observe(
        self,
        channel: str,
        parse: dict[str, Any],
        status_before: str,
        conversation: Conversation,
        seconds: float,
    ) -> None:
        intent = parse.get("intent") or {}
        # What the bot understood and how long it took; never the words (DESIGN §9)
        log.debug(
            "turn on %s: intent %s (%.2f), conversation %s, %.1f ms",
            channel,
            intent.get("name"),
            intent.get("confidence") or 0.0,
            conversation.status,
            seconds * 1000,
        )
        if self.metrics is None:
            return
        self.metrics.turns.labels(channel=channel).inc()
        self.metrics.turn_seconds.labels(channel=channel).observe(seconds)
        if intent.get("name") in (None, "nlu_fallback"):
            self.metrics.nlu_fallbacks.labels(channel=channel).inc()
        if conversation.status == ConversationStatus.PENDING and status_before != ConversationStatus.PENDING:
            self.metrics.handoffs.labels(reason=conversation.handoff_reason or "unknown").inc()

    async def _apply_claim(
        self, session: AsyncSession, found: Identity, conversation: Conversation, claim: dict[str, Any] | None
    ) -> bool:
        """Apply a verification the channel adapter has already checked (a Telegram contact of the sender
        themselves, a shop-signed widget token). Returns whether this message verified the customer."""
        if not claim or found.verified:
            return False
        try:
            if claim.get("method") == VerificationMethod.TELEGRAM_CONTACT and claim.get("phone"):
                await identity.verify_with_phone(
                    session, identity=found, phone=claim["phone"], method=VerificationMethod.TELEGRAM_CONTACT
                )
            elif claim.get("method") == VerificationMethod.SHOP_TOKEN and claim.get("shop_user_id"):
                await identity.verify_shop_account(
                    session, identity=found, shop_user_id=str(claim["shop_user_id"])
                )
            else:
                return False
        except (identity.IdentityConflict, InvalidPhone) as exc:
            log.warning("verification claim not applied: %s", type(exc).__name__)
            return False
        conversation.customer_id = found.customer_id
        return True

    async def _confirm_verification(self, tracker: Tracker, turn: TurnInput) -> list[BotMessage]:
        confirmed = self.engine.utter({"response": "utter_verified"}, tracker, turn.channel)
        if tracker.slots.get("task") or tracker.active_loop:
            return confirmed + await self.engine.handle(tracker, turn)
        tracker.add(action_event("action_listen"))
        return confirmed

    async def _tracker(self, session: AsyncSession, conversation: Conversation) -> Tracker:
        tracker = await load_tracker(session, conversation, self.engine.domain)
        if not _session_expired(tracker, self.engine.domain.session_expiration_minutes):
            return tracker
        carried = {k: v for k, v in tracker.slots.items() if k in self.memory_slots and v is not None}
        if not carried:
            carried = await self._remembered(session, conversation)
        tracker.add_all(
            [
                action_event("action_session_start"),
                event("session_started"),
                *(slot_event(k, v) for k, v in carried.items()),
                action_event("action_listen"),
            ]
        )
        return tracker

    async def _remembered(self, session: AsyncSession, conversation: Conversation) -> dict[str, Any]:
        """What a verified customer told the bot on their other conversations (any channel)."""
        verified = await session.scalar(
            select(Identity.id)
            .where(Identity.customer_id == conversation.customer_id, Identity.verified.is_(True))
            .limit(1)
        )
        if verified is None:
            return {}
        rows = await session.scalars(
            select(TrackerEvent.data)
            .join(Conversation, Conversation.id == TrackerEvent.conversation_id)
            .where(
                Conversation.customer_id == conversation.customer_id,
                Conversation.id != conversation.id,
                TrackerEvent.type == "slot",
            )
            .order_by(TrackerEvent.id.desc())
            .limit(200)
        )
        remembered: dict[str, Any] = {}
        for data in rows:
            if data.get("name") in self.memory_slots and data.get("value") is not None:
                remembered.setdefault(data["name"], data["value"])
        return remembered

    async def _hand_over_after_error(
        self,
        session: AsyncSession,
        conversation: Conversation,
        tracker: Tracker,
        failure: ActionFailed,
        channel: str,
    ) -> list[BotMessage]:
        log.error("handing conversation %s over after %s failed", conversation.id, failure.action)
        await handoff.do_handoff(session, conversation, reason=handoff.HandoffReason.ACTION_ERROR)
        tracker.add_all([event("active_loop", name=None), slot_event("requested_slot", None)])
        messages = self.engine.utter({"response": "utter_handoff_error"}, tracker, channel)
        tracker.add(action_event("action_listen"))
        return messages


def _claim_as_information(claim: dict[str, Any]) -> dict[str, Any]:
    """A shared contact or a shop login without words reads as the customer giving that information:
    a form waiting for the phone takes it, and the task the customer came for carries on."""
    phone = claim.get("phone")
    entities = (
        [
            {
                "entity": "phone",
                "value": phone,
                "start": 0,
                "end": 0,
                "confidence": 1.0,
                "extractor": "verification",
            }
        ]
        if phone
        else []
    )
    return {
        "text": "",
        "intent": {"name": "inform", "confidence": 1.0},
        "entities": entities,
        "intent_ranking": [{"name": "inform", "confidence": 1.0}],
    }


def _session_expired(tracker: Tracker, minutes: float) -> bool:
    if not tracker.events:
        return True
    if minutes <= 0:
        return False
    last = max((e.get("timestamp") or 0 for e in tracker.events if e.get("event") == "user"), default=None)
    if last is None:
        return False
    return datetime.fromtimestamp(last).astimezone() < datetime.now().astimezone() - timedelta(
        minutes=minutes
    )


def _payload(message: BotMessage) -> dict[str, Any] | None:
    payload = {
        k: v
        for k, v in {
            "buttons": message.buttons,
            "custom": message.custom,
            "image": message.image,
            "response": message.response,
        }.items()
        if v
    }
    return payload or None
