import json

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Customer, Identity, Order, OrderItem, ShipmentEvent
from tests.factories import order_body


async def _snapshot(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessionmaker() as session:
        counts = {}
        for model in (Customer, Identity, Order, OrderItem, ShipmentEvent):
            counts[model.__tablename__] = await session.scalar(select(func.count()).select_from(model)) or 0
        return counts


async def test_put_creates_the_order_and_its_customer(client: httpx.AsyncClient, shop_auth: dict) -> None:
    response = await client.put("/api/v1/orders/4512873", json=order_body(), headers=shop_auth)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["number"] == "4512873"
    assert order["status"] == "shipped"
    assert [i["sku"] for i in order["items"]] == ["HP-XM-01", "CASE-7"]
    assert order["items"][0]["serial_number"] == "XM5K88231"
    assert order["shipment"]["tracking_code"] == "804512339871"
    assert [e["status"] for e in order["shipment"]["events"]] == ["accepted", "in_transit"]

    customer = (await client.get(f"/api/v1/customers/{order['customer_id']}", headers=shop_auth)).json()
    assert customer["name"] == "سارا احمدی"
    assert customer["phone"] == "09121234567"
    assert customer["email"] == "sara@example.com"
    assert {(i["channel"], i["external_id"], i["verified"]) for i in customer["identities"]} == {
        ("shop", "u-1001", True),
        ("phone", "09121234567", True),
        ("email", "sara@example.com", True),
    }
    assert [o["number"] for o in customer["orders"]] == ["4512873"]


async def test_put_is_idempotent(client: httpx.AsyncClient, shop_auth: dict, sessionmaker) -> None:
    first = await client.put("/api/v1/orders/4512873", json=order_body(), headers=shop_auth)
    before = await _snapshot(sessionmaker)
    second = await client.put("/api/v1/orders/4512873", json=order_body(), headers=shop_auth)
    assert second.status_code == 200
    assert await _snapshot(sessionmaker) == before
    strip = lambda o: {k: v for k, v in o.items() if k != "updated_at"}  # noqa: E731
    assert strip(second.json()) == strip(first.json())


async def test_put_updates_status_items_and_events_in_place(
    client: httpx.AsyncClient, shop_auth: dict
) -> None:
    created = (await client.put("/api/v1/orders/4512873", json=order_body(), headers=shop_auth)).json()
    body = order_body(status="delivered")
    body["items"][1]["quantity"] = 3
    body["shipment"]["events"].append(
        {"at": "2026-11-04T11:00:00+03:30", "status": "delivered", "description": "تحویل به گیرنده"}
    )
    updated = (await client.put("/api/v1/orders/4512873", json=body, headers=shop_auth)).json()
    assert updated["status"] == "delivered"
    assert [i["id"] for i in updated["items"]] == [i["id"] for i in created["items"]]
    assert updated["items"][1]["quantity"] == 3
    assert [e["status"] for e in updated["shipment"]["events"]] == ["accepted", "in_transit", "delivered"]


async def test_orders_are_matched_to_customers_by_shop_id_then_phone_then_email(
    client: httpx.AsyncClient, shop_auth: dict
) -> None:
    first = (await client.put("/api/v1/orders/1000001", json=order_body(), headers=shop_auth)).json()
    by_phone = order_body()
    by_phone["customer"] = {"name": "سارا احمدی", "phone": "+989121234567"}
    by_email = order_body()
    by_email["customer"] = {"name": "سارا احمدی", "email": "SARA@example.com"}
    other = order_body()
    other["customer"] = {"external_id": "u-2", "name": "رضا کریمی", "phone": "09351112233"}
    ids = []
    for number, body in (("1000002", by_phone), ("1000003", by_email), ("1000004", other)):
        response = await client.put(f"/api/v1/orders/{number}", json=body, headers=shop_auth)
        assert response.status_code == 201, response.text
        ids.append(response.json()["customer_id"])
    assert ids[:2] == [first["customer_id"]] * 2
    assert ids[2] != first["customer_id"]


async def test_persian_digits_in_the_order_number_are_the_same_order(
    client: httpx.AsyncClient, shop_auth: dict
) -> None:
    await client.put("/api/v1/orders/4512873", json=order_body(), headers=shop_auth)
    response = await client.get("/api/v1/orders/۴۵۱۲۸۷۳", headers=shop_auth)
    assert response.status_code == 200
    assert response.json()["number"] == "4512873"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic dGVzdA=="},
        {"Authorization": "Bearer "},
    ],
)
async def test_without_the_right_key_nothing_is_stored(
    client: httpx.AsyncClient, headers: dict, sessionmaker
) -> None:
    response = await client.put("/api/v1/orders/4512873", json=order_body(), headers=headers)
    assert response.status_code == 401
    assert (await client.get("/api/v1/orders/4512873", headers=headers)).status_code == 401
    assert (await _snapshot(sessionmaker))["orders"] == 0


