"""Who talks to the shop on which messaging channel, about which of their orders, and when."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from bot.demo import conversations as c
from bot.demo import names
from bot.demo.orders import ItemPlan, OrderPlan
from bot.demo.people import CHANNEL_IDS, CHANNELS, INSTAGRAM, TELEGRAM, WEBCHAT, CustomerPlan, Unique
from bot.demo.shipping import RETURN_REQUESTED, TEHRAN
from bot.demo.transcript import Chat, ConversationPlan, finish
from bot.storage.models import ConversationStatus, OrderStatus, ReturnStatus, VerificationMethod

V = VerificationMethod
MULTI_CHANNEL = 14  # customers on two or three channels, besides the demo customer
SINGLE_CHANNEL = 8
ANONYMOUS = 7
HANDOFFS = 3  # conversations waiting for an agent right now
Script = Callable[[Chat], None]
MINUTE = timedelta(minutes=1)


@dataclass(slots=True)
class ChannelUserPlan:
    channel: str
    external_id: str
    display_name: str | None
    customer: CustomerPlan | None  # None: never said who they are
    method: VerificationMethod | None
    conversations: list[ConversationPlan] = field(default_factory=list)

    @property
    def first_seen(self) -> datetime:
        return self.conversations[0].started_at

    @property
    def last_seen(self) -> datetime:
        return max(conv.last_message_at for conv in self.conversations)

    @property
    def verified_at(self) -> datetime | None:
        return next((conv.verified_at for conv in self.conversations if conv.verified_at), None)


@dataclass(frozen=True, slots=True)
class Topic:
    """A conversation to have: its script, and the window in which it could have started."""

    script: Script
    earliest: datetime
    latest: datetime


class ChatPlanner:
    def __init__(self, rng: random.Random, now: datetime, orders: list[OrderPlan]) -> None:
        self.rng, self.now = rng, now
        self.orders: dict[int, list[OrderPlan]] = {}
        for order in orders:
            self.orders.setdefault(order.customer.key, []).append(order)
        self.ids = {channel: Unique() for channel in CHANNELS}

    # -- who -----------------------------------------------------------------------------------
    def user(
        self, channel: str, customer: CustomerPlan | None, display: str | None = None
    ) -> ChannelUserPlan:
        external_id = self.ids[channel].take(lambda: CHANNEL_IDS[channel](self.rng))
        method = None
        if customer is not None:
            display = display or self._display(channel, customer.first, customer.latin)
            method = {TELEGRAM: V.TELEGRAM_CONTACT, INSTAGRAM: V.SMS_OTP}.get(channel)
            method = method or (V.SHOP_TOKEN if customer.external_id else V.SMS_OTP)
        return ChannelUserPlan(channel, external_id, display, customer, method)

    def _display(self, channel: str, first: str, latin: tuple[str, str]) -> str | None:
        if channel == WEBCHAT:
            return None
        if channel == INSTAGRAM:
            return self.rng.choice(
                (f"{latin[0]}.{latin[1][:3]}", f"{latin[0]}_{self.rng.randint(70, 99)}", f"_{latin[0]}")
            )
        return self.rng.choice((first, latin[0].capitalize(), f"{first} ✨"))

    # -- what about ----------------------------------------------------------------------------
    def topics(self, customer: CustomerPlan) -> list[Topic]:
        """Every conversation this customer's orders could have led to."""
        found: list[Topic] = []
        for order in self.orders.get(customer.key, []):
            found += self._order_topics(order)
        return [topic for topic in found if topic.earliest < topic.latest]

    def _order_topics(self, order: OrderPlan) -> list[Topic]:
        hour, day, now = timedelta(hours=1), timedelta(days=1), self.now
        s, delivered = order.shipment, order.delivered_at
        if order.status is OrderStatus.CANCELLED:
            settled = order.settled_at or order.placed_at
            return [Topic(partial(c.ask_cancel, order=order), settled - 12 * MINUTE, settled - 4 * MINUTE)]
        found = []
        if order.status is not OrderStatus.PENDING_PAYMENT:
            latest = min(order.placed_at + 60 * day, now - 2 * hour)
            found.append(Topic(partial(c.ask_invoice, order=order), order.placed_at + hour, latest))
        if s is not None and len(s.events) >= 2:
            found.append(
                Topic(partial(c.track, order=order), s.events[1].at + hour, (delivered or now) - 2 * hour)
            )
        elif order.status in (OrderStatus.PAID, OrderStatus.PROCESSING):
            found.append(Topic(partial(c.track, order=order), order.placed_at + 2 * hour, now - 2 * hour))
        if s is None or delivered is None:
            return found
        if order.status is OrderStatus.RETURNED:
            asked = next(e.at for e in s.events if e.status == RETURN_REQUESTED)
            script = self._return(order, ReturnStatus.REFUNDED)
            found.append(Topic(script, asked - 15 * MINUTE, asked - 5 * MINUTE))
        elif now - delivered < 6 * day:
            status = ReturnStatus.APPROVED if now - delivered > 2 * day else ReturnStatus.REQUESTED
            found.append(Topic(self._return(order, status), delivered + 2 * hour, now - 3 * hour))
        for item in order.items:
            if item.serial_number is not None:
                script = partial(c.ask_warranty, order=order, item=item, now=now)
                found.append(Topic(script, delivered + 20 * day, now - day))
        return found

    def _return(self, order: OrderPlan, status: ReturnStatus) -> Script:
        item = self.rng.choice(order.items)
        return partial(c.ask_return, order=order, item=item, reason=self._reason(item), status=status)

    def _reason(self, item: ItemPlan) -> str:
        if item.serial_number is not None:
            return self.rng.choice(("damaged", "damaged", "changed_mind"))
        return self.rng.choice(("wrong_size", "not_as_described", "changed_mind"))

    # -- when ----------------------------------------------------------------------------------
    def converse(
        self, user: ChannelUserPlan, script: Script, at: datetime, *, anonymous: bool = False
    ) -> None:
        gate = user.method if user.verified_at is None and not user.conversations else None
        start = at.replace(microsecond=0)
        while True:  # typing takes time: start earlier until the whole conversation lies in the past
            chat = Chat(self.rng, start, user.customer, gate, user.display_name, user.external_id, anonymous)
            script(chat)
            overrun = chat.plan.last_message_at - (self.now - 5 * MINUTE)
            if overrun < timedelta(0):
                break
            start -= overrun + self.rng.randint(5, 40) * MINUTE
        if gate is not None and chat.plan.verified_at is None:  # nothing private asked: verified up front
            chat.plan.verified_at = chat.plan.started_at
        user.conversations.append(finish(chat, self.now, ask_csat=self.rng.random() < 0.45))

    def awake(self, moment: datetime, earliest: datetime, latest: datetime) -> datetime:
        """Few people write to a shop between midnight and 8 in Tehran: move such a moment to the
        morning after or the evening before, when the window allows."""
        hour = moment.astimezone(TEHRAN).hour
        if hour >= 8:
            return moment
        morning = moment + timedelta(hours=8 - hour, minutes=self.rng.randint(0, 600))
        evening = moment - timedelta(hours=hour + 1, minutes=self.rng.randint(0, 180))
        return next((m for m in (morning, evening) if earliest <= m <= latest), moment)

    def talk_about(
        self, user: ChannelUserPlan, topics: list[Topic], count: int, *, before: datetime
    ) -> list[Topic]:
        """Up to ``count`` of ``topics`` on this channel, in time order; returns the topics left."""
        chosen = self.rng.sample(topics, min(count, len(topics)))
        timed = []
        for topic in chosen:
            latest = min(topic.latest, before)
            if topic.earliest < latest:
                at = topic.earliest + (latest - topic.earliest) * self.rng.random()
                timed.append((self.awake(at, topic.earliest, latest), topic))
        for at, topic in sorted(timed, key=lambda pair: pair[0]):
            self.converse(user, topic.script, at)
        return [topic for topic in topics if topic not in chosen]


