"""Dates for replies: the Jalali (Solar Hijri) calendar, Persian month names and Persian digits.

``format_date(date(2026, 11, 24))`` → ``"۳ آذر ۱۴۰۵"``;
``format_datetime(datetime(2026, 11, 24, 14, 5, tzinfo=UTC))`` → ``"۳ آذر ۱۴۰۵، ساعت ۱۷:۳۵"``.
Aware datetimes are shown in Iran time (Asia/Tehran); naive ones are taken as already local.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime

from bot.text.digits import to_persian_digits

IRAN = ZoneInfo("Asia/Tehran")
MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
# jdatetime numbers weekdays from Saturday (0) like the Iranian week.
WEEKDAYS = ("شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه")


def to_jalali(value: date | datetime) -> jdatetime.date:
    """The Jalali date of ``value`` (a datetime is first moved to Iran time when it is aware)."""
    if isinstance(value, datetime):
        value = _in_iran(value).date()
    return jdatetime.date.fromgregorian(date=value)


def format_date(value: date | datetime, *, weekday: bool = False) -> str:
    """``"۳ آذر ۱۴۰۵"``, or ``"دوشنبه ۳ آذر ۱۴۰۵"`` with ``weekday=True``."""
    jalali = to_jalali(value)
    text = f"{jalali.day} {MONTHS[jalali.month - 1]} {jalali.year}"
    if weekday:
        text = f"{WEEKDAYS[jalali.weekday()]} {text}"
    return to_persian_digits(text)


def format_datetime(value: datetime, *, weekday: bool = False) -> str:
    """``"۳ آذر ۱۴۰۵، ساعت ۱۷:۳۵"`` (24-hour clock, Iran time for aware datetimes)."""
    local = _in_iran(value)
    return f"{format_date(local, weekday=weekday)}، ساعت {to_persian_digits(f'{local:%H:%M}')}"


def _in_iran(value: datetime) -> datetime:
    return value.astimezone(IRAN) if value.tzinfo is not None else value
