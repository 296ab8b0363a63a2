"""What the customer sees on Telegram: long text in parts, buttons that fit Telegram's 64 bytes, the
"share my number" keyboard when the bot asks for a phone."""

from __future__ import annotations

import pytest
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.channels.telegram.buttons import decode_button, encode_button, parse_reference
from bot.channels.telegram.render import CHOOSE, send_requests
from bot.channels.telegram.split import split_text, units

SENTENCE = "سفارش شما با تیپاکس ارسال شد و کد رهگیری آن ۸۰۴۵۱۲۳۳۹۸۷۱ است؛ می‌توانید آن را پیگیری کنید. "


def test_short_text_is_one_part() -> None:
    assert split_text("  سلام، خوش آمدید  ") == ["سلام، خوش آمدید"]
    assert split_text("") == []


def test_long_persian_text_is_cut_between_words_and_loses_nothing() -> None:
    text = SENTENCE * 120  # about 11,000 characters
    parts = split_text(text)
    assert len(parts) == 3
    assert all(units(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()  # every word whole, in order
    words = set(text.split())
    assert all(p.split()[0] in words and p.split()[-1] in words for p in parts)


def test_a_paragraph_break_is_the_preferred_cut() -> None:
    first, second = "الف " * 400, "ب " * 600
    parts = split_text(f"{first.strip()}\n\n{second.strip()}", limit=2000)
    assert parts == [first.strip(), second.strip()]


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    parts = split_text("😀" * 3000)
    assert [units(p) for p in parts] == [4096, 1904]


def test_one_endless_word_is_cut_hard() -> None:
    assert split_text("x" * 10, limit=4) == ["xxxx", "xxxx", "xx"]


def test_a_zwnj_is_not_a_place_to_cut() -> None:
    parts = split_text("می‌خواهم " * 3, limit=12)
    assert parts == ["می‌خواهم", "می‌خواهم", "می‌خواهم"]


@pytest.mark.parametrize("payload", ["/affirm", '/choose{"order_id":"1000002"}', "x" * 64, "بله"])
def test_a_payload_that_fits_travels_as_itself(payload: str) -> None:
    data = encode_button(payload, outbox_id=7, index=0)
    assert data == payload and decode_button(data) == (payload, None)


@pytest.mark.parametrize(
    "payload",
    [
        "x" * 65,
        '/choose{"fault_description":"صفحه نمایش خاموش می‌شود و شارژ نمی‌گیرد"}',
        "~looks-like-a-reference",
        "",
    ],
)
def test_a_payload_that_does_not_fit_travels_as_a_reference(payload: str) -> None:
    data = encode_button(payload, outbox_id=123456789012, index=7)
    assert data == "~123456789012.7" and len(data.encode()) <= 64
    assert decode_button(data) == (None, data) and parse_reference(data) == (123456789012, 7)


def test_choices_become_an_inline_keyboard_under_the_last_part() -> None:
    body = {
        "text": SENTENCE * 50,
        "buttons": [
            {"title": "۱۰۰۰۰۰۱", "payload": '/choose{"order_id":"1000001"}'},
            {"title": "۱۰۰۰۰۰۲", "payload": '/choose{"order_id":"1000002"}'},
            {
                "title": "گوشی سامسونگ A55 با گارانتی هجده‌ماهه",
                "payload": '/choose{"item_id":"' + "9" * 60 + '"}',
            },
        ],
    }
    calls = send_requests("1111111", body, outbox_id=31)
    assert [type(c) for c in calls] == [SendMessage, SendMessage]
    assert calls[0].reply_markup is None and calls[0].chat_id == 1111111
    markup = calls[-1].reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [
        [("۱۰۰۰۰۰۱", '/choose{"order_id":"1000001"}'), ("۱۰۰۰۰۰۲", '/choose{"order_id":"1000002"}')],
        [("گوشی سامسونگ A55 با گارانتی هجده‌ماهه", "~31.2")],
    ]


@pytest.mark.parametrize("response", ["utter_ask_otp_form_phone", "utter_ask_order_access_form_phone"])
def test_asking_for_the_phone_offers_the_share_my_number_button(response: str) -> None:
    [call] = send_requests("1111111", {"text": "شماره‌تان را بفرستید", "response": response}, outbox_id=1)
    markup = call.reply_markup
    assert isinstance(markup, ReplyKeyboardMarkup) and markup.one_time_keyboard
    assert markup.keyboard[0][0].request_contact is True


def test_other_messages_fold_the_phone_keyboard_away() -> None:
    [call] = send_requests(
        "1111111", {"text": "هویت شما تأیید شد.", "response": "utter_verified"}, outbox_id=1
    )
    assert isinstance(call.reply_markup, ReplyKeyboardRemove)


def test_buttons_without_words_still_have_a_line_above_them_and_images_follow_text() -> None:
    [call] = send_requests("5", {"buttons": [{"title": "بله", "payload": "/affirm"}]}, outbox_id=1)
    assert call.text == CHOOSE
    calls = send_requests("5", {"text": "فاکتور", "image": "https://shop.example/i.png"}, outbox_id=1)
    assert [type(c) for c in calls] == [SendMessage, SendPhoto] and calls[
        1
    ].photo == "https://shop.example/i.png"
    assert send_requests("5", {"text": "  "}, outbox_id=1) == []