def plan_chats(
    rng: random.Random, now: datetime, customers: list[CustomerPlan], orders: list[OrderPlan]
) -> list[ChannelUserPlan]:
    planner = ChatPlanner(rng, now, orders)
    users = _demo_customer_chats(planner, customers[0])
    by_orders = sorted(customers[1:], key=lambda cu: (-len(planner.orders.get(cu.key, [])), cu.key))
    talkers = by_orders[: MULTI_CHANNEL + SINGLE_CHANNEL]
    waiting = set(rng.sample(range(len(talkers)), HANDOFFS))  # membership only
    handoffs = [_ask_for_agent, _complain_if_late, _confuse]
    for index, customer in enumerate(talkers):
        count = (3 if rng.random() < 0.4 else 2) if index < MULTI_CHANNEL else 1
        channels = rng.sample(CHANNELS, count)
        topics = planner.topics(customer)
        rng.shuffle(topics)
        pending_at = now - timedelta(hours=rng.uniform(0.5, 8)) if index in waiting else None
        for position, channel in enumerate(channels):
            user = planner.user(channel, customer)
            before = now if pending_at is None else pending_at - timedelta(hours=2)
            topics = planner.talk_about(user, topics, rng.choice((1, 1, 2, 2, 3)), before=before)
            if pending_at is not None and position == len(channels) - 1:
                handoffs.pop(0)(planner, user, pending_at)
            if not user.conversations:
                at = now - timedelta(days=rng.uniform(1, 300))
                planner.converse(user, c.chit_chat, planner.awake(at, at - timedelta(days=1), now))
            users.append(user)
    silent = by_orders[len(talkers) :]
    for index in range(ANONYMOUS):
        channel = CHANNELS[index % len(CHANNELS)]
        first, latin = rng.choice(names.FEMALE_NAMES + names.MALE_NAMES)
        user = planner.user(
            channel, None, display=None if channel == WEBCHAT else rng.choice((first, latin.capitalize()))
        )
        # One walked away minutes ago without saying who they are: still with the bot.
        at = now - (
            timedelta(hours=rng.uniform(1, 4)) if index == 1 else timedelta(days=rng.uniform(0.5, 90))
        )
        if index != 1:
            at = planner.awake(at, now - timedelta(days=91), now - timedelta(hours=1))
        if index % 2 and (their := planner.orders.get(rng.choice(silent).key)):
            order = rng.choice(their)
            planner.converse(user, partial(c.track, order=order), at, anonymous=True)
        else:
            planner.converse(user, c.chit_chat, at, anonymous=True)
        users.append(user)
    return users


