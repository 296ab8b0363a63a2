"""Tokens of the normalised text, with offsets, and the canonical word forms the features use.

Splitting follows hazm's ``WordTokenizer`` (whitespace, punctuation, digit runs such as ``12.5`` or
``14:30`` kept whole) and, unlike it, also separates every other symbol and emoji so ``سلام,خوبی`` is two
words. hazm's verb-part joining (``خواهم رفت`` → ``خواهم_رفت``) is left to word bigrams.

The canonical form makes the three ways Persian writers attach prefixes and suffixes look the same:
joined (``میخوام``), ZWNJ (``می‌خوام``) and spaced (``می خوام``) all become ``میخوام``; likewise
``سفارش‌ها`` / ``سفارش ها`` / ``سفارشها`` and ``خریده‌ام`` / ``خریده ام``. Removing the ZWNJ (rather
than inserting one) is the only direction that needs no dictionary: ``میز`` must not become ``می‌ز``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\d+(?:[.:/]\d+)*|[^\W\d_]+(?:\u200c[^\W\d_]+)*|\S")
_PERSIAN_WORD = re.compile(r"[\u0600-\u06ff\u200c]+")
PREFIXES = frozenset({"می", "نمی"})
SUFFIXES = frozenset(
    {
        "ها",
        "های",
        "هایی",
        "هام",
        "هات",
        "هاش",
        "هامون",
        "هاتون",
        "هاشون",
        "هامو",
        "ام",
        "ایم",
        "اید",
        "اند",
        "ترین",
    }
)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # canonical form
    start: int  # offsets into the normalised text
    end: int


def tokenize(text: str) -> list[Token]:
    """Tokens of an already normalised text, affixes joined, in canonical form."""
    raw = [Token(m.group().replace("\u200c", ""), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    return _join_affixes(raw)


def _join_affixes(tokens: list[Token]) -> list[Token]:
    joined: list[Token] = []
    for token in tokens:
        previous = joined[-1] if joined else None
        if previous is not None and _attaches(previous, token):
            joined[-1] = Token(previous.text + token.text, previous.start, token.end)
        else:
            joined.append(token)
    return joined


def _attaches(previous: Token, token: Token) -> bool:
    if not (_PERSIAN_WORD.fullmatch(previous.text) and _PERSIAN_WORD.fullmatch(token.text)):
        return False
    return previous.text in PREFIXES or token.text in SUFFIXES


def canonical_words(text: str) -> list[str]:
    """The canonical word forms of a normalised text (for lookup tables and synonyms)."""
    return [t.text for t in tokenize(text)]
