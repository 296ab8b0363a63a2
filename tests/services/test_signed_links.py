from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.services import signed_links
from bot.services.signed_links import LinkExpired, LinkInvalid, LinkWrongKind, open_link, sign, verify

SECRET = "test-secret"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _token(**changes: object) -> str:
    fields: dict = {"kind": "invoice", "subject": "1000001", "expires_at": NOW + timedelta(hours=1)} | changes
    return sign(SECRET, **fields)


def test_a_genuine_token_opens_until_it_expires() -> None:
    link = verify(SECRET, _token(), kind="invoice", now=NOW)
    assert (link.kind, link.subject) == ("invoice", "1000001")
    assert link.expires_at == NOW + timedelta(hours=1)
    with pytest.raises(LinkExpired):
        verify(SECRET, _token(), kind="invoice", now=NOW + timedelta(hours=1))


def test_a_token_for_another_page_is_refused() -> None:
    with pytest.raises(LinkWrongKind):
        verify(SECRET, _token(kind="privacy_export"), kind="invoice", now=NOW)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace(t.split(".")[0], _token(subject="2000001").split(".")[0]),  # another order
        lambda t: t.replace(t.split(".")[0], _token(expires_at=NOW + timedelta(days=300)).split(".")[0]),
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: t + "!!",  # stray characters a lax decoder would skip
        lambda t: t.split(".")[0],  # no signature
        lambda t: "a.b.c",
        lambda t: "",
        lambda t: "x" * 5000,
        lambda t: "٠١٢." + t.split(".")[1],  # non-ASCII digits
    ],
)
def test_a_changed_or_malformed_token_is_invalid_not_expired(tamper) -> None:
    with pytest.raises(LinkInvalid) as caught:
        verify(SECRET, tamper(_token()), kind="invoice", now=NOW)
    assert not isinstance(caught.value, LinkWrongKind)


def test_a_token_signed_with_another_key_is_invalid_even_when_expired() -> None:
    old = sign("other-secret", kind="invoice", subject="1", expires_at=NOW - timedelta(days=1))
    with pytest.raises(LinkInvalid):
        verify(SECRET, old, kind="invoice", now=NOW)


def test_make_link_builds_the_public_url_from_settings() -> None:
    settings = Settings(secret_key="k1", public_url="https://shop.example/bot/", _env_file=None)  # type: ignore[call-arg]
    link = signed_links.make_link(
        settings, kind="invoice", subject="1000002", path="invoices", hours=72, now=NOW
    )
    assert link.url == f"https://shop.example/bot/invoices/{link.token}"
    assert link.expires_at == NOW + timedelta(hours=72)
    assert open_link(settings, link.token, kind="invoice", now=NOW).subject == "1000002"
    other = Settings(secret_key="k2", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(LinkInvalid):
        open_link(other, link.token, kind="invoice", now=NOW)
