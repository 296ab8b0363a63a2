"""Who is on the other end of a widget: a signed visitor token, and the shop's identity hash.

A visitor token is the widget's only credential: ``v_<24 hex>.<signature>``, the signature an HMAC of
the visitor id with ``PISHKHAN_SECRET_KEY``. It holds no personal data and never expires; a token
that does not verify (tampered, or signed with an old key) is ignored and a new visitor begins.

The identity hash is Chatwoot's ``identifier_hash``: the shop's backend computes
``HMAC-SHA256(PISHKHAN_WIDGET_IDENTITY_SECRET, shop_user_id)`` in hex for its logged-in user and puts
it on the script tag; a hash that does not match leaves the visitor anonymous.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from bot.config import Settings

VISITOR_PREFIX = "v_"
_VISITOR_ID = re.compile(r"^v_[0-9a-f]{24}$")
_TOKEN = re.compile(r"^(v_[0-9a-f]{24})\.([A-Za-z0-9_-]{43})$")
_SHOP_USER = re.compile(r"^[\w.@:+-]{1,128}$")
_VISITOR_CONTEXT = b"pishkhan.webchat.visitor:"
_DEV_IDENTITY_CONTEXT = b"pishkhan.webchat.identity.development"


def new_visitor_id() -> str:
    """96 random bits, in the shape the demo data uses for widget visitors."""
    return VISITOR_PREFIX + secrets.token_hex(12)


def is_visitor_id(value: str) -> bool:
    return bool(_VISITOR_ID.match(value))


def issue_visitor_token(secret: str, visitor_id: str) -> str:
    if not is_visitor_id(visitor_id):
        raise ValueError("not a visitor id")
    return f"{visitor_id}.{_sign(secret, visitor_id)}"


def read_visitor_token(secret: str, token: object) -> str | None:
    """The visitor id a token was issued for, or None when it is missing, malformed or not ours."""
    if not isinstance(token, str):
        return None
    match = _TOKEN.match(token)
    if match is None:
        return None
    visitor_id, signature = match.groups()
    if not hmac.compare_digest(signature.encode(), _sign(secret, visitor_id).encode()):
        return None
    return visitor_id


def _sign(secret: str, visitor_id: str) -> str:
    digest = hmac.new(secret.encode(), _VISITOR_CONTEXT + visitor_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def identity_secret(settings: Settings) -> str | None:
    """The shop's identity secret. Outside production an unset one is derived from the secret key, so
    the demo page can show a logged-in customer; in production, unset means nobody is verified."""
    if settings.widget_identity_secret is not None:
        return settings.widget_identity_secret.get_secret_value() or None
    if settings.env == "production":
        return None
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, _DEV_IDENTITY_CONTEXT, hashlib.sha256).hexdigest()


def identity_hash(secret: str, shop_user_id: str) -> str:
    """What the shop's backend puts in ``data-identity-hash`` for its logged-in user."""
    return hmac.new(secret.encode(), shop_user_id.encode(), hashlib.sha256).hexdigest()


def check_shop_user(secret: str | None, shop_user_id: object, given_hash: object) -> str | None:
    """The shop user id when ``given_hash`` is its identity hash, compared in constant time; else None."""
    if not secret or not isinstance(shop_user_id, str) or not isinstance(given_hash, str):
        return None
    shop_user_id = shop_user_id.strip()
    if not _SHOP_USER.match(shop_user_id) or len(given_hash) > 128:
        return None
    expected = identity_hash(secret, shop_user_id).encode()
    if not hmac.compare_digest(expected, given_hash.strip().lower().encode("utf-8", "replace")):
        return None
    return shop_user_id
