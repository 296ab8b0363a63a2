"""Telegram Bot API updates in (channels.md §1.3): one wire ``Update`` as ``InboundMessage``s, plus what
else it tells us (a button press to answer, a block or unblock). Pure: nothing here stores or sends.

Only private chats are a customer talking to the shop; groups, channels and other bots are skipped.
Ids: Telegram's ``message_id`` counts per chat, so a message is ``<chat id>:<message id>``; a button
press is ``cb:<callback query id>``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.channels.base import InboundMessage
from bot.channels.telegram.buttons import decode_button
from bot.channels.wire import BodyError, load_json
from bot.storage.models import VerificationMethod
from bot.text.phone import InvalidPhone, normalize_phone

NAME = "telegram"
START_AS = "/greet"  # what /start means to the dialogue: a bare /start is a user saying hello
ATTACHMENTS = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "sticker",
    "location",
)
FORWARD_KEYS = ("forward_origin", "forward_from", "forward_from_chat", "forward_sender_name", "forward_date")
# Telegram's ids fit in 64 bits (user and chat ids in 52); anything else could not be a real update, and
# would not fit the 255-character id columns either. Callback query ids are short strings.
MAX_ID = 2**63 - 1
MAX_QUERY_ID = 200


class PayloadError(ValueError):
    """The body is not a Telegram update at all (not JSON, not an object, no update_id)."""


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A callback query: always answered (the client shows a spinner until then, channels.md §5.13)."""

    query_id: str
    chat_id: str
    data: str
    reference: str | None  # set when the payload was too long for callback_data and must be looked up


@dataclass(frozen=True, slots=True)
class Reachability:
    user_id: str
    reachable: bool  # False: the customer blocked the bot; True: unblocked (my_chat_member)


@dataclass
class Parsed:
    update_id: int
    messages: list[InboundMessage] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    button: ButtonPress | None = None
    reachability: Reachability | None = None


def load(raw: bytes) -> dict[str, Any]:
    try:
        update = load_json(raw)
    except BodyError as exc:
        raise PayloadError(str(exc)) from None
    check_update(update)
    return update


def check_update(update: Any) -> None:
    if not isinstance(update, dict):
        raise PayloadError("an update must be a JSON object")
    if not isinstance(update.get("update_id"), int) or isinstance(update.get("update_id"), bool):
        raise PayloadError("update_id must be an integer")


def parse(raw: bytes, channel: str = NAME) -> Parsed:
    return parse_update(load(raw), channel)


def parse_update(update: dict[str, Any], channel: str = NAME) -> Parsed:
    """Everything one update means for the bot; kinds it does not act on are counted in ``skipped``."""
    check_update(update)
    parsed = Parsed(update_id=update["update_id"])
    kind = next((k for k in update if k != "update_id"), "empty")
    body = update.get(kind)
    if not isinstance(body, dict):
        parsed.skipped[kind[:64]] += 1  # an unknown kind's name is echoed in the answer: kept short
    elif kind == "message":
        _message(parsed, body, channel)
    elif kind == "callback_query":
        _callback(parsed, body, channel)
    elif kind == "my_chat_member":
        _member(parsed, body)
    else:  # edited messages (the turn already ran on the original), channel posts, polls…
        parsed.skipped[kind[:64]] += 1
    return parsed


def _message(parsed: Parsed, message: dict[str, Any], channel: str) -> None:
    chat, sender = _dict(message.get("chat")), _dict(message.get("from"))
    reason = _not_a_customer(chat, sender)
    if reason is None and not _is_id(message.get("message_id")):
        reason = "malformed"  # half of the dedupe key: without it, messages would pass for redeliveries
    if reason:
        parsed.skipped[reason] += 1
        return
    text, payload, metadata = _content(message, sender)
    if text is None and payload is None:
        parsed.skipped["service"] += 1  # pinned messages, chat photo changes, …
        return
    parsed.messages.append(
        InboundMessage(
            channel=channel,
            external_user_id=str(chat["id"]),
            external_message_id=f"{chat['id']}:{message.get('message_id')}",
            text=text,
            sent_at=_time(message.get("date")),
            payload=payload,
            display_name=_name(sender),
            metadata=metadata,
        )
    )


def _not_a_customer(chat: dict[str, Any], sender: dict[str, Any]) -> str | None:
    if chat.get("type") != "private":
        return "group"
    if not _is_id(chat.get("id")) or not _is_id(sender.get("id")):
        return "malformed"
    if sender.get("is_bot"):
        return "bot"
    return None


