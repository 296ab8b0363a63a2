"""Digits in every script Iranians type, folded to ASCII for matching and to Persian for replies.

Customers mix Persian (۰–۹), Arabic-Indic (٠–٩, the default on many Arabic keyboards) and ASCII digits,
sometimes inside one number. Matching works on ASCII; replies show Persian digits.
"""

from __future__ import annotations

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ASCII_DIGITS = "0123456789"

# The digit zero of every Unicode decimal-digit run (category Nd, Unicode 14) outside ASCII; each run is
# zero..nine on consecutive code points. Hard-coded because scanning all of Unicode at import costs
# 0.1 s; tests/text/test_digits.py checks the list against unicodedata.
_NONASCII_ZEROS = (
    0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50,
    0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0,
    0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30,
    0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
    0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC,
    0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
)  # fmt: skip

_TO_ASCII = {zero + value: str(value) for zero in _NONASCII_ZEROS for value in range(10)}
_TO_PERSIAN = str.maketrans(ASCII_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)


def ascii_digit_table() -> dict[int, str]:
    """A copy of the translation table used by :func:`to_ascii_digits` (the normaliser merges it)."""
    return dict(_TO_ASCII)


def to_ascii_digits(text: str) -> str:
    """Replace every decimal digit of any script with its ASCII digit; other characters are kept."""
    return text.translate(_TO_ASCII)


def to_persian_digits(text: str | int) -> str:
    """Replace ASCII and Arabic-Indic digits with Persian ones (for replies); accepts an int too."""
    return str(text).translate(_TO_PERSIAN)
