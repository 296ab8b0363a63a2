"""Response shapes of the JSON API. Input shapes of the shop contract live in bot.services.order_data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

# Every time leaves the API in UTC, whatever offset it arrived with.
UtcTime = Annotated[datetime, AfterValidator(lambda value: value.astimezone(UTC))]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ItemOut(_Out):
    id: int
    sku: str
    title: str
    category: str | None
    quantity: int
    unit_price: int
    serial_number: str | None
    warranty_months: int | None


class ShipmentEventOut(_Out):
    at: UtcTime
    status: str
    description: str | None


class ShipmentOut(_Out):
    carrier: str
    tracking_code: str | None
    status: str
    expected_at: UtcTime | None
    events: list[ShipmentEventOut]


class OrderOut(_Out):
    number: str
    customer_id: int
    status: str
    placed_at: UtcTime
    total: int
    items: list[ItemOut]
    shipment: ShipmentOut | None
    created_at: UtcTime
    updated_at: UtcTime


class IdentityOut(_Out):
    id: int
    channel: str
    external_id: str
    display_name: str | None
    verified: bool
    method: str | None
    verified_at: UtcTime | None
    reachable: bool
    last_seen_at: UtcTime | None


class CustomerOut(_Out):
    id: int
    name: str | None
    phone: str | None
    email: str | None
    loyalty_card: str | None
    language: str
    preferred_channel: str | None
    created_at: UtcTime
    erased_at: UtcTime | None
    identities: list[IdentityOut]
    orders: list[OrderOut]


class TimelineMessageOut(BaseModel):
    id: int
    conversation_id: int
    channel: str
    direction: str
    sender: str
    agent_id: int | None = None
    text: str | None
    payload: dict[str, Any] | None
    intent: str | None
    confidence: float | None
    delivery_status: str
    delivery_error: str | None
    created_at: UtcTime


class TimelineOut(BaseModel):
    customer_id: int
    messages: list[TimelineMessageOut]
