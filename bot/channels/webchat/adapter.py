"""The web-chat channel: who a socket's visitor is, and what they send into the durable inbound queue.

A socket first says ``hello`` with its visitor token and, on a shop page with a logged-in user, the
shop user id and its identity hash. A message is checked, counted against the per-IP limit when it
would start a new conversation, and stored in the inbound queue (deduplicated by the widget's own
``client_id``, so a message re-sent after a reconnect is stored once); the inbound worker runs the
turn, and the replies reach the widget through the outbox and the bus (``sender.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from bot.channels.base import InboundMessage
from bot.channels.inbound import enqueue
from bot.channels.registry import ChannelContext
from bot.hours import OpeningHours
from bot.services import inbound_queue
from bot.services import webchat_history as history
from bot.storage.base import utcnow
from bot.storage.models import ConversationStatus, VerificationMethod
from bot.text.digits import to_persian_digits

from .ratelimit import NewConversationLimit
from .sender import visitor_topic
from .tokens import check_shop_user, identity_secret, issue_visitor_token, new_visitor_id, read_visitor_token

log = logging.getLogger("pishkhan.webchat")
NAME = history.CHANNEL
MAX_TEXT = 2000
MAX_TITLE = 200
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
_AGENT_HELD = (ConversationStatus.PENDING, ConversationStatus.OPEN)


class FrameError(Exception):
    """A frame the widget must be told about: ``code`` for the program, ``text`` for the customer."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(code)
        self.code, self.text = code, text


def refusal(code: str, support_phone: str = "") -> FrameError:
    texts = {
        "rate_limited": "از این شبکه در یک ساعت گذشته گفتگوهای تازهٔ زیادی شروع شده است. "
        "لطفاً کمی بعد دوباره پیام بدهید"
        + (f" یا با تلفن پشتیبانی {to_persian_digits(support_phone)} تماس بگیرید." if support_phone else "."),
        "too_long": f"پیام شما از {to_persian_digits(MAX_TEXT)} نویسه بلندتر است؛ لطفاً کوتاه‌ترش کنید.",
        "empty": "پیام خالی است.",
        "bad_request": "این پیام را نتوانستم بخوانم؛ لطفاً دوباره بفرستید.",
        "not_ready": "اتصال هنوز آماده نیست؛ لحظه‌ای دیگر دوباره بفرستید.",
    }
    return FrameError(code, texts[code])


@dataclass(frozen=True, slots=True)
class Visitor:
    visitor_id: str
    token: str
    shop_user_id: str | None  # this page's logged-in shop user, when its identity hash matched
    identity_rejected: bool  # an identity hash was given and did not match: the visitor stays anonymous
    new: bool  # the token was issued just now


@dataclass(frozen=True, slots=True)
class Accepted:
    client_id: str
    stored: bool  # False when this client_id was queued before (a re-send after reconnect)


class Socket(Protocol):
    async def close(self, code: int) -> None: ...


def check_message(frame: dict[str, Any]) -> tuple[str, str, str | None]:
    """``(client_id, text, button title)`` of a ``message`` frame, or FrameError."""
    client_id, text, title = frame.get("client_id"), frame.get("text"), frame.get("title")
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id) or not isinstance(text, str):
        raise refusal("bad_request")
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE):
        raise refusal("bad_request")
    if not text.strip():
        raise refusal("empty")
    if len(text) > MAX_TEXT:
        raise refusal("too_long")
    return client_id, text, (title.strip() or None) if title else None


def to_inbound(visitor: Visitor, frame: dict[str, Any], *, claim_identity: bool) -> InboundMessage:
    """The inbound message for a checked ``message`` frame (pure; tested with fixtures)."""
    client_id, text, title = check_message(frame)
    payload: dict[str, Any] = {}
    if title and text.startswith("/"):
        payload["title"] = title
    if claim_identity and visitor.shop_user_id:
        payload["verify"] = {
            "method": VerificationMethod.SHOP_TOKEN.value,
            "shop_user_id": visitor.shop_user_id,
        }
    return InboundMessage(
        channel=NAME,
        external_user_id=visitor.visitor_id,
        external_message_id=f"{visitor.visitor_id}:{client_id}",
        text=text,
        sent_at=utcnow(),
        payload=payload or None,
    )


