"""Amounts for replies: Toman, Persian digits, Persian thousands separator (``۱٬۲۵۰٬۰۰۰ تومان``).

Shop data (orders, prices, refunds) is in **Toman**, so :func:`format_toman` takes Toman. Payment
gateways and bank slips speak **Rials** (1 Toman = 10 Rials): convert with :func:`rials_to_toman` or
call :func:`format_rials_as_toman`. Fractions of a Toman are rounded half-up to a whole Toman.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bot.text.digits import to_persian_digits

THOUSANDS_SEPARATOR = "٬"  # U+066C ARABIC THOUSANDS SEPARATOR, what Persian typography uses
TOMAN = "تومان"


def rials_to_toman(rials: int | Decimal) -> int:
    """Rials → whole Toman, rounded half-up (``12_345`` Rials → ``1_235`` Toman)."""
    return _whole(_decimal(rials) / 10)


def format_number(value: int | Decimal) -> str:
    """A whole number with Persian digits and separators: ``1250000`` → ``"۱٬۲۵۰٬۰۰۰"``."""
    whole = _whole(_decimal(value))
    grouped = f"{abs(whole):,}".replace(",", THOUSANDS_SEPARATOR)
    return ("-" if whole < 0 else "") + to_persian_digits(grouped)


def format_toman(toman: int | Decimal) -> str:
    """An amount given in Toman: ``1250000`` → ``"۱٬۲۵۰٬۰۰۰ تومان"``."""
    return f"{format_number(toman)} {TOMAN}"


def format_rials_as_toman(rials: int | Decimal) -> str:
    """An amount given in Rials, shown in Toman: ``12500000`` → ``"۱٬۲۵۰٬۰۰۰ تومان"``."""
    return format_toman(rials_to_toman(rials))


def _decimal(value: int | Decimal) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"money must be an int or a Decimal, not {type(value).__name__}")
    return Decimal(value)


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
