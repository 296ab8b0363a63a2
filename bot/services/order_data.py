"""The shop's order contract (DESIGN §8): what ``PUT /api/v1/orders/{number}`` and ``orders import`` accept.

Unknown fields, wrong types and impossible values are refused with the field named; nothing is coerced
silently except digits and phones, which are normalised the way Iranians write them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
)

from bot.storage.models import OrderStatus
from bot.text.phone import InvalidPhone, normalize_phone

TEHRAN = ZoneInfo("Asia/Tehran")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
ORDER_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Toman = Annotated[StrictInt, Field(ge=0, le=10**13)]


class OrderNumberError(ValueError):
    pass


def normalize_order_number(raw: str) -> str:
    """ASCII digits, no ``#``; raises OrderNumberError for anything that is not an order number."""
    number = raw.strip().translate(_DIGITS).removeprefix("#")
    if not ORDER_NUMBER.match(number):
        raise OrderNumberError("order number must be 1-32 letters, digits, '-' or '_'")
    return number


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_phone(value)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from None


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if len(value) > 254 or not EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _iso_text(value: object) -> object:
    """Times are ISO 8601 text; a bare number is refused rather than guessed as seconds or milliseconds."""
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date-time string, e.g. 2026-11-01T10:30:00+03:30")
    return value


def _aware(value: datetime) -> datetime:
    """Shops often send local times without an offset: read those as Tehran time."""
    return value.replace(tzinfo=TEHRAN) if value.tzinfo is None else value


AwareDatetime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_aware)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerIn(_Strict):
    external_id: ShortText | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    phone: Annotated[str | None, AfterValidator(_phone)] = None
    email: Annotated[str | None, AfterValidator(_email)] = None


class ItemIn(_Strict):
    sku: ShortText
    title: Text
    quantity: Annotated[StrictInt, Field(ge=1, le=10_000)]
    unit_price: Toman
    serial_number: ShortText | None = None
    warranty_months: Annotated[StrictInt, Field(ge=0, le=240)] | None = None
    category: ShortText | None = None

    @field_validator("serial_number")
    @classmethod
    def _upper_serial(cls, value: str | None) -> str | None:
        return value.translate(_DIGITS).upper() if value else value


class ShipmentEventIn(_Strict):
    at: AwareDatetime
    status: ShortText
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class ShipmentIn(_Strict):
    carrier: ShortText
    tracking_code: ShortText | None = None
    status: ShortText
    expected_at: AwareDatetime | None = None
    events: Annotated[list[ShipmentEventIn], Field(max_length=500)] = []


class OrderIn(_Strict):
    customer: CustomerIn
    status: OrderStatus
    placed_at: AwareDatetime
    total: Toman
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=500)]
    shipment: ShipmentIn | None = None


class OrderLine(OrderIn):
    """One line of ``orders import``: the PUT body plus its number."""

    number: Annotated[str, AfterValidator(lambda v: _check_number(v))]


def _check_number(value: str) -> str:
    try:
        return normalize_order_number(value)
    except OrderNumberError as exc:
        raise ValueError(str(exc)) from None