def _content(
    message: dict[str, Any], sender: dict[str, Any]
) -> tuple[str | None, dict[str, Any] | None, dict[str, Any]]:
    """(text, payload, metadata) of a customer's message."""
    metadata = {"language_code": sender["language_code"]} if sender.get("language_code") else {}
    contact = message.get("contact")
    if isinstance(contact, dict):
        text, payload = _contact(message, contact, sender)
        return text, payload, metadata
    text = message.get("text") if isinstance(message.get("text"), str) else None
    if text is not None and _command(text) == "/start":
        start = text.split(maxsplit=1)[1:]  # a deep link: t.me/<bot>?start=<value>
        return START_AS, None, {**metadata, **({"start": start[0]} if start else {})}
    attachments = [_attachment(kind, message[kind]) for kind in ATTACHMENTS if message.get(kind)]
    if attachments:
        caption = message.get("caption") if isinstance(message.get("caption"), str) else None
        return text or caption, {"attachments": attachments}, metadata
    return text, None, metadata


def _contact(
    message: dict[str, Any], contact: dict[str, Any], sender: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """A shared contact proves the phone only when it is the sender's own, shared through the button
    (``user_id == from.id``) and not forwarded. Anyone else's card is just a number they sent us."""
    phone = str(contact.get("phone_number") or "").strip()
    own = (
        contact.get("user_id") is not None
        and contact.get("user_id") == sender.get("id")
        and not any(message.get(key) for key in FORWARD_KEYS)
    )
    if own and phone:
        claim = {"method": VerificationMethod.TELEGRAM_CONTACT.value, "phone": phone}
        return None, {"contact": {"own": True}, "verify": claim}
    try:
        typed = normalize_phone(phone)
    except InvalidPhone:
        typed = phone or None
    return typed, {"contact": {"own": False}}  # read like a typed number (an order placed by a relative)


def _callback(parsed: Parsed, query: dict[str, Any], channel: str) -> None:
    sender, message = _dict(query.get("from")), _dict(query.get("message"))
    chat = _dict(message.get("chat")) or {"id": sender.get("id"), "type": "private"}
    data = query.get("data") if isinstance(query.get("data"), str) else ""
    if not isinstance(query.get("id"), str) or not 0 < len(query["id"]) <= MAX_QUERY_ID:
        parsed.skipped["malformed"] += 1
        return
    reason = _not_a_customer(chat, sender)
    payload_text, reference = decode_button(data)
    parsed.button = ButtonPress(query["id"], str(chat.get("id")), data, reference)
    if reason or (payload_text is None and reference is None):
        parsed.skipped[reason or "unknown_button"] += 1
        return
    title = _button_title(message, data)
    parsed.messages.append(
        InboundMessage(
            channel=channel,
            external_user_id=str(chat["id"]),
            external_message_id=f"cb:{query['id']}",
            text=payload_text,  # None until the reference is looked up (ingest does it)
            sent_at=datetime.now(UTC),  # a callback query carries no date of its own
            payload={"button": {"title": title}},
            display_name=_name(sender),
        )
    )


def _button_title(message: dict[str, Any], data: str) -> str | None:
    """What the customer tapped, read back from the keyboard of the message it was on."""
    rows = _dict(message.get("reply_markup")).get("inline_keyboard")
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return button.get("text")
    return None


def _member(parsed: Parsed, update: dict[str, Any]) -> None:
    chat, new = _dict(update.get("chat")), _dict(update.get("new_chat_member"))
    if chat.get("type") != "private" or not _is_id(chat.get("id")):
        parsed.skipped["group"] += 1
        return
    status = new.get("status")
    if status not in ("kicked", "member"):
        parsed.skipped["my_chat_member"] += 1
        return
    parsed.reachability = Reachability(str(chat["id"]), reachable=status == "member")


def _attachment(kind: str, value: Any) -> dict[str, Any]:
    if kind == "photo" and isinstance(value, list) and value:
        value = value[-1]  # the largest size
    if not isinstance(value, dict):
        return {"type": kind}
    if kind == "location":
        return {"type": kind, "latitude": value.get("latitude"), "longitude": value.get("longitude")}
    keep = ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
    return {"type": kind, **{k: value[k] for k in keep if k in value}}


def _command(text: str) -> str:
    """``/start@ShopBot payload`` → ``/start``."""
    first = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return first.split("@", 1)[0].lower()


def _name(user: dict[str, Any]) -> str | None:
    parts = [user.get("first_name"), user.get("last_name")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return name[:200] or None


def _time(value: Any) -> datetime:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):  # past year 9999: not a date Telegram sends
            pass
    return datetime.now(UTC)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_ID


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
