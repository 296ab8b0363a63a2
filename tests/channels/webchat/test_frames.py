"""The widget's recorded frames (``tests/fixtures/payloads/webchat``) queue exactly these messages,
payloads included: a button's title to show, and the shop-login claim while it is not yet applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.channels.webchat.adapter import parse_transcript

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "webchat"
CASES = sorted(p for p in PAYLOADS.glob("*.json") if not p.name.endswith(".expected.json"))


@pytest.mark.parametrize("fixture", CASES, ids=lambda p: p.stem)
def test_recorded_frames_queue_these_messages(fixture: Path) -> None:
    expected = json.loads(fixture.with_suffix(".expected.json").read_text(encoding="utf-8"))["messages"]
    messages = parse_transcript(fixture.read_bytes())
    assert [
        {"user": m.external_user_id, "id": m.external_message_id, "text": m.text, "payload": m.payload}
        for m in messages
    ] == [{"payload": None, **e} for e in expected]
    assert all(m.channel == "webchat" for m in messages)


def test_an_applied_login_is_not_claimed_again() -> None:
    body = json.loads((PAYLOADS / "shop_login.json").read_bytes())
    body["verified"] = True
    assert [m.payload for m in parse_transcript(json.dumps(body).encode())] == [None, None]