def _without(path: str) -> dict:
    body = order_body()
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    del node[last]
    return body


def _with(path: str, value: object) -> dict:
    body = order_body()
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with("status", "lost_in_space"), "status"),
        (_with("total", "2450000"), "total"),
        (_with("total", -1), "total"),
        (_with("items.0.quantity", 0), "items.0.quantity"),
        (_with("items.0.quantity", "two"), "items.0.quantity"),
        (_with("items", []), "items"),
        (_with("customer.phone", "02112345678"), "customer.phone"),
        (_with("customer.email", "not-an-email"), "customer.email"),
        (_with("placed_at", "yesterday"), "placed_at"),
        (_with("shipment.events.0.at", 17), "shipment.events.0.at"),
        (_with("surprise", True), "surprise"),
        (_without("customer.name"), "customer.name"),
        (_without("items.0.sku"), "items.0.sku"),
        (["not", "an", "object"], "body"),
    ],
)
async def test_bad_bodies_get_422_naming_the_field(
    client: httpx.AsyncClient, shop_auth: dict, sessionmaker, body: object, field: str
) -> None:
    await client.put("/api/v1/orders/4512873", json=order_body(), headers=shop_auth)
    before = await _snapshot(sessionmaker)
    response = await client.put("/api/v1/orders/4512873", json=body, headers=shop_auth)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert field in response.json()["detail"]
    assert await _snapshot(sessionmaker) == before
    stored = (await client.get("/api/v1/orders/4512873", headers=shop_auth)).json()
    assert stored["status"] == "shipped"


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b'{"customer": {', 422),
        (b"", 422),
        (b"\xff\xfe\x00garbage", 422),
        (json.dumps(order_body()).encode()[:-1] + b"\xc3\x28}", 400),
        (b"null", 422),
    ],
)
async def test_malformed_bodies_get_a_4xx_with_a_message(
    client: httpx.AsyncClient, shop_auth: dict, sessionmaker, content: bytes, status: int
) -> None:
    response = await client.put(
        "/api/v1/orders/4512873", content=content, headers={**shop_auth, "Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert (await _snapshot(sessionmaker))["orders"] == 0


async def test_a_10_mb_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient, shop_auth: dict, sessionmaker
) -> None:
    body = order_body()
    body["items"][0]["title"] = "x" * 10_000_000
    response = await client.put("/api/v1/orders/4512873", json=body, headers=shop_auth)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]

    async def chunks():
        for _ in range(10):
            yield b"x" * 1_000_000

    streamed = await client.put(
        "/api/v1/orders/4512873", content=chunks(), headers={**shop_auth, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert (await _snapshot(sessionmaker))["orders"] == 0


@pytest.mark.parametrize("number", ["12 34", "#", "a" * 33, "سفارش", "-12"])
async def test_bad_order_numbers_are_refused(client: httpx.AsyncClient, shop_auth: dict, number: str) -> None:
    response = await client.put(f"/api/v1/orders/{number}", json=order_body(), headers=shop_auth)
    assert response.status_code in (404, 422), response.text
    assert response.status_code != 500


async def test_unknown_order_and_customer_are_404(client: httpx.AsyncClient, shop_auth: dict) -> None:
    assert (await client.get("/api/v1/orders/9999999", headers=shop_auth)).status_code == 404
    assert (await client.get("/api/v1/customers/424242", headers=shop_auth)).status_code == 404
    assert (await client.get("/api/v1/customers/0", headers=shop_auth)).status_code == 422
