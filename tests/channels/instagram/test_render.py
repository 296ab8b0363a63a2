"""Outgoing Instagram messages without a server: byte-limited splitting, quick replies, the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.instagram import within_window
from bot.channels.instagram.render import (
    CHOOSE_PROMPT,
    quick_replies,
    send_requests,
    short_title,
    split_text,
)

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
SENTENCE = "سفارش شما با شمارهٔ ۱۰۰۰۰۰۱ امروز به شرکت پست تحویل داده شد و تا سه روز کاری می‌رسد."


def test_short_text_is_one_part() -> None:
    assert split_text("  سلام  ") == ["سلام"]
    assert split_text("") == []


def test_long_persian_text_is_split_at_1000_bytes_on_word_boundaries() -> None:
    text = " ".join([SENTENCE] * 40)  # ~6,000 bytes: Persian letters take two bytes each
    parts = split_text(text)
    assert len(parts) > 5
    assert all(len(p.encode()) <= 1000 for p in parts)
    assert all(len(p.encode()) > 800 for p in parts[:-1])  # cuts use the room, not a word per part
    words = text.split()
    assert " ".join(parts).split() == words  # every word kept whole, none lost or cut
    assert all("\u200c" not in (p[0], p[-1]) for p in parts)  # never cut at a ZWNJ (می‌رسد stays one word)


def test_paragraph_breaks_are_preferred() -> None:
    first = " ".join([SENTENCE] * 4)  # ~620 bytes
    parts = split_text(first + "\n\n" + " ".join([SENTENCE] * 4))
    assert parts == [first, " ".join([SENTENCE] * 4)]


def test_a_word_longer_than_the_limit_is_cut_between_characters() -> None:
    word = "ب" * 700  # 1,400 bytes without a space
    parts = split_text(word)
    assert [len(p.encode()) for p in parts] == [1000, 400]
    assert "".join(parts) == word


def test_emoji_are_never_cut_in_half() -> None:
    parts = split_text("🙏" * 300)  # four bytes each
    assert all(len(p.encode()) <= 1000 for p in parts) and "".join(parts) == "🙏" * 300


@pytest.mark.parametrize(
    ("title", "short"),
    [
        ("پیگیری سفارش", "پیگیری سفارش"),
        ("ثبت درخواست مرجوعی کالای خریداری‌شده", "ثبت درخواست مرجوعی…"),
        ("گفتگو  با\nپشتیبان", "گفتگو با پشتیبان"),
        ("الف" * 10, "الف" * 6 + "ا…"),
    ],
)
def test_titles_are_cut_to_20_characters_at_a_word(title: str, short: str) -> None:
    assert short_title(title) == short
    assert len(short_title(title)) <= 20


def test_at_most_13_quick_replies() -> None:
    buttons = [{"title": f"گزینهٔ {n}", "payload": f'/choose{{"n":{n}}}'} for n in range(20)]
    replies = quick_replies(buttons)
    assert len(replies) == 13
    assert replies[0] == {"content_type": "text", "title": "گزینهٔ 0", "payload": '/choose{"n":0}'}


def test_buttons_ride_on_the_last_part_and_images_come_first() -> None:
    body = {
        "text": " ".join([SENTENCE] * 12),
        "buttons": [{"title": "پیگیری سفارش", "payload": "/track_order"}],
        "image": "https://shop.example/p.png",
    }
    requests = send_requests("42", body, messaging_type="RESPONSE", tag=None)
    assert requests[0]["message"] == {
        "attachment": {"type": "image", "payload": {"url": "https://shop.example/p.png"}}
    }
    assert all("quick_replies" not in r["message"] for r in requests[:-1])
    assert requests[-1]["message"]["quick_replies"][0]["payload"] == "/track_order"
    assert {r["recipient"]["id"] for r in requests} == {"42"} and "tag" not in requests[0]


def test_buttons_without_text_get_a_prompt_and_tags_are_set() -> None:
    body = {"text": None, "buttons": [{"title": "بله", "payload": "/affirm"}]}
    [request] = send_requests("42", body, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert request["message"]["text"] == CHOOSE_PROMPT
    assert (request["messaging_type"], request["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_nothing_to_send() -> None:
    assert send_requests("42", {"text": "  "}, messaging_type="RESPONSE", tag=None) == []


@pytest.mark.parametrize(
    ("age", "human_agent", "allowed", "tag"),
    [
        (timedelta(minutes=1), False, True, None),
        (timedelta(hours=23, minutes=59), False, True, None),
        (timedelta(hours=24), False, False, None),
        (timedelta(hours=30), True, True, "HUMAN_AGENT"),
        (timedelta(days=6, hours=23), True, True, "HUMAN_AGENT"),
        (timedelta(days=7), True, False, None),
        (timedelta(hours=2), True, True, None),  # inside 24 h an agent's reply needs no tag
    ],
)
def test_window(age: timedelta, human_agent: bool, allowed: bool, tag: str | None) -> None:
    decision = within_window(NOW - age, NOW, human_agent=human_agent)
    assert (decision.allowed, decision.tag) == (allowed, tag)
    assert (decision.reason is None) == allowed
    if allowed:
        assert decision.messaging_type == ("MESSAGE_TAG" if tag else "RESPONSE")


def test_window_reasons_say_how_long_ago() -> None:
    assert "30 hours" in (within_window(NOW - timedelta(hours=30), NOW, human_agent=False).reason or "")
    assert "9 days" in (within_window(NOW - timedelta(days=9), NOW, human_agent=True).reason or "")
    assert "never written" in (within_window(None, NOW, human_agent=True).reason or "")
