"""Instagram webhooks in (channels.md §3.1–3.3): subscription check, signature check, and the wire payload
as ``InboundMessage``s. Everything here is pure; ``receive`` is the one step that stores.

Meta signs the body exactly as sent, with non-ASCII text escaped (``\\u06a9``), so the signature is
checked over the raw bytes before anything is parsed; a re-serialised body would never match.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import InboundMessage
from bot.channels.inbound import enqueue
from bot.channels.wire import BodyError, load_json

log = logging.getLogger("pishkhan.instagram")
NAME = "instagram"
SIGNATURE_PREFIX = "sha256="
# Instagram-scoped ids are ~17 digits and mids ~100 characters; longer ones are not Meta's and would not
# fit the 255-character id columns (PostgreSQL refuses them; an error there would make Meta retry).
MAX_ID = 64
MAX_MID = 255


class PayloadError(ValueError):
    """The body is not a webhook notification at all (not JSON, not an object)."""


class Signature(StrEnum):
    OK = "ok"
    MISSING = "missing"  # answered 401
    WRONG = "wrong"  # answered 403


@dataclass
class Parsed:
    """The customer messages of one POST, oldest first, and how many items were skipped, by kind."""

    messages: list[InboundMessage] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Receipt:
    queued: int
    duplicates: int
    skipped: dict[str, int]


def check_signature(raw: bytes, header: str | None, secrets: Iterable[bytes]) -> Signature:
    """``X-Hub-Signature-256: sha256=<hex>`` against HMAC-SHA256 of the raw body under any of ``secrets``
    (the Meta app secret; the Instagram-Login flavour may sign with the Instagram app secret)."""
    if not header:
        return Signature.MISSING
    if not header.startswith(SIGNATURE_PREFIX):
        return Signature.WRONG
    given = header[len(SIGNATURE_PREFIX) :].strip().lower().encode()
    for secret in secrets:
        expected = hmac.new(secret, raw, hashlib.sha256).hexdigest().encode()
        if hmac.compare_digest(expected, given):
            return Signature.OK
    return Signature.WRONG


def parse(raw: bytes) -> Parsed:
    """Every entry and every messaging item of one POST: customer messages, quick replies and postbacks
    become ``InboundMessage``s sorted by Meta's timestamp (delivery after a failure may be out of order);
    echoes of our own sends, receipts, reactions and the rest are counted and skipped."""
    body = _load(raw)
    parsed = Parsed()
    if body.get("object") != "instagram":  # "page" is Messenger: its user ids are not Instagram's
        parsed.skipped["object:" + str(body.get("object"))[:20]] += 1
        return parsed
    for entry_time, item in _items(body, parsed.skipped):
        kind, message = _read_item(item, entry_time)
        if message is None:
            parsed.skipped[kind] += 1
        else:
            parsed.messages.append(message)
    parsed.messages.sort(key=lambda m: m.sent_at)  # stable: same-millisecond items keep Meta's order
    return parsed


def _load(raw: bytes) -> dict[str, Any]:
    try:
        body = load_json(raw)
    except BodyError as exc:
        raise PayloadError(str(exc)) from None
    if not isinstance(body, dict):
        raise PayloadError("body is not a JSON object")
    return body


def _items(body: dict[str, Any], skipped: Counter[str]) -> Iterator[tuple[Any, dict[str, Any]]]:
    entries = body.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            skipped["malformed"] += 1
            continue
        # standby: another app owns this thread (handover protocol), so this one must stay silent;
        # changes: comments and mentions, not messages
        for kind in ("standby", "changes"):
            if isinstance(entry.get(kind), list) and entry[kind]:
                skipped[kind] += len(entry[kind])
        items = entry.get("messaging")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                yield entry.get("time"), item
            else:
                skipped["malformed"] += 1


def _read_item(item: dict[str, Any], entry_time: Any) -> tuple[str, InboundMessage | None]:
    """One messaging item as (kind, message or None when there is nothing for the bot to answer)."""
    sender = _id(item.get("sender"))
    sent_at = _when(item.get("timestamp"), entry_time)
    if sender is None or sent_at is None:
        return "malformed", None
    common = {"channel": NAME, "external_user_id": sender, "sent_at": sent_at}
    if isinstance(item.get("message"), dict):
        return _read_message(item["message"], item, common)
    if isinstance(item.get("postback"), dict):
        return _read_postback(item["postback"], item, common)
    known = ("read", "delivery", "reaction", "referral", "optin", "message_edit")
    return next((k for k in known if k in item), "other"), None


def _read_message(
    message: dict[str, Any], item: dict[str, Any], common: dict[str, Any]
) -> tuple[str, InboundMessage | None]:
    mid = message.get("mid")
    if message.get("is_echo"):
        return "echo", None  # our own send (or the shop's Instagram app) coming back
    for flag in ("is_deleted", "is_unsupported", "is_self"):
        if message.get(flag):
            return flag.removeprefix("is_"), None
    if not isinstance(mid, str) or not 0 < len(mid) <= MAX_MID:
        return "malformed", None
    text = message.get("text") if isinstance(message.get("text"), str) else None
    payload: dict[str, Any] = {}
    quick = message.get("quick_reply")
    if isinstance(quick, dict) and quick.get("payload"):
        # the button's payload drives the turn (as Rasa's channels do); the tapped title is kept
        payload["quick_reply"] = {"title": text, "payload": str(quick["payload"])}
        text = str(quick["payload"])
    attachments = _attachments(message.get("attachments"))
    if attachments:
        payload["attachments"] = attachments
    if text is None and not attachments:
        return "empty", None
    metadata = _metadata(item, message)
    return "message", InboundMessage(
        external_message_id=mid, text=text, payload=payload or None, metadata=metadata, **common
    )


def _read_postback(
    postback: dict[str, Any], item: dict[str, Any], common: dict[str, Any]
) -> tuple[str, InboundMessage | None]:
    value = postback.get("payload")
    if not isinstance(value, str) or not value:
        return "malformed", None
    # an icebreaker or template button; older postbacks carry no mid, so make a stable one
    mid = postback.get("mid") or f"postback:{common['external_user_id']}:{item.get('timestamp')}"
    if not isinstance(mid, str) or len(mid) > MAX_MID:
        return "malformed", None
    payload = {"postback": {"title": postback.get("title"), "payload": value}}
    return "postback", InboundMessage(
        external_message_id=mid, text=value, payload=payload, metadata=_metadata(item, {}), **common
    )


def _attachments(value: Any) -> list[dict[str, Any]]:
    found = []
    for attachment in value if isinstance(value, list) else []:
        if isinstance(attachment, dict):
            data = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
            found.append({"type": str(attachment.get("type") or "unknown"), "url": data.get("url")})
    return found


def _metadata(item: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"account_id": _id(item.get("recipient"))}
    reply_to = message.get("reply_to")
    if isinstance(reply_to, dict):
        if isinstance(reply_to.get("story"), dict):
            metadata["story_reply"] = {k: reply_to["story"].get(k) for k in ("id", "url")}
        elif reply_to.get("mid"):
            metadata["reply_to_mid"] = str(reply_to["mid"])
    return metadata


def _id(party: Any) -> str | None:
    value = party.get("id") if isinstance(party, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    value = str(value)
    return value if 0 < len(value) <= MAX_ID else None


def _when(timestamp: Any, fallback: Any) -> datetime | None:
    for value in (timestamp, fallback):
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            try:
                return datetime.fromtimestamp(value / 1000, UTC)  # Meta sends milliseconds
            except (OverflowError, OSError, ValueError):
                return None
    return None


class InstagramChannel:
    """The adapter the webhook route uses: the checks are pure; ``receive`` stores and nudges the worker."""

    name = NAME

    def __init__(
        self,
        *,
        app_secrets: Iterable[str],
        verify_token: str | None,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        nudge: Callable[[], None] = lambda: None,
    ) -> None:
        self._secrets = [s.encode() for s in app_secrets if s]
        self._verify_token = (verify_token or "").encode()
        self.sessionmaker, self.nudge = sessionmaker, nudge

    def check_subscription(self, mode: str | None, token: str | None) -> bool:
        """Meta's GET handshake: mode "subscribe" and the verify token typed in the App Dashboard."""
        if mode != "subscribe" or not self._verify_token or token is None:
            return False
        return hmac.compare_digest(token.encode(), self._verify_token)

    def check_signature(self, raw: bytes, header: str | None) -> Signature:
        return check_signature(raw, header, self._secrets)

    @staticmethod
    def parse(raw: bytes) -> list[InboundMessage]:
        return parse(raw).messages

    async def receive(self, raw: bytes) -> Receipt:
        """Store every new message of a verified body in one transaction (a redelivered mid is dropped by
        the inbound queue's unique key), then wake the inbound worker. The turns run off the request."""
        if self.sessionmaker is None:
            raise RuntimeError("InstagramChannel.receive needs a sessionmaker")
        parsed = parse(raw)
        queued = 0
        if parsed.messages:
            async with self.sessionmaker() as session, session.begin():
                for message in parsed.messages:  # in timestamp order: the queue keeps id order per user
                    queued += await enqueue(session, message)
            self.nudge()
        if parsed.skipped:
            log.debug("instagram webhook skipped %s", dict(parsed.skipped))
        return Receipt(queued, len(parsed.messages) - queued, dict(parsed.skipped))
