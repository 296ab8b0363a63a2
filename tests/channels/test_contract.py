"""One contract over every channel adapter (DESIGN §10): each captured wire payload under
``tests/fixtures/payloads/<channel>/NAME.json`` parses to the messages in ``NAME.expected.json`` beside it.

An expected file holds ``{"messages": [{"user", "id", "text", ...}], ...}``: the sender's id on the
channel, the platform's message id (the dedupe key) and the text the turn sees, in processing order.
A channel joins by adding its parser (raw body bytes -> InboundMessages) to ``PARSERS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.channels.base import InboundMessage
from bot.channels.instagram import InstagramChannel
from bot.channels.telegram.adapter import parse as parse_telegram
from bot.channels.webchat.adapter import parse_transcript

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
Parser = Callable[[bytes], list[InboundMessage]]

PARSERS: dict[str, Parser] = {
    "instagram": InstagramChannel.parse,
    "telegram": lambda raw: parse_telegram(raw).messages,
    "webchat": parse_transcript,
}


def payload_cases() -> list[tuple[str, Path]]:
    return [
        (directory.name, path)
        for directory in sorted(p for p in PAYLOADS.iterdir() if p.is_dir())
        for path in sorted(directory.glob("*.json"))
        if not path.name.endswith(".expected.json")
    ]


@pytest.mark.parametrize(("channel", "fixture"), payload_cases(), ids=lambda v: getattr(v, "stem", v))
def test_every_adapter_parses_its_real_payloads(channel: str, fixture: Path) -> None:
    assert channel in PARSERS, f"no parser registered for the {channel} payloads"
    expected = json.loads(fixture.with_suffix(".expected.json").read_text(encoding="utf-8"))
    messages = PARSERS[channel](fixture.read_bytes())
    assert all(m.channel == channel for m in messages)
    assert [m.text for m in messages] == [e["text"] for e in expected["messages"]]
    assert [m.external_message_id for m in messages] == [e["id"] for e in expected["messages"]]
    assert [m.external_user_id for m in messages] == [e["user"] for e in expected["messages"]]


def test_every_channel_with_payloads_has_a_parser() -> None:
    channels = {channel for channel, _ in payload_cases()}
    assert channels and channels <= set(PARSERS)
