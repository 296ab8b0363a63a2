"""One outbox body (``{"text", "buttons"?, "image"?, "response"?}``) as the Bot API calls that show it.

Text longer than a message is split; the keyboard goes on the last part, under the words it is about.
Choices are an inline keyboard; a question for the phone number offers the "share my number" button;
any other message folds a leftover reply keyboard away.
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendMessage, SendPhoto, TelegramMethod
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.channels.telegram.buttons import encode_button
from bot.channels.telegram.split import MAX_CHARS, split_text

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
ROW_CHARS = 24  # titles side by side on one row, at most this many characters together
ROW_BUTTONS = 3
# Responses that ask for the customer's phone: offer Telegram's "share my number" button with them.
PHONE_REQUESTS = frozenset({"utter_ask_otp_form_phone", "utter_ask_order_access_form_phone"})
SHARE_PHONE = "📱 ارسال شمارهٔ من"
CHOOSE = "یکی را انتخاب کنید:"  # Telegram needs text under a keyboard; used when a response has none


def chat_id(target: str) -> int | str:
    """Numeric chat ids as numbers; anything else (``@channel``) as given."""
    try:
        return int(target)
    except ValueError:
        return target


def markup_for(body: dict[str, Any], outbox_id: int) -> Markup:
    buttons = [b for b in body.get("buttons") or [] if isinstance(b, dict)]
    if buttons:
        return inline_keyboard(buttons, outbox_id)
    if body.get("response") in PHONE_REQUESTS:
        return share_phone_keyboard()
    return remove_keyboard()


def send_requests(
    target: str, body: dict[str, Any], outbox_id: int, *, max_chars: int = MAX_CHARS
) -> list[TelegramMethod[Any]]:
    """The calls, in order; empty when there is nothing to show."""
    chat = chat_id(target)
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    parts = split_text(text, max_chars)
    markup = markup_for(body, outbox_id)
    if not parts and isinstance(markup, InlineKeyboardMarkup):
        parts = [CHOOSE]
    calls: list[TelegramMethod[Any]] = [SendMessage(chat_id=chat, text=part) for part in parts]
    image = body.get("image")
    if isinstance(image, str) and image:
        calls.append(SendPhoto(chat_id=chat, photo=image))
    if calls:
        calls[-1].reply_markup = markup  # type: ignore[attr-defined]
    return calls


def inline_keyboard(buttons: list[dict[str, Any]], outbox_id: int) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    width = 0
    for index, button in enumerate(buttons):
        title = str(button.get("title") or button.get("payload") or "")
        key = InlineKeyboardButton(
            text=title, callback_data=encode_button(str(button.get("payload") or title), outbox_id, index)
        )
        if rows and len(rows[-1]) < ROW_BUTTONS and width + len(title) <= ROW_CHARS:
            rows[-1].append(key)
            width += len(title)
        else:
            rows.append([key])
            width = len(title)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    """Shares the customer's own number as a contact; one tap, then the keyboard folds away."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=SHARE_PHONE, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="۰۹۱۲۱۲۳۴۵۶۷",
    )


def remove_keyboard() -> ReplyKeyboardRemove:
    return ReplyKeyboardRemove(remove_keyboard=True)
