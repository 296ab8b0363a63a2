"""The shop's orders: upsert from the shop's feed, read back with items and shipment (DESIGN §8)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import identity as identities
from bot.services.order_data import CustomerIn, ItemIn, OrderIn, ShipmentIn
from bot.storage.models import (
    Customer,
    Identity,
    IdentityKind,
    Order,
    OrderItem,
    OrderStatus,
    ReturnRequest,
    Shipment,
    ShipmentEvent,
    VerificationMethod,
    WarrantyClaim,
)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    order: Order
    created: bool
    previous_status: OrderStatus | None


def detail_options() -> tuple[Any, ...]:
    """Loader options that bring an order's items, shipment and shipment events in the same query round."""
    return (
        selectinload(Order.items),
        selectinload(Order.shipment).selectinload(Shipment.events),
    )


async def get_order(session: AsyncSession, number: str) -> Order | None:
    return await session.scalar(select(Order).where(Order.number == number).options(*detail_options()))


async def upsert_order(session: AsyncSession, *, number: str, data: OrderIn) -> UpsertResult:
    """Create or replace the order ``number`` as the shop describes it. Sending the same body twice
    changes nothing the second time."""
    customer_id = await match_customer(session, data.customer)
    with session.no_autoflush:  # one flush at the end instead of one before every query
        return await _apply(session, number, data, customer_id)


async def _apply(session: AsyncSession, number: str, data: OrderIn, customer_id: int) -> UpsertResult:
    order = await get_order(session, number)
    created = order is None
    previous = None if order is None else OrderStatus(order.status)
    if order is None:
        order = Order(number=number, items=[], shipment=None)
        session.add(order)
    order.customer_id = customer_id
    order.status = data.status
    order.placed_at = data.placed_at
    order.total = data.total
    await _sync_items(session, order, data.items)
    _sync_shipment(order, data.shipment)
    await session.flush()
    return UpsertResult(order=order, created=created, previous_status=previous)


async def match_customer(session: AsyncSession, data: CustomerIn) -> int:
    """The customer an order belongs to: by shop account, then verified phone, then verified email;
    a new customer when none matches. The shop's facts become verified identities of that customer."""
    keys: list[tuple[str, str]] = [
        (kind, value)
        for kind, value in (
            (IdentityKind.SHOP, data.external_id),
            (IdentityKind.PHONE, data.phone),
            (IdentityKind.EMAIL, data.email),
        )
        if value
    ]
    known = await identities.find_identities(session, keys)
    customer: Customer | None = None
    for key in keys:
        found = known.get(key)
        if found is not None and found.verified:
            customer = await identities.access_customer(session, found.customer_id)
            break
    if customer is None:
        customer = await _create_customer(session, data, keys, known)
    if customer.name != data.name:
        customer.name = data.name
    if customer.phone is None and data.phone:
        customer.phone = data.phone
    if customer.email is None and data.email:
        customer.email = data.email
    for kind, value in keys:
        existing = known.get((kind, value))
        if existing is None or existing.customer_id != customer.id or not existing.verified:
            await identities.claim_identity(
                session,
                existing,
                customer_id=customer.id,
                channel=kind,
                external_id=value,
                method=VerificationMethod.SHOP_DATA,
            )
    return customer.id


async def _create_customer(
    session: AsyncSession,
    data: CustomerIn,
    keys: list[tuple[str, str]],
    known: dict[tuple[str, str], Identity],
) -> Customer:
    customer = Customer(name=data.name, phone=data.phone, email=data.email)
    session.add(customer)
    await session.flush()
    if not keys:
        return customer
    kind, value = keys[0]
    claimed = await identities.insert_identity(
        session, customer_id=customer.id, channel=kind, external_id=value, method=VerificationMethod.SHOP_DATA
    )
    if claimed is not None:
        known[keys[0]] = claimed
        return customer
    # A concurrent request created this customer first: use theirs, drop ours.
    winner = await identities.find_identity(session, channel=kind, external_id=value)
    assert winner is not None
    known[keys[0]] = winner
    await session.delete(customer)
    found = await identities.access_customer(session, winner.customer_id)
    assert found is not None
    return found


async def _sync_items(session: AsyncSession, order: Order, items: list[ItemIn]) -> None:
    """Update items in place, matched by SKU and occurrence, so returns and warranty claims that point
    at an item keep pointing at it."""
    existing: dict[tuple[str, int], OrderItem] = {}
    seen: Counter[str] = Counter()
    for item in order.items:
        existing[(item.sku, seen[item.sku])] = item
        seen[item.sku] += 1
    seen.clear()
    kept: list[OrderItem] = []
    for position, data in enumerate(items):
        key = (data.sku, seen[data.sku])
        seen[data.sku] += 1
        item = existing.pop(key, None) or OrderItem(sku=data.sku)
        item.position = position
        item.title, item.quantity, item.unit_price = data.title, data.quantity, data.unit_price
        item.serial_number, item.warranty_months = data.serial_number, data.warranty_months
        item.category = data.category
        kept.append(item)
    referenced = await _referenced_item_ids(session, [i.id for i in existing.values() if i.id is not None])
    for item in existing.values():
        if item.id in referenced:  # the shop dropped it, but a customer's request still points at it
            item.position = len(kept)
            kept.append(item)
    order.items = kept


async def _referenced_item_ids(session: AsyncSession, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    returns = await session.scalars(
        select(ReturnRequest.order_item_id).where(ReturnRequest.order_item_id.in_(ids))
    )
    claims = await session.scalars(
        select(WarrantyClaim.order_item_id).where(WarrantyClaim.order_item_id.in_(ids))
    )
    return set(returns) | set(claims)


def _sync_shipment(order: Order, data: ShipmentIn | None) -> None:
    if data is None:
        order.shipment = None
        return
    shipment = order.shipment or Shipment(events=[])
    shipment.carrier, shipment.tracking_code = data.carrier, data.tracking_code
    shipment.status, shipment.expected_at = data.status, data.expected_at
    current = {(event.at, event.status): event for event in shipment.events}
    events: dict[tuple[datetime, str], ShipmentEvent] = {}
    for event_data in data.events:  # the same (time, status) twice is one event: the last description wins
        key = (event_data.at, event_data.status)
        event = events.get(key) or current.get(key) or ShipmentEvent(at=key[0], status=key[1])
        event.description = event_data.description
        events[key] = event
    shipment.events = sorted(events.values(), key=lambda e: e.at)
    order.shipment = shipment
