"""Signed, expiring links customers open without logging in: invoices and data exports (DESIGN §9).

A token is ``<payload>.<signature>``, both base64url without padding. The payload is compact JSON
``{"k": kind, "s": subject, "x": expiry (unix seconds)}``; the signature is HMAC-SHA256 over the
payload's text with a key derived from ``PISHKHAN_SECRET_KEY``. The signature is checked (in constant
time) before anything in the payload is believed, so a changed expiry or subject is "tampered", never
"expired". Tokens are not encrypted: put in them only what the customer may read (an order number,
a customer id), never a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.storage.base import utcnow

INVOICE = "invoice"
PRIVACY_EXPORT = "privacy_export"
MAX_TOKEN_LENGTH = 600
_KEY_CONTEXT = b"pishkhan/signed-link/v1"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class LinkError(Exception):
    """The token does not open anything."""


class LinkInvalid(LinkError):
    """Malformed, tampered with, or signed with another key."""


class LinkWrongKind(LinkInvalid):
    """A genuine token, made for another page."""


class LinkExpired(LinkError):
    """A genuine token whose time is up."""


@dataclass(frozen=True, slots=True)
class SignedLink:
    kind: str
    subject: str
    expires_at: datetime
    token: str
    url: str = ""


def sign(secret: str, *, kind: str, subject: str, expires_at: datetime) -> str:
    payload = json.dumps(
        {"k": kind, "s": subject, "x": int(expires_at.timestamp())}, separators=(",", ":"), ensure_ascii=True
    )
    body = _encode(payload.encode())
    return f"{body}.{_encode(_mac(secret, body))}"


def verify(secret: str, token: str, *, kind: str, now: datetime | None = None) -> SignedLink:
    """The link's contents if ``token`` is genuine, of ``kind`` and not expired; else a LinkError."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise LinkInvalid("not a token")
    body, signature = token.split(".")
    try:
        given = _decode(signature)
        payload = json.loads(_decode(body))
    except (binascii.Error, ValueError) as exc:
        raise LinkInvalid("not a token") from exc
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise LinkInvalid("bad signature")
    if not isinstance(payload, dict) or not isinstance(payload.get("x"), int):
        raise LinkInvalid("bad payload")
    if payload.get("k") != kind:
        raise LinkWrongKind(f"token is for {payload.get('k')!r}, not {kind!r}")
    expires_at = datetime.fromtimestamp(payload["x"], UTC)
    if (now or utcnow()) >= expires_at:
        raise LinkExpired("token expired")
    return SignedLink(kind=kind, subject=str(payload.get("s")), expires_at=expires_at, token=token)


def make_link(
    settings: Settings, *, kind: str, subject: str, path: str, hours: int, now: datetime | None = None
) -> SignedLink:
    """A signed link ``{public_url}/{path}/{token}`` valid for ``hours``."""
    expires_at = (now or utcnow()) + timedelta(hours=hours)
    token = sign(_secret(settings), kind=kind, subject=subject, expires_at=expires_at)
    url = f"{settings.public_url.rstrip('/')}/{path.strip('/')}/{token}"
    return SignedLink(kind=kind, subject=subject, expires_at=expires_at, token=token, url=url)


def open_link(settings: Settings, token: str, *, kind: str, now: datetime | None = None) -> SignedLink:
    return verify(_secret(settings), token, kind=kind, now=now)


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _mac(secret: str, body: str) -> bytes:
    # A key of its own, so a signature here can never stand in for another use of the secret key.
    key = hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text):  # strict: the decoder would skip stray characters
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
