"""The Instagram adapter without a server: signatures, the subscription handshake, captured payloads."""

from __future__ import annotations

import json

import pytest

from bot.channels.instagram import InstagramChannel, Signature, check_signature, parse
from bot.channels.instagram.adapter import PayloadError
from tests.channels.instagram.conftest import APP_SECRET, PAYLOADS, VERIFY_TOKEN, fixture_bytes, signature

CASES = sorted(
    p.name.removesuffix(".json") for p in PAYLOADS.glob("*.json") if not p.name.endswith(".expected.json")
)
SECRETS = [APP_SECRET.encode()]


def expected(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", CASES)
def test_each_captured_payload_parses_to_what_is_written_beside_it(name: str) -> None:
    parsed = parse(fixture_bytes(name))
    want = expected(name)
    got = [
        {"user": m.external_user_id, "id": m.external_message_id, "text": m.text, "payload": m.payload}
        for m in parsed.messages
    ]
    assert got == [
        {"payload": None, **{k: v for k, v in w.items() if k != "metadata"}} for w in want["messages"]
    ]
    for message, wanted in zip(parsed.messages, want["messages"], strict=True):
        assert message.channel == "instagram"
        assert message.sent_at.tzinfo is not None
        for key, value in wanted.get("metadata", {}).items():
            assert message.metadata[key] == value
    assert dict(parsed.skipped) == want["skipped"]


def test_persian_arrives_escaped_and_is_read_as_persian() -> None:
    raw = fixture_bytes("persian_text")
    assert raw.isascii() and b"\\u200c" in raw and b"\\u0643" in raw  # Meta escapes every non-ASCII letter
    [message] = parse(raw).messages
    assert message.text is not None and "۱۰۰۰۰۰۱" in message.text and "\u200c" in message.text


def test_timestamps_are_milliseconds() -> None:
    [message] = parse(fixture_bytes("text")).messages
    assert message.sent_at.timestamp() == pytest.approx(1718000000.0)


def test_the_signature_is_over_the_raw_escaped_bytes() -> None:
    raw = fixture_bytes("persian_text")
    assert check_signature(raw, signature(raw), SECRETS) is Signature.OK
    # the same JSON re-serialised with real Persian letters is a different byte string: no match
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    assert check_signature(raw, signature(reserialised), SECRETS) is Signature.WRONG
    assert check_signature(raw, signature(raw).upper().replace("SHA256=", "sha256="), SECRETS) is Signature.OK


@pytest.mark.parametrize(
    ("header", "outcome"),
    [
        (None, Signature.MISSING),
        ("", Signature.MISSING),
        ("sha1=abc", Signature.WRONG),
        ("sha256=", Signature.WRONG),
        ("sha256=" + "0" * 64, Signature.WRONG),
    ],
)
def test_missing_and_wrong_signatures(header: str | None, outcome: Signature) -> None:
    assert check_signature(fixture_bytes("text"), header, SECRETS) is outcome


def test_a_second_secret_is_accepted() -> None:
    raw = fixture_bytes("text")
    assert check_signature(raw, signature(raw, "other"), [b"first", b"other"]) is Signature.OK
    assert check_signature(raw, signature(raw), []) is Signature.WRONG  # no secret configured: nothing passes


def test_subscription_handshake() -> None:
    channel = InstagramChannel(app_secrets=[APP_SECRET], verify_token=VERIFY_TOKEN)
    assert channel.check_subscription("subscribe", VERIFY_TOKEN)
    assert not channel.check_subscription("subscribe", "wrong")
    assert not channel.check_subscription("unsubscribe", VERIFY_TOKEN)
    assert not channel.check_subscription("subscribe", None)
    unset = InstagramChannel(app_secrets=[APP_SECRET], verify_token=None)
    assert not unset.check_subscription("subscribe", "")


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b"\xff\xfe",
        b'"text"',
        b"[" * 10_000 + b"]" * 10_000,  # json.loads would raise RecursionError
        b'{"object": "instagram", "entry": ' + b"9" * 5_000 + b"}",  # int() refuses 4,300+ digits
        b'{"object": "instagram", "entry": [{"time": Infinity}]}',  # not JSON, and jsonb refuses it
    ],
)
def test_a_body_that_is_not_a_notification_is_refused(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(raw)


def test_odd_shapes_are_skipped_not_fatal() -> None:
    raw = json.dumps(
        {
            "object": "instagram",
            "entry": [
                "junk",
                {"id": "1", "messaging": "junk"},
                {
                    "id": "1",
                    "messaging": [{"sender": {}, "timestamp": 1}, {"sender": {"id": "9"}, "message": {}}],
                },
                {"id": "1", "time": 5, "messaging": [{"sender": {"id": "9"}, "message": {"text": "no mid"}}]},
                {
                    "id": "1",
                    "messaging": [{"sender": {"id": "9"}, "timestamp": 1e300, "message": {"mid": "m"}}],
                },
                # ids longer than Meta's (and than the 255-character id columns), a boolean for an id
                {
                    "id": "1",
                    "time": 5,
                    "messaging": [
                        {"sender": {"id": "9" * 300}, "message": {"mid": "m1", "text": "x"}},
                        {"sender": {"id": True}, "message": {"mid": "m2", "text": "x"}},
                        {"sender": {"id": "9"}, "message": {"mid": "m" * 300, "text": "x"}},
                        {"sender": {"id": "9"}, "postback": {"mid": "m" * 300, "payload": "/greet"}},
                        {"sender": {"id": "9"}, "postback": {"mid": {"a": 1}, "payload": "/greet"}},
                    ],
                },
            ],
        }
    ).encode()
    parsed = parse(raw)
    assert parsed.messages == []
    assert parsed.skipped["malformed"] == 10


def test_other_objects_are_ignored() -> None:
    assert sum(parse(b'{"object":"whatsapp_business_account","entry":[]}').skipped.values()) == 1
    # Messenger's "page" events carry Page-scoped ids, which Instagram's Send API cannot answer
    messenger = fixture_bytes("text").replace(b'"object":"instagram"', b'"object":"page"')
    parsed = parse(messenger)
    assert parsed.messages == [] and parsed.skipped == {"object:page": 1}
