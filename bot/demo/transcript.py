"""One conversation as it is written down: the messages with their NLU reading, how it ended, and what
it led to (a return request, a warranty claim, a rating). ``Chat`` writes it turn by turn."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.demo import texts as t
from bot.demo.orders import ItemPlan, OrderPlan
from bot.demo.people import CustomerPlan
from bot.storage.models import (
    ConversationStatus,
    Direction,
    ReturnStatus,
    Sender,
    VerificationMethod,
    WarrantyStatus,
)


@dataclass(slots=True)
class MessagePlan:
    at: datetime
    direction: Direction
    sender: Sender
    text: str | None
    payload: dict[str, Any] | None = None
    intent: str | None = None
    confidence: float | None = None
    entities: dict[str, Any] | None = None  # as services.conversations.understood_fields keeps them
    external_id: str = ""


@dataclass(slots=True)
class ReturnPlan:
    order: OrderPlan
    item: ItemPlan
    reason: str
    comment: str
    status: ReturnStatus
    at: datetime

    @property
    def reference(self) -> str:
        return f"RT-{self.order.number}"


@dataclass(slots=True)
class WarrantyPlan:
    order: OrderPlan
    item: ItemPlan
    fault: str
    status: WarrantyStatus
    at: datetime

    @property
    def reference(self) -> str:
        return f"WR-{self.order.number}-{self.order.items.index(self.item) + 1}"


@dataclass(slots=True)
class ConversationPlan:
    messages: list[MessagePlan]
    status: ConversationStatus = ConversationStatus.RESOLVED
    handoff_reason: str | None = None
    handoff_at: datetime | None = None
    resolved_at: datetime | None = None
    verified_at: datetime | None = None  # this conversation proved who the customer is
    csat: tuple[int, str | None, datetime] | None = None
    return_request: ReturnPlan | None = None
    warranty_claim: WarrantyPlan | None = None

    @property
    def started_at(self) -> datetime:
        return self.messages[0].at

    @property
    def last_message_at(self) -> datetime:
        return self.messages[-1].at


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    days = (datetime(year + month // 12, month % 12 + 1, 1) - datetime(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, days))


def warranty_until(order: OrderPlan, item: ItemPlan) -> datetime | None:
    if item.warranty_months is None or order.delivered_at is None:
        return None
    return add_months(order.delivered_at, item.warranty_months)


@dataclass(slots=True)
class Chat:
    """One conversation being written: a clock that moves as people type, and the messages so far."""

    rng: random.Random
    clock: datetime
    customer: CustomerPlan | None
    gate_method: VerificationMethod | None  # None: nothing to prove (already verified, or anonymous)
    display_name: str | None
    user_id: str  # the customer's id on this channel
    anonymous: bool = False
    plan: ConversationPlan = field(default_factory=lambda: ConversationPlan([]))

    def says(
        self,
        text: str | None,
        intent: str | None,
        *,
        entities: tuple[tuple[str, Any, str], ...] = (),
        payload: dict[str, Any] | None = None,
        sure: tuple[float, float] = (0.78, 0.99),
    ) -> None:
        self.clock += timedelta(seconds=self.rng.uniform(8, 80))
        found = None if intent is None else {"entities": [_entity(text or "", *e) for e in entities]}
        confidence = None if intent is None else round(self.rng.uniform(*sure), 4)
        self.plan.messages.append(
            MessagePlan(
                self.clock.replace(microsecond=0),
                Direction.IN,
                Sender.CUSTOMER,
                text,
                payload,
                intent,
                confidence,
                found,
            )
        )

    def clicks(self, title: str, payload: str) -> None:
        """A button press: the title is what the customer sees, the payload (``/intent{json}``) what the
        NLU reads, with full confidence and entities that have no place in the text."""
        intent, _, data = payload.removeprefix("/").partition("{")
        values = json.loads("{" + data) if data else {}
        self.clock += timedelta(seconds=self.rng.uniform(3, 30))
        entities = [{"entity": k, "value": v, "start": None, "end": None} for k, v in values.items()]
        self.plan.messages.append(
            MessagePlan(
                self.clock.replace(microsecond=0),
                Direction.IN,
                Sender.CUSTOMER,
                title,
                {"payload": payload},
                intent,
                1.0,
                {"entities": entities},
            )
        )

    def replies(self, text: str, payload: dict[str, Any] | None = None) -> None:
        self.clock += timedelta(seconds=self.rng.uniform(1, 3))
        self.plan.messages.append(
            MessagePlan(self.clock.replace(microsecond=0), Direction.OUT, Sender.BOT, text, payload)
        )

    def gate(self) -> bool:
        """Prove who the customer is before showing anything private; False when they never do."""
        method, self.gate_method = self.gate_method, None
        if self.anonymous:
            self.replies("برای دیدن اطلاعات سفارش، لطفاً شماره موبایلی را که با آن خرید کرده‌اید بفرستید.")
            return False
        if method is VerificationMethod.TELEGRAM_CONTACT:
            self._telegram_contact()
        elif method is VerificationMethod.SMS_OTP:
            self._sms_code()
        elif method is VerificationMethod.SHOP_TOKEN:
            self.plan.verified_at = self.plan.messages[0].at - timedelta(seconds=2)  # signed in on the site
        return True

    def _telegram_contact(self) -> None:
        assert self.customer is not None
        button = {"buttons": [{"title": "ارسال شماره من 📱", "request_contact": True}]}
        self.replies("برای اینکه سفارش‌هایتان را ببینم، لطفاً با دکمه زیر شماره موبایلتان را بفرستید.", button)
        contact = {
            "phone_number": "98" + self.customer.phone[1:],
            "first_name": self.display_name,
            "user_id": int(self.user_id),  # their own number: Telegram says whose contact it is
        }
        self.says(None, None, payload={"contact": contact})
        self.replies(f"ممنون {self.customer.first} جان، هویت شما تأیید شد ✅")
        self.plan.verified_at = self.clock.replace(microsecond=0)

    def _sms_code(self) -> None:
        assert self.customer is not None
        phone = self.customer.phone
        self.replies("برای دیدن اطلاعات سفارش، لطفاً شماره موبایلی را که با آن خرید کرده‌اید بفرستید.")
        written = self.rng.choice(
            (phone, t.fa(phone), f"{phone[:4]} {phone[4:7]} {phone[7:]}", "+98" + phone[1:])
        )
        self.says(written, "inform", entities=(("phone", phone, written),))
        self.replies(f"یک کد ۵ رقمی به شماره {t.mask_phone(phone)} پیامک شد. لطفاً کد را اینجا بفرستید.")
        self.clock += timedelta(seconds=self.rng.uniform(20, 60))
        self.says(t.fa(self.rng.randint(10000, 99999)), "inform")
        self.replies("کد درست است؛ هویت شما تأیید شد ✅")
        self.plan.verified_at = self.clock.replace(microsecond=0)

    def thank(self) -> None:
        self.says(self.rng.choice(t.THANKS), "thanks")
        self.replies(self.rng.choice(t.BOT_WELCOME))

    def hand_off(self, reason: str, text: str) -> None:
        self.replies(text)
        self.plan.status, self.plan.handoff_reason = ConversationStatus.PENDING, reason
        self.plan.handoff_at = self.clock.replace(microsecond=0)


def _entity(text: str, name: str, value: Any, surface: str) -> dict[str, Any]:
    start = text.index(surface)
    return {"entity": name, "value": value, "start": start, "end": start + len(surface)}


def finish(chat: Chat, now: datetime, *, ask_csat: bool) -> ConversationPlan:
    """Close the conversation as it would stand now: still with the bot, waiting for an agent, or
    resolved (then maybe rated)."""
    plan, rng = chat.plan, chat.rng
    if plan.status is ConversationStatus.PENDING:
        return plan
    last = plan.last_message_at
    if now - last < timedelta(hours=6):
        plan.status = ConversationStatus.BOT
        return plan
    plan.status = ConversationStatus.RESOLVED
    plan.resolved_at = last + timedelta(minutes=rng.randint(5, 30))
    asked = plan.resolved_at + timedelta(seconds=1)
    answered = asked + timedelta(seconds=rng.randint(20, 3600))
    closed_by_customer = any(m.intent in ("thanks", "goodbye") for m in plan.messages)
    if ask_csat and closed_by_customer and answered + timedelta(minutes=5) < now:
        chat.clock = asked
        buttons = [
            {"title": title, "payload": f'/csat{{"score":"{score}"}}'}
            for score, title in t.CSAT_TITLES.items()
        ]
        plan.messages.append(
            MessagePlan(asked, Direction.OUT, Sender.BOT, t.CSAT_QUESTION, {"buttons": buttons})
        )
        score = rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 6, 4))[0]
        chat.clock = answered
        chat.clicks(t.CSAT_TITLES[score], f'/csat{{"score":"{score}"}}')
        rated_at = chat.clock.replace(microsecond=0)
        chat.replies("ممنون از نظرتان! 🌷")
        comment = rng.choice(t.CSAT_COMMENTS[score]) if rng.random() < 0.4 else None
        if comment is not None:
            chat.says(comment, "inform", sure=(0.4, 0.7))
        plan.csat = (score, comment, rated_at)
    return plan
