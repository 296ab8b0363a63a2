"""The Telegram adapter on captured-shape updates: what becomes a customer's message, and what does not."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.telegram.adapter import PayloadError, parse, parse_update
from tests.channels.telegram.conftest import PAYLOADS

CASES = sorted(
    p.name.removesuffix(".json") for p in PAYLOADS.glob("*.json") if not p.name.endswith(".expected.json")
)


def expected(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.expected.json").read_text(encoding="utf-8"))


def test_there_are_fixtures_for_every_kind_the_brief_names() -> None:
    assert {"text", "start", "callback_query", "contact_own", "contact_other", "contact_forwarded"} <= set(
        CASES
    )
    assert {"edited_message", "my_chat_member_blocked", "photo_without_text", "group_chat"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_each_captured_update_parses_to_what_is_written_beside_it(name: str) -> None:
    want = expected(name)
    parsed = parse((PAYLOADS / f"{name}.json").read_bytes())
    got = []
    for message, wanted in zip(parsed.messages, want["messages"], strict=False):
        entry = {"user": message.external_user_id, "id": message.external_message_id, "text": message.text}
        if "payload" in wanted:
            entry["payload"] = message.payload
        if "metadata" in wanted:
            entry["metadata"] = message.metadata
        got.append(entry)
    assert got == want["messages"] and len(parsed.messages) == len(want["messages"])
    assert all(m.channel == "telegram" for m in parsed.messages)
    assert dict(parsed.skipped) == want["skipped"]
    reachability = asdict(parsed.reachability) if parsed.reachability else None
    assert reachability == want.get("reachability")
    if "button" in want:
        assert parsed.button is not None
        assert {"query_id": parsed.button.query_id, "reference": parsed.button.reference} == want["button"]


def test_only_a_contact_of_the_sender_unforwarded_carries_a_verification_claim() -> None:
    claims = {
        name: (parse((PAYLOADS / f"{name}.json").read_bytes()).messages[0].payload or {}).get("verify")
        for name in CASES
        if name.startswith("contact_")
    }
    assert {name for name, claim in claims.items() if claim} == {"contact_own", "contact_own_plus"}


def test_a_second_instance_files_messages_under_its_own_channel_name() -> None:
    parsed = parse((PAYLOADS / "text.json").read_bytes(), channel="bale")
    assert [m.channel for m in parsed.messages] == ["bale"]


def test_persian_text_and_names_arrive_intact_and_dated_in_utc() -> None:
    [message] = parse((PAYLOADS / "text.json").read_bytes()).messages
    assert message.text == "سلام، سفارشم کجاست؟"
    assert message.display_name == "سارا احمدی"
    assert message.sent_at == datetime.fromtimestamp(1718000000, UTC)
    assert message.metadata == {"language_code": "fa"}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"message": {}}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b"\xff\xfe{",
        b"[" * 10_000 + b"]" * 10_000,  # json.loads would raise RecursionError
        b'{"update_id": 1, "message": ' + b'{"a":' * 100 + b"1" + b"}" * 100 + b"}",
        b'{"update_id": ' + b"9" * 5_000 + b"}",  # int() refuses: a ValueError, not a JSONDecodeError
        b'{"update_id": 1, "message": {"date": NaN}}',
        b'{"update_id": 1, "message": {"date": 1e999}}',
    ],
)
def test_a_body_that_is_not_an_update_is_refused(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(raw)


def test_nul_and_lone_surrogates_are_taken_out_of_the_text() -> None:
    # PostgreSQL stores neither; the rest of the message is still the customer's
    raw = (PAYLOADS / "text.json").read_bytes().replace("سلام،".encode(), b"\\u0000\\ud800")
    [message] = parse(raw).messages
    assert message.text == "\ufffd سفارشم کجاست؟"


def test_a_date_past_year_9999_reads_as_now() -> None:
    update = json.loads((PAYLOADS / "text.json").read_bytes())
    update["message"]["date"] = 10**20
    [message] = parse_update(update).messages
    assert abs((message.sent_at - datetime.now(UTC)).total_seconds()) < 60


def private(**message: Any) -> dict[str, Any]:
    """An update carrying a message of user 5 in their private chat, with these fields."""
    return {"update_id": 1, "message": {"chat": {"id": 5, "type": "private"}, "from": {"id": 5}, **message}}


@pytest.mark.parametrize(
    "update, skipped",
    [
        ({"update_id": 1}, "empty"),
        ({"update_id": 1, "k" * 1000: 5}, "k" * 64),  # an unknown kind is echoed back, kept short
        ({"update_id": 1, "message": "text"}, "message"),
        (
            {"update_id": 1, "message": {"chat": {"type": "private"}, "from": {"id": 5}, "text": "x"}},
            "malformed",
        ),
        (
            {
                "update_id": 1,
                "message": {
                    "chat": {"id": 5, "type": "private"},
                    "from": {"id": 5, "is_bot": True},
                    "text": "x",
                },
            },
            "bot",
        ),
        (
            {
                "update_id": 1,
                "message": {
                    "message_id": 9,
                    "chat": {"id": 5, "type": "private"},
                    "from": {"id": 5},
                    "pinned_message": {},
                },
            },
            "service",
        ),
        # ids that are no Telegram id (nor fit the 255-character id columns), and a message without one
        (private(message_id=9, text="x", chat={"id": 10**300, "type": "private"}), "malformed"),
        (private(message_id=9, text="x", chat={"id": True, "type": "private"}), "malformed"),
        (private(text="x"), "malformed"),
        (private(message_id="x" * 300, text="x"), "malformed"),
        (private(message_id=1.5, text="x"), "malformed"),
        ({"update_id": 1, "callback_query": {"id": "q" * 300, "from": {"id": 5}, "data": "/x"}}, "malformed"),
        ({"update_id": 1, "callback_query": {"id": "q", "from": {"id": 5}, "data": "garbage-data"}}, None),
        (
            {"update_id": 1, "callback_query": {"id": "q", "from": {"id": 5}, "data": "~x.y"}},
            "unknown_button",
        ),
        (
            {
                "update_id": 1,
                "my_chat_member": {
                    "chat": {"id": 5, "type": "private"},
                    "new_chat_member": {"status": "left"},
                },
            },
            "my_chat_member",
        ),
        ({"update_id": 1, "poll": {"id": "1"}}, "poll"),
    ],
)
def test_odd_shapes_are_skipped_not_fatal(update: dict, skipped: str | None) -> None:
    parsed = parse_update(update)
    if skipped is None:  # unknown data that is not a reference reads as a typed payload
        assert [m.text for m in parsed.messages] == ["garbage-data"]
    else:
        assert parsed.messages == [] and parsed.skipped[skipped] == 1


def test_a_button_press_is_answered_even_when_nothing_is_queued() -> None:
    group_press = {
        "update_id": 3,
        "callback_query": {
            "id": "q1",
            "from": {"id": 5, "is_bot": False, "first_name": "x"},
            "message": {"message_id": 1, "date": 1, "chat": {"id": -100, "type": "group"}},
            "data": "/affirm",
        },
    }
    parsed = parse_update(group_press)
    assert parsed.messages == [] and parsed.button is not None and parsed.button.query_id == "q1"
