from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.text.jalali import format_date, format_datetime
from bot.text.money import format_number, format_rials_as_toman, format_toman, rials_to_toman


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 24), "۳ آذر ۱۴۰۵"),
        (date(2026, 3, 21), "۱ فروردین ۱۴۰۵"),  # Nowruz
        (date(2026, 3, 20), "۲۹ اسفند ۱۴۰۴"),
        (date(2025, 12, 21), "۳۰ آذر ۱۴۰۴"),
    ],
)
def test_dates_are_jalali_with_persian_month_names_and_digits(day, expected):
    assert format_date(day) == expected


def test_weekday_is_the_iranian_name():
    assert format_date(date(2026, 11, 24), weekday=True) == "سه‌شنبه ۳ آذر ۱۴۰۵"


def test_aware_datetimes_are_shown_in_iran_time():
    # 22:00 UTC is 01:30 the next day in Tehran (UTC+3:30): the date changes too.
    assert format_datetime(datetime(2026, 11, 23, 22, 0, tzinfo=UTC)) == "۳ آذر ۱۴۰۵، ساعت ۰۱:۳۰"


def test_naive_datetimes_are_taken_as_local():
    assert format_datetime(datetime(2026, 11, 24, 9, 5)) == "۳ آذر ۱۴۰۵، ساعت ۰۹:۰۵"


@pytest.mark.parametrize(
    ("toman", "expected"),
    [(1_250_000, "۱٬۲۵۰٬۰۰۰ تومان"), (0, "۰ تومان"), (999, "۹۹۹ تومان"), (Decimal("1500.5"), "۱٬۵۰۱ تومان")],
)
def test_toman_amounts_have_persian_separators(toman, expected):
    assert format_toman(toman) == expected


def test_rials_are_divided_by_ten_and_rounded_half_up():
    assert rials_to_toman(12_345) == 1_235
    assert format_rials_as_toman(12_500_000) == "۱٬۲۵۰٬۰۰۰ تومان"


def test_negative_amounts_keep_their_sign():
    assert format_number(-5000) == "-۵٬۰۰۰"


@pytest.mark.parametrize("bad", [1.5, "1000", None, True])
def test_money_refuses_floats_and_strings(bad):
    with pytest.raises(TypeError):
        format_toman(bad)
