"""Valid shop payloads to start tests from; each test changes only what it is about."""

from __future__ import annotations

import copy
from typing import Any

ORDER_BODY: dict[str, Any] = {
    "customer": {
        "external_id": "u-1001",
        "name": "سارا احمدی",
        "phone": "0912 123 4567",
        "email": "Sara@Example.com",
    },
    "status": "shipped",
    "placed_at": "2026-11-01T10:30:00+03:30",
    "total": 2_450_000,
    "items": [
        {
            "sku": "HP-XM-01",
            "title": "هدفون بی‌سیم شیائومی",
            "quantity": 1,
            "unit_price": 1_950_000,
            "serial_number": "xm5k88231",
            "warranty_months": 18,
            "category": "لوازم صوتی",
        },
        {"sku": "CASE-7", "title": "کیف هدفون", "quantity": 2, "unit_price": 250_000},
    ],
    "shipment": {
        "carrier": "تیپاکس",
        "tracking_code": "804512339871",
        "status": "in_transit",
        "expected_at": "2026-11-05T18:00:00+03:30",
        "events": [
            {"at": "2026-11-02T09:00:00+03:30", "status": "accepted", "description": "تحویل به شرکت حمل"},
            {"at": "2026-11-03T14:10:00+03:30", "status": "in_transit", "description": "خروج از مبدا"},
        ],
    },
}


def order_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ORDER_BODY)
    body.update(changes)
    return body