def parse_transcript(body: bytes) -> list[InboundMessage]:
    """What a recorded socket queues, once its hello was checked (the contract test's fixtures):
    ``{"visitor", "shop_user"?, "verified"?, "frames": [...]}`` -> one message per acceptable
    ``message`` frame, in order; other frames queue nothing, refused ones are answered, not queued."""
    data = json.loads(body)
    visitor = Visitor(data["visitor"], "", data.get("shop_user"), identity_rejected=False, new=False)
    messages = []
    for frame in data["frames"]:
        if isinstance(frame, dict) and frame.get("type") == "message":
            with contextlib.suppress(FrameError):
                messages.append(to_inbound(visitor, frame, claim_identity=not data.get("verified", False)))
    return messages


class WebchatAdapter:
    name = NAME

    def __init__(self, context: ChannelContext) -> None:
        settings = context.settings
        self.settings, self.sessionmaker, self.bus = settings, context.sessionmaker, context.bus
        self.nudge_inbound = context.nudge_inbound
        self.limit = NewConversationLimit(
            settings.widget_new_conversations_per_ip_per_hour, redis_url=settings.redis_url
        )
        self.hours = OpeningHours.parse(settings.support_hours)
        self._visitor_secret = settings.secret_key.get_secret_value()
        self._identity_secret = identity_secret(settings)
        self.sockets: set[Socket] = set()

    def online(self) -> bool:
        """Whether a person answers now (support hours); the bot answers at any hour."""
        return self.hours.is_open(utcnow())

    def read_token(self, token: object) -> str | None:
        return read_visitor_token(self._visitor_secret, token)

    async def hello(self, frame: dict[str, Any]) -> Visitor:
        """Who this socket's visitor is: the one its token names, unless that visitor belongs to someone
        other than the page's logged-in user; otherwise a new visitor with a new token."""
        visitor_id = self.read_token(frame.get("token"))
        shop_user = check_shop_user(self._identity_secret, frame.get("shop_user"), frame.get("identity_hash"))
        rejected = bool(frame.get("shop_user") or frame.get("identity_hash")) and shop_user is None
        if rejected:
            log.info("widget identity hash did not match; the visitor stays anonymous")
        if visitor_id is not None:
            async with self.sessionmaker() as session:
                found = await history.find_visitor(session, visitor_id)
                if await history.must_start_over(session, found, shop_user):
                    visitor_id = None
        new = visitor_id is None
        visitor_id = visitor_id or new_visitor_id()
        token = issue_visitor_token(self._visitor_secret, visitor_id)
        return Visitor(visitor_id, token, shop_user, rejected, new)

    async def status(self, visitor: Visitor) -> ConversationStatus | None:
        async with self.sessionmaker() as session:
            return await history.open_status(session, visitor.visitor_id)

    async def accept(self, visitor: Visitor, frame: dict[str, Any], *, ip: str) -> Accepted:
        """Queue one message durably, or raise FrameError (bad frame, too many new conversations)."""
        client_id, _, _ = check_message(frame)
        async with self.sessionmaker() as session, session.begin():
            found = await history.find_visitor(session, visitor.visitor_id)
            status = await history.open_status(session, visitor.visitor_id) if found else None
            starts_conversation = status is None and not await self._starting(session, visitor)
            if starts_conversation and not await self.limit.allow(ip):
                log.warning("new widget conversations over the per-IP limit; refused")
                raise refusal("rate_limited", self.settings.support_phone)
            message = to_inbound(visitor, frame, claim_identity=not (found and found.verified))
            stored = await enqueue(session, message)
        if stored:
            self.nudge_inbound()
            if status not in _AGENT_HELD:  # the bot is working on it (an agent would type for themselves)
                await self.bus.publish(
                    visitor_topic(visitor.visitor_id), {"type": "typing", "on": True, "actor": "bot"}
                )
        return Accepted(client_id, stored)

    async def _starting(self, session: Any, visitor: Visitor) -> bool:
        """Whether a first message of this visitor is queued already (its conversation is on the way)."""
        return await inbound_queue.has_pending(session, f"{NAME}:{visitor.visitor_id}")

    async def drop_sockets(self, code: int = 1012) -> int:
        """Close every open widget socket of this process (shutdown; tests of reconnect)."""
        sockets = list(self.sockets)
        await asyncio.gather(*(s.close(code) for s in sockets), return_exceptions=True)
        return len(sockets)

    async def close(self) -> None:
        await self.drop_sockets(1001)
        await self.limit.close()
