import sys
import unicodedata

import pytest

from bot.text.digits import ascii_digit_table, to_ascii_digits, to_persian_digits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),  # Persian
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic
        ("０１２３４５６７８９", "0123456789"),  # full-width
        ("०१२३४५६७८९", "0123456789"),  # Devanagari
        ("۱2٣4۵", "12345"),  # mixed in one number
        ("سفارش ۱۲۳ abc", "سفارش 123 abc"),  # other characters untouched
    ],
)
def test_every_digit_script_becomes_ascii(raw, expected):
    assert to_ascii_digits(raw) == expected


def test_the_digit_table_covers_every_unicode_decimal_digit():
    expected = {
        code: str(unicodedata.digit(chr(code)))
        for code in range(0x80, sys.maxunicode + 1)
        if unicodedata.category(chr(code)) == "Nd"
    }
    assert ascii_digit_table() == expected


@pytest.mark.parametrize(("raw", "expected"), [(1250, "۱۲۵۰"), ("ساعت 14:05", "ساعت ۱۴:۰۵"), ("٣٤", "۳۴")])
def test_replies_use_persian_digits(raw, expected):
    assert to_persian_digits(raw) == expected
