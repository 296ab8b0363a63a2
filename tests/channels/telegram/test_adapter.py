"""The Telegram adapter on captured-shape updates: what becomes a customer's message, and what does not."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

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
    ],
)
def test_a_body_that_is_not_an_update_is_refused(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(raw)


@pytest.mark.parametrize(
    "update, skipped",
    [
        ({"update_id": 1}, "empty"),
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
                "message": {"chat": {"id": 5, "type": "private"}, "from": {"id": 5}, "pinned_message": {}},
            },
            "service",
        ),
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