def _ask_for_agent(planner: ChatPlanner, user: ChannelUserPlan, at: datetime) -> None:
    planner.converse(user, c.ask_human, at)


def _complain_if_late(planner: ChatPlanner, user: ChannelUserPlan, at: datetime) -> None:
    assert user.customer is not None
    late = [o for o in planner.orders.get(user.customer.key, []) if o.status is OrderStatus.SHIPPED]
    if late:
        planner.converse(user, partial(c.complain, order=late[0]), at)
    else:
        planner.converse(user, c.ask_human, at)


def _confuse(planner: ChatPlanner, user: ChannelUserPlan, at: datetime) -> None:
    planner.converse(user, c.fall_back, at)


def _demo_customer_chats(planner: ChatPlanner, sara: CustomerPlan) -> list[ChannelUserPlan]:
    """سارا احمدی on all three channels: a warranty question on Instagram (expired), an invoice and a
    tracking question on Telegram, and a return-window question on the web chat."""
    now = planner.now
    shipped, returnable, old = (
        next(o for o in planner.orders[sara.key] if o.number == number)
        for number in ("1000001", "1000002", "1000003")
    )
    assert old.delivered_at is not None and returnable.delivered_at is not None
    instagram = planner.user(INSTAGRAM, sara, "sara.ahm")
    planner.converse(
        instagram,
        partial(c.ask_warranty, order=old, item=old.items[0], now=now),
        now - timedelta(days=61, hours=5),
    )
    telegram = planner.user(TELEGRAM, sara, "Sara")
    planner.converse(
        telegram, partial(c.ask_invoice, order=old), old.delivered_at + timedelta(days=3, hours=2)
    )
    assert shipped.shipment is not None
    planner.converse(
        telegram,
        partial(c.track, order=shipped),
        max(shipped.shipment.events[1].at, now - timedelta(hours=30)) + timedelta(hours=1),
    )
    webchat = planner.user(WEBCHAT, sara)
    planner.converse(
        webchat,
        partial(c.ask_return_window, order=returnable, item=returnable.items[0]),
        returnable.delivered_at + timedelta(hours=20),
    )
    for conversation in telegram.conversations + webchat.conversations + instagram.conversations:
        if conversation.status is ConversationStatus.BOT:  # the tester starts from a quiet inbox
            conversation.status = ConversationStatus.RESOLVED
            conversation.resolved_at = min(conversation.last_message_at + timedelta(minutes=10), now)
    return [instagram, telegram, webchat]
