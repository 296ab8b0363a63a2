"""Pattern entities found before tokenising (DESIGN §5.2): order numbers, phones, emails, serials, amounts.

They are matched on the normalised copy (ASCII digits, lower-case Latin), because hazm's tokeniser and
default normaliser split emails, phones and decimals; ``start``/``end`` are mapped back to the original
text. Values are normalised: ``order_id`` → ASCII digits, ``phone`` → ``09xxxxxxxxx``
(:func:`bot.text.phone.normalize_phone`), ``email`` → lower case, ``serial_number`` → upper case,
``amount`` → an ``int`` in Toman (Rials divided by 10).

Overlaps are resolved by priority, first match wins: email, link, phone, serial number, amount, order
number. Links are matched only to keep their digits from becoming order numbers; they are not entities.
So a phone is never also an order id, digits inside an email or a serial are never an order id, and a
price (``1250000 تومان``) is an amount, not an order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.text.normalize import NormalizedText, normalize
from bot.text.phone import InvalidPhone, normalize_phone

EXTRACTOR = "PatternEntityExtractor"
PATTERN_ENTITIES = ("order_id", "phone", "email", "serial_number", "amount")

_EMAIL = re.compile(
    r"(?<![a-z0-9._%+\-])[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}(?![a-z0-9\-])"
)
_LINK = re.compile(
    r"(?:https?://|www\.)\S+|(?<![a-z0-9@.\-])[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,6}(?:/\S*)?"
)
# Iranian mobiles as people write them: 0912…, 912…, +98 912…, 0098-912-…, (0912) 123 45 67.
_PHONE = re.compile(r"(?<![\da-z+])(?:(?:\+|00) ?98[ \-]?|98[ \-]?)?\(?0?9\d\d\)?(?:[ .\-]?\d){7}(?![\da-z])")
# 6–20 letters and digits with at least one of each; single hyphens may join groups (SN-4821-KX).
_SERIAL = re.compile(
    r"(?<![a-z0-9@._+/\-])(?=[a-z0-9\-]*[a-z])(?=[a-z0-9\-]*\d)[a-z0-9]+(?:-[a-z0-9]+)*(?![a-z0-9@_/\-]|\.[a-z0-9])"
)
_SERIAL_LENGTH = range(6, 21)
_MULTIPLIERS = {"هزار": 1_000, "میلیون": 1_000_000, "ملیون": 1_000_000, "میلیارد": 1_000_000_000}
_AMOUNT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))? ?(?:(هزار|میلیون|ملیون|میلیارد) ?)?"
    r"(تومان|تومن|ریال|toman|tomans|rial|rials)?(?![\w])"
)
_ORDER_ID = re.compile(r"(?<![\da-z@._/+\-#])#?(\d{5,9})(?![\da-z@]|[.,]\d)")
_ANY_PATTERN_CHAR = re.compile(r"[\d@.]")


@dataclass(frozen=True, slots=True)
class PatternMatch:
    """An entity found in the normalised text; ``start``/``end`` index the normalised copy."""

    entity: str | None  # None for spans that only block others (links)
    value: Any
    start: int
    end: int


def _emails(text: str) -> list[PatternMatch]:
    return [PatternMatch("email", m.group(), m.start(), m.end()) for m in _EMAIL.finditer(text)]


def _links(text: str) -> list[PatternMatch]:
    return [PatternMatch(None, None, m.start(), m.end()) for m in _LINK.finditer(text)]


def _phones(text: str) -> list[PatternMatch]:
    found = []
    for match in _PHONE.finditer(text):
        try:
            value = normalize_phone(match.group())
        except InvalidPhone:
            continue
        found.append(PatternMatch("phone", value, match.start(), match.end()))
    return found


def _serials(text: str) -> list[PatternMatch]:
    found = []
    for match in _SERIAL.finditer(text):
        if len(match.group().replace("-", "")) in _SERIAL_LENGTH:
            found.append(PatternMatch("serial_number", match.group().upper(), match.start(), match.end()))
    return found


def _amounts(text: str) -> list[PatternMatch]:
    found = []
    for match in _AMOUNT.finditer(text):
        number, fraction, multiplier, unit = match.groups()
        if not multiplier and not unit:
            continue  # a bare number is not a price
        value = _amount_in_toman(number, fraction, multiplier, unit)
        if value is not None:
            found.append(PatternMatch("amount", value, match.start(), match.end()))
    return found


def _amount_in_toman(
    number: str, fraction: str | None, multiplier: str | None, unit: str | None
) -> int | None:
    try:
        amount = Decimal(number.replace(",", "") + (f".{fraction}" if fraction else ""))
    except InvalidOperation:
        return None
    amount *= _MULTIPLIERS.get(multiplier or "", 1)
    if unit and unit.startswith(("ریال", "rial")):
        amount /= 10
    return int(amount.to_integral_value())


def _order_ids(text: str) -> list[PatternMatch]:
    # The span includes a leading "#" (as annotated in the data: [#12345](order_id)); the value is digits.
    return [PatternMatch("order_id", m.group(1), m.start(), m.end()) for m in _ORDER_ID.finditer(text)]


# Priority order: earlier finders win overlaps.
_FINDERS: tuple[Callable[[str], list[PatternMatch]], ...] = (
    _emails,
    _links,
    _phones,
    _serials,
    _amounts,
    _order_ids,
)


def find_pattern_entities(normalized: NormalizedText) -> list[PatternMatch]:
    """Non-overlapping pattern entities of the normalised text, in text order (links excluded)."""
    text = normalized.text
    if not _ANY_PATTERN_CHAR.search(text):
        return []  # every pattern needs a digit, an @ or a dot: skip the regexes for plain chat
    accepted: list[PatternMatch] = []
    for finder in _FINDERS:
        for match in finder(text):
            if not any(match.start < other.end and other.start < match.end for other in accepted):
                accepted.append(match)
    return sorted((m for m in accepted if m.entity), key=lambda m: m.start)


def to_rasa_entity(
    normalized: NormalizedText, match: PatternMatch, extractor: str = EXTRACTOR
) -> dict[str, Any]:
    """The Rasa-shaped entity dict, with ``start``/``end`` in the original text."""
    start, end = normalized.original_span(match.start, match.end)
    return {
        "entity": match.entity,
        "value": match.value,
        "start": start,
        "end": end,
        "confidence": 1.0,
        "extractor": extractor,
    }


def extract_entities(text: str) -> list[dict[str, Any]]:
    """Pattern entities of a raw message, Rasa-shaped, offsets into ``text``."""
    normalized = normalize(text)
    return [to_rasa_entity(normalized, m) for m in find_pattern_entities(normalized)]
