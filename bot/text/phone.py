"""Phone numbers as Iranians write them, normalised to one stored form (DESIGN §4).

Iranian mobiles are stored as ``09xxxxxxxxx``; other international numbers as E.164 (``+<digits>``).
"""

from __future__ import annotations

import re

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# Separators people put inside numbers: spaces (incl. NBSP, ZWNJ), dashes, dots, brackets, slashes.
_SEPARATORS = re.compile(r"[\s\u200c\u200f\u200e\-‐‑–—.()/]")


class InvalidPhone(ValueError):
    """The text is not a phone number we can store; ``str(exc)`` says why, in English, for APIs."""


def normalize_phone(raw: str) -> str:
    """Return ``09xxxxxxxxx`` for an Iranian mobile, ``+<digits>`` for another country, or raise.

    Accepts ``+98 912 123 4567``, ``0098-912-1234567``, ``98912…``, ``912…``, ``۰۹۱۲…`` and ``٠٩١٢…``.
    """
    if not isinstance(raw, str):
        raise InvalidPhone("phone must be a string")
    text = _SEPARATORS.sub("", raw.strip().translate(_DIGITS))
    if not text:
        raise InvalidPhone("phone is empty")
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isascii() or not digits.isdigit():
        raise InvalidPhone("phone may contain only digits, spaces, dashes and a leading +")
    if digits.startswith("00"):
        digits, plus = digits[2:], True
    if digits.startswith("98") and (plus or len(digits) == 12):
        national = digits[2:]
    elif plus:
        if not 8 <= len(digits) <= 15:
            raise InvalidPhone("international phone must have 8 to 15 digits")
        return "+" + digits
    else:
        national = digits[1:] if digits.startswith("0") else digits
    national = national.removeprefix("0")
    if len(national) != 10:
        raise InvalidPhone("Iranian mobile must have 10 digits after 0 (09xxxxxxxxx)")
    if not national.startswith("9"):
        raise InvalidPhone("only mobile numbers (starting 09) can be used")
    return "0" + national


def is_phone(raw: str) -> bool:
    try:
        normalize_phone(raw)
    except InvalidPhone:
        return False
    return True
