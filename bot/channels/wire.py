"""A webhook body as JSON, read defensively: whatever the bytes, the answer is a document every later step
(the adapters, ``json.dumps`` into a JSON column, PostgreSQL) can hold, or ``BodyError``; never a crash.

- Nesting is bounded: ``json.loads`` recurses once per level and ``[[[…]]]`` 10,000 deep raises
  RecursionError, and a document just under the interpreter's limit would raise it later, on the way
  into the database. No platform nests its payloads more than a dozen levels.
- NaN and ±Infinity are not JSON (RFC 8259), and PostgreSQL's jsonb refuses them.
- Strings lose NUL characters and get U+FFFD for lone surrogates (``"\\ud800"``): PostgreSQL cannot
  store either, and neither means anything in a message.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyError(ValueError):
    """The body is not a JSON document a platform would send; the message says why."""


def load_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")  # JSON on the wire is UTF-8; a BOM may be ignored (RFC 8259 §8.1)
    except UnicodeDecodeError as exc:
        raise BodyError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise BodyError(f"body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, and int() refusing 4,300 digits or more
        raise BodyError(f"body is not JSON: {exc}") from None
    return check_document(document)


def check_document(document: Any, *, max_depth: int = MAX_DEPTH, strict: bool = False) -> Any:
    """The document with its strings cleaned, or BodyError if it is too deep or holds NaN or Infinity
    (``json.loads`` reads ``NaN``, ``Infinity`` and ``1e999`` without complaint). ``strict``: a string
    with NUL or a lone surrogate is refused too, for a caller that can be told (the REST channel)."""
    return _Checker(max_depth, strict).check(document, 0)


def clean_text(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text


class _Checker:
    def __init__(self, max_depth: int, strict: bool) -> None:
        self.max_depth, self.strict = max_depth, strict

    def check(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise BodyError(f"body is not JSON: {value} is not a JSON number")
        if not isinstance(value, list | dict):
            return value
        if depth >= self.max_depth:
            raise BodyError(f"body is nested deeper than {self.max_depth} levels")
        if isinstance(value, list):
            return [self.check(item, depth + 1) for item in value]
        return {self.text(key): self.check(item, depth + 1) for key, item in value.items()}

    def text(self, text: str) -> str:
        cleaned = clean_text(text)
        if self.strict and cleaned != text:
            raise BodyError("text must not contain NUL characters or lone surrogates (\\ud800-\\udfff)")
        return cleaned
