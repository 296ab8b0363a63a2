"""Visitor tokens and the shop's identity hash: what passes and what must not."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.channels.webchat.tokens import (
    check_shop_user,
    identity_hash,
    identity_secret,
    is_visitor_id,
    issue_visitor_token,
    new_visitor_id,
    read_visitor_token,
)
from bot.config import Settings

SECRET = "a-secret-key"


def test_a_token_names_the_visitor_it_was_issued_for() -> None:
    visitor = new_visitor_id()
    assert is_visitor_id(visitor) and visitor != new_visitor_id()
    assert read_visitor_token(SECRET, issue_visitor_token(SECRET, visitor)) == visitor


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "v_" + ("0" if t[2] != "0" else "1") + t[3:],  # visitor id changed, signature kept
        lambda t: t.split(".")[0],  # signature dropped
        lambda t: t + "=",  # padding added
        lambda t: t.upper(),
        lambda t: " " + t,
    ],
)
def test_a_tampered_token_names_nobody(tamper) -> None:
    token = issue_visitor_token(SECRET, new_visitor_id())
    assert read_visitor_token(SECRET, tamper(token)) is None


@pytest.mark.parametrize("token", [None, "", 42, ["v_x"], "v_" + "0" * 24, "x" * 5000])
def test_garbage_is_not_a_token(token) -> None:
    assert read_visitor_token(SECRET, token) is None


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = issue_visitor_token("an-old-key", new_visitor_id())
    assert read_visitor_token(SECRET, token) is None


def test_identity_hash_is_chatwoots_identifier_hash() -> None:
    expected = hmac.new(b"shop-secret", b"u1001", hashlib.sha256).hexdigest()
    assert identity_hash("shop-secret", "u1001") == expected
    assert check_shop_user("shop-secret", "u1001", expected) == "u1001"
    assert check_shop_user("shop-secret", "u1001", expected.upper()) == "u1001"


@pytest.mark.parametrize(
    ("secret", "user", "given"),
    [
        ("shop-secret", "u1001", identity_hash("shop-secret", "u1002")),  # another user's hash
        ("shop-secret", "u1001", identity_hash("other-secret", "u1001")),  # signed with another secret
        ("shop-secret", "u1001", ""),
        ("shop-secret", "u1001", None),
        ("shop-secret", "u1001", "۱۲۳۴"),  # not ASCII: refused, never an error
        ("shop-secret", "", identity_hash("shop-secret", "")),
        ("shop-secret", "u 1001", identity_hash("shop-secret", "u 1001")),  # not a shop user id
        ("shop-secret", 1001, identity_hash("shop-secret", "1001")),
        (None, "u1001", identity_hash("shop-secret", "u1001")),  # verification off
    ],
)
def test_a_wrong_identity_hash_verifies_nobody(secret, user, given) -> None:
    assert check_shop_user(secret, user, given) is None


def test_identity_secret_from_settings_or_derived_outside_production() -> None:
    configured = Settings(widget_identity_secret="s3", _env_file=None)  # type: ignore[call-arg]
    assert identity_secret(configured) == "s3"
    development = Settings(_env_file=None)  # type: ignore[call-arg]
    derived = identity_secret(development)
    assert derived and derived != development.secret_key.get_secret_value()
    production = Settings(env="production", secret_key="k" * 32, api_key="a" * 32, _env_file=None)  # type: ignore[call-arg]
    assert identity_secret(production) is None
