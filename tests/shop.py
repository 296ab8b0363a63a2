"""A shop with known orders, for conversation tests: every flow has an order in the state it needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import orders
from bot.services.order_data import OrderIn
from bot.storage.base import utcnow

SARA_PHONE = "09121234567"
REZA_PHONE = "09351112233"


@dataclass(frozen=True)
class KnownShop:
    sara_id: int
    reza_id: int


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _order(
    customer: dict, status: str, placed: datetime, items: list[dict], shipment: dict | None
) -> OrderIn:
    total = sum(i["quantity"] * i["unit_price"] for i in items)
    return OrderIn.model_validate(
        {
            "customer": customer,
            "status": status,
            "placed_at": _iso(placed),
            "total": total,
            "items": items,
            "shipment": shipment,
        }
    )


async def load_known_shop(session: AsyncSession, now: datetime | None = None) -> KnownShop:
    """Orders of سارا احمدی (1000001 shipped, 1000002 delivered 3 days ago, 1000003 delivered 20 months
    ago, 1000004 paid) and رضا کریمی (2000001 delivered 2 days ago)."""
    now = now or utcnow()
    sara = {
        "external_id": "u-1",
        "name": "سارا احمدی",
        "phone": SARA_PHONE,
        "email": "sara.ahmadi@example.com",
    }
    reza = {"external_id": "u-2", "name": "رضا کریمی", "phone": REZA_PHONE}
    headphones = {
        "sku": "HP-1",
        "title": "هدفون بی‌سیم شیائومی",
        "quantity": 1,
        "unit_price": 1_950_000,
        "serial_number": "XM5K88231",
        "warranty_months": 18,
        "category": "لوازم صوتی",
    }
    shirt = {"sku": "TS-9", "title": "تی‌شرت نخی", "quantity": 2, "unit_price": 350_000, "category": "پوشاک"}
    lipstick = {
        "sku": "LP-3",
        "title": "رژ لب",
        "quantity": 1,
        "unit_price": 420_000,
        "category": "آرایشی و بهداشتی",
    }
    phone_item = {
        "sku": "PH-5",
        "title": "گوشی سامسونگ A55",
        "quantity": 1,
        "unit_price": 24_000_000,
        "serial_number": "R58M41ABC2",
        "warranty_months": 12,
        "category": "موبایل",
    }
    kettle = {
        "sku": "KT-2",
        "title": "کتری برقی",
        "quantity": 1,
        "unit_price": 1_200_000,
        "serial_number": "KT77120QZ",
        "warranty_months": 6,
        "category": "لوازم خانگی",
    }

    def shipment(status: str, shipped: datetime, delivered: datetime | None, code: str) -> dict:
        events = [
            {"at": _iso(shipped), "status": "accepted", "description": "تحویل به شرکت حمل"},
            {
                "at": _iso(shipped + timedelta(hours=20)),
                "status": "in_transit",
                "description": "خروج از مبدا",
            },
        ]
        if delivered:
            events.append({"at": _iso(delivered), "status": "delivered", "description": "تحویل به گیرنده"})
        return {
            "carrier": "تیپاکس",
            "tracking_code": code,
            "status": status,
            "events": events,
            "expected_at": _iso(shipped + timedelta(days=3)),
        }

    plan = [
        (
            "1000001",
            sara,
            "shipped",
            now - timedelta(days=2),
            [headphones],
            shipment("in_transit", now - timedelta(days=1), None, "804512339871"),
        ),
        (
            "1000002",
            sara,
            "delivered",
            now - timedelta(days=6),
            [shirt, lipstick, kettle],
            shipment("delivered", now - timedelta(days=5), now - timedelta(days=3), "804512330001"),
        ),
        (
            "1000003",
            sara,
            "delivered",
            now - timedelta(days=610),
            [phone_item],
            shipment("delivered", now - timedelta(days=609), now - timedelta(days=607), "804512330002"),
        ),
        (
            "1000004",
            sara,
            "paid",
            now - timedelta(hours=5),
            [dict(headphones, serial_number="XM5K99999")],
            None,
        ),
        (
            "2000001",
            reza,
            "delivered",
            now - timedelta(days=4),
            [dict(headphones, serial_number="XM5K11111")],
            shipment("delivered", now - timedelta(days=3), now - timedelta(days=2), "804512330003"),
        ),
    ]
    ids = {}
    for number, customer, status, placed, items, ship in plan:
        result = await orders.upsert_order(
            session, number=number, data=_order(customer, status, placed, items, ship)
        )
        ids[customer["external_id"]] = result.order.customer_id
    return KnownShop(sara_id=ids["u-1"], reza_id=ids["u-2"])
