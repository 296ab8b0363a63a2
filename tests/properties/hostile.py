"""Hostile request bodies for webhook fuzzing: real envelopes with mutated fields, wrong types, deep
nesting, huge arrays and numbers, NaN, NUL, lone surrogates, RTL marks, invalid UTF-8 and non-JSON.

Structures too big or too deep for ``json.dumps`` (10,000 levels, 5,000-digit integers) are drawn as
small placeholders and spliced into the encoded bytes afterwards.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
_PLACEHOLDER = re.compile(rb'"\\u0001([a-z-]+):(\d+)\\u0001"')
# Persian text with what trips text handling: ZWNJ, RTL/LTR marks and overrides, Arabic letters, digits
PERSIAN = "سلام سفارش‌ها کجاست؟ ۱۲۳ يك\u200c\u200f\u200e\u202b\u202e\u2066\u061c\u0640"
ODD = "\x00\x01\x7f\ufeff\ufffe\U0001f600\\\"'<>&%{}"


def envelopes(channel: str, name: str = "*") -> list[dict[str, Any]]:
    """The captured-shape payloads of a channel, parsed (the ``*.expected.json`` files are answers)."""
    found = (PAYLOADS / channel).glob(f"{name}.json")
    files = sorted(p for p in found if not p.name.endswith(".expected.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


def placeholder(kind: str, size: int) -> str:
    return f"\x01{kind}:{size}\x01"


def _expand(match: re.Match[bytes]) -> bytes:
    kind, size = match.group(1).decode(), int(match.group(2))
    if kind == "deep-list":
        return b"[" * size + b"]" * size
    if kind == "deep-object":
        return b'{"a":' * size + b"null" + b"}" * size
    if kind == "big-int":
        return b"9" * size  # past 4,300 digits Python's int() refuses it
    if kind == "huge-array":
        return b"[" + b",".join([b'{"id":1}'] * size) + b"]"
    if kind == "long-text":
        return b'"' + "ک".encode() * size + b'"'
    raise AssertionError(kind)


def encode(document: Any, *, ascii_only: bool) -> bytes:
    raw = json.dumps(document, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")
    return _PLACEHOLDER.sub(_expand, raw)


text = st.text(alphabet=st.sampled_from(PERSIAN + ODD) | st.characters(), max_size=30)
surrogates = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3)
monsters = st.sampled_from(
    [
        placeholder("deep-list", 10_000),
        placeholder("deep-list", 5_000),  # 10 KB: inside the widget socket's 16 KiB frame limit
        placeholder("deep-list", 990),  # just under the interpreter's recursion limit
        placeholder("deep-list", 200),
        placeholder("deep-object", 10_000),
        placeholder("deep-object", 500),
        placeholder("big-int", 5_000),
        placeholder("huge-array", 5_000),
        placeholder("long-text", 20_000),
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**40]),
    st.floats(),  # NaN and ±Infinity included
    text,
    text,
    text,
    surrogates,
    st.sampled_from(["", " ", "\x00", "۱۲۳۴", "\u200c", "/start", "~1.0", "~99999999999999999999.0"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
# values that look almost right to a parser expecting an id, a text or an object
confusing = st.sampled_from(
    [None, True, 0, -1, 1.5, 2**63, 10**20, 10**300, float("nan"), "", "1111111", "a\x00b", "x" * 256]
)
confusing_or_empty = confusing | st.sampled_from([[], {}, [{}], {"id": None}])
# for a leaf that is a number or a text: the same type at its extremes, or a near miss of another type
odd_numbers = st.sampled_from(
    [10**20, 10**300, 2**63, -(2**63) - 1, -1, 0, 1.5, float("nan"), True, "1111111"]
)
odd_texts = st.sampled_from(["x" * 256, "a\x00b", "\ud800", "", " ", "\u200f\u202e", 1111111, None, ["x"]])
ID_KEYS = ("update_id", "message_id", "mid")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@st.composite
def mutated(draw: st.DrawFn, bases: list[dict[str, Any]]) -> Any:
    """A real envelope with fresh ids (so it is not a redelivery) and one to three fields retyped,
    replaced, removed or added."""
    document: Any = copy.deepcopy(draw(st.sampled_from(bases)))
    _freshen(document, draw(st.integers(1, 2**40)))
    for _ in range(draw(st.integers(1, 3))):
        # hypothesis draws small numbers most, so the likeliest action comes first: a field of the right
        # place and the wrong type or size leaves the rest valid, and the parser goes on past it
        action = draw(st.integers(0, 99))
        paths = _paths(document)
        leaves = [p for p in paths if p and not isinstance(_at(document, p), dict | list)]
        path = draw(st.sampled_from(leaves if action < 50 and leaves else paths))
        pool = _odd(_at(document, path)) if action < 50 else monsters if action >= 95 else values
        # a copy: sampled_from hands out the same list or dict each time, and later actions change it
        replacement = copy.deepcopy(draw(pool if action % 4 else confusing_or_empty))
        if not path:
            document = document if action < 97 else replacement  # rarely: the whole body
            continue
        parent, key = _at(document, path[:-1]), path[-1]
        if 50 <= action < 65:
            del parent[key]
        elif 65 <= action < 80 and isinstance(parent, dict):
            parent[draw(text)] = replacement
        elif 65 <= action < 80:
            parent.append(replacement)
        else:
            parent[key] = replacement
    return document


def _odd(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return odd_numbers
    return odd_texts if isinstance(value, str) else confusing


def _freshen(node: Any, number: int) -> None:
    if isinstance(node, list):
        for item in node:
            _freshen(item, number)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ID_KEYS or (key == "id" and "chat_instance" in node):  # a callback query's id
                node[key] = number if isinstance(value, int) else f"{value}-{number}"
            else:
                _freshen(value, number)


@st.composite
def damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """The encoded bytes, now and then broken below the JSON level."""
    where = draw(st.integers(0, len(raw)))
    damage = draw(st.sampled_from(["none"] * 12 + ["bytes", "truncate", "bom", "garbage"]))
    if damage == "bytes":
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe2\x82", b"\x80", b"\x00"]))
        return raw[:where] + bad + raw[where:]
    if damage == "truncate":
        return raw[:where]
    if damage == "bom":
        return b"\xef\xbb\xbf" + raw
    if damage == "garbage":
        return raw + draw(st.binary(min_size=1, max_size=8))
    return raw


@st.composite
def bodies(draw: st.DrawFn, bases: list[dict[str, Any]]) -> bytes:
    """Mostly mutated real envelopes (so parsing gets deep), sometimes anything at all."""
    kind = draw(st.integers(0, 19))
    if kind == 18:
        return draw(
            st.sampled_from(
                [b"", b" ", b"null", b"1", b'"x"', b"true", b"NaN", b"-Infinity", b"1e999", b"[]", b"{}"]
            )
        )
    if kind == 19:
        return draw(st.binary(max_size=64))
    document = draw(mutated(bases)) if kind < 17 else draw(values)
    return draw(damaged(encode(document, ascii_only=draw(st.booleans()))))
