"""``pishkhan demo-data``: enough realistic Persian data for every flow, valid, and the same every time.

The demo data is loaded once per backend through ``load_into`` (the command's own edge, which commits),
read back as plain rows, and the database emptied again; the tests below look at those rows.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.demo import DemoDataExists, generate, load_into
from bot.demo.catalogue import BOOKS, CATEGORY_WEIGHTS, CLOTHING, LAPTOP, MOBILE, SHOES, WATCH
from bot.demo.plan import make_plan, start_of_today
from bot.demo.shipping import CARRIERS, CHAPAR, COURIER, MAHEX, POST, TIPAX
from bot.storage.models import Base, Customer, OrderStatus
from bot.text.phone import normalize_phone
from tests import db

SEED = 1405
NOW = datetime(2026, 3, 5, tzinfo=UTC)  # fixed, so nothing depends on the day the tests run
MESSAGING = ("telegram", "instagram", "webchat")
DOMAIN = Path(__file__).parent.parent / "nlu_data" / "domain.yml"
PERSIAN_NAME = re.compile(r"^[\u0600-\u06FF\u200c]+( [\u0600-\u06FF\u200c]+)+$")
TRACKING = {
    POST: re.compile(r"^\d{24}$"),
    TIPAX: re.compile(r"^\d{12}$"),
    CHAPAR: re.compile(r"^[A-Z]{2}\d{8,12}$"),
    MAHEX: re.compile(r"^[A-Z]{2}\d{8,12}$"),
}
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Loaded:
    report: str  # what load_into returned
    tables: dict[str, Rows]
    skipped_report: str  # load_into(if_empty=True) on the filled database
    reload_error: str  # load_into(if_empty=False) on the filled database
    after_skip: dict[str, Rows]

    def by_id(self, table: str) -> dict[int, dict[str, Any]]:
        return {row["id"]: row for row in self.tables[table]}


async def _dump(bind: AsyncConnection | AsyncSession) -> dict[str, Rows]:
    tables = {}
    for table in Base.metadata.sorted_tables:
        result = await bind.execute(select(table).order_by(table.c.id))
        tables[table.name] = [dict(row) for row in result.mappings()]
    return tables


async def _dump_engine(engine: AsyncEngine) -> dict[str, Rows]:
    async with engine.connect() as conn:
        return await _dump(conn)


@pytest.fixture(scope="module")
async def demo(database_url: str, engine: AsyncEngine) -> AsyncIterator[Loaded]:
    await db.empty_all_tables(engine)
    report = await load_into(database_url, seed=SEED, if_empty=True, now=NOW)
    tables = await _dump_engine(engine)
    skipped = await load_into(database_url, seed=SEED + 1, if_empty=True, now=NOW)
    with pytest.raises(DemoDataExists) as again:
        await load_into(database_url, seed=SEED, if_empty=False, now=NOW)
    after = await _dump_engine(engine)
    await db.empty_all_tables(engine)
    yield Loaded(report, tables, skipped, str(again.value), after)


def _orders_of(demo: Loaded) -> dict[int, list[dict[str, Any]]]:
    orders: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for order in demo.tables["orders"]:
        orders[order["customer_id"]].append(order)
    return orders


def _items_of(demo: Loaded) -> dict[int, Rows]:
    items: dict[int, Rows] = defaultdict(list)
    for item in demo.tables["order_items"]:
        items[item["order_id"]].append(item)
    return items


def _shipments(demo: Loaded) -> tuple[dict[int, dict[str, Any]], dict[int, Rows]]:
    by_order = {s["order_id"]: s for s in demo.tables["shipments"]}
    events: dict[int, Rows] = defaultdict(list)
    for event in demo.tables["shipment_events"]:
        events[event["shipment_id"]].append(event)
    return by_order, events


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=min(moment.day, 28))


def _delivered_at(events: Rows) -> datetime | None:
    return next((e["at"] for e in events if e["status"] == "delivered"), None)


# -- the command's edge ----------------------------------------------------------------------------


async def test_load_into_commits_the_data_and_reports_it_with_the_demo_credentials(demo: Loaded) -> None:
    assert len(demo.tables["orders"]) >= 200
    for fact in (
        "سارا احمدی",
        "09121234567",
        "sara.ahmadi@example.com",
        "u1001",
        "#1000001",
        "#1000002",
        "#1000003",
    ):
        assert fact in demo.report
    assert f"orders: {len(demo.tables['orders'])} (" in demo.report
    assert f"{len(demo.tables['messages'])} messages" in demo.report


async def test_load_into_leaves_a_database_with_the_demo_data_alone(demo: Loaded) -> None:
    assert "skipped" in demo.skipped_report
    assert "already loaded" in demo.reload_error
    assert demo.after_skip == demo.tables


async def test_load_into_if_empty_leaves_even_a_single_customer_alone(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(Customer(name="مشتری واقعی", phone="09350000000"))
    report = await load_into(database_url, seed=SEED, if_empty=True, now=NOW)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 1
    assert "skipped" in report


# -- customers ---------------------------------------------------------------------------------------


async def test_customers_have_persian_names_valid_mobiles_and_shop_accounts(demo: Loaded) -> None:
    buyers = [demo.by_id("customers")[cid] for cid in _orders_of(demo)]
    assert len(buyers) >= 50
    assert all(PERSIAN_NAME.match(c["name"]) for c in buyers)
    assert len({c["name"] for c in buyers}) == len(buyers)
    phones = [c["phone"] for c in buyers]
    assert all(normalize_phone(p) == p and re.match(r"^09[0-39]\d{8}$", p) for p in phones)
    assert len(set(phones)) == len(phones)
    emails = [c["email"] for c in buyers if c["email"]]
    assert 10 <= len(emails) < len(buyers)
    assert all(re.match(r"^[a-z][a-z0-9._]*@[a-z]+(\.[a-z]+)+$", e) for e in emails)
    shop_ids = [i["external_id"] for i in demo.tables["identities"] if i["channel"] == "shop"]
    assert len(buyers) * 0.7 <= len(shop_ids) < len(buyers)
    assert all(re.match(r"^u\d{4,5}$", s) for s in shop_ids)


# -- orders and what is in them -------------------------------------------------------------------------


async def test_orders_cover_every_status_over_eighteen_months(demo: Loaded) -> None:
    orders = demo.tables["orders"]
    statuses = Counter(o["status"] for o in orders)
    assert set(statuses) == {s.value for s in OrderStatus}
    assert statuses["delivered"] > len(orders) / 2
    assert all(re.match(r"^\d{7}$", o["number"]) for o in orders)
    placed = [o["placed_at"] for o in orders]
    assert max(placed) < NOW and min(placed) >= NOW - timedelta(days=550)
    assert max(placed) - min(placed) > timedelta(days=450)


async def test_order_totals_are_the_sum_of_their_items_at_realistic_prices(demo: Loaded) -> None:
    items = _items_of(demo)
    for order in demo.tables["orders"]:
        lines = items[order["id"]]
        assert lines and order["total"] == sum(i["unit_price"] * i["quantity"] for i in lines)
    everything = demo.tables["order_items"]
    assert {i["category"] for i in everything} == {category for category, _ in CATEGORY_WEIGHTS}
    phones = [i["unit_price"] for i in everything if i["category"] == MOBILE]
    assert phones and all(10_000_000 <= p <= 65_000_000 for p in phones)  # older orders cost less
    tshirts = [i["unit_price"] for i in everything if i["sku"] == "CLO-TSH-BASIC"]
    assert tshirts and all(200_000 <= p <= 400_000 for p in tshirts)


async def test_electronics_have_serials_and_warranties_and_clothes_and_books_do_not(demo: Loaded) -> None:
    everything = demo.tables["order_items"]
    serials = [i["serial_number"] for i in everything if i["serial_number"]]
    assert len(serials) == len(set(serials)) > 30
    for item in everything:
        if item["category"] in (MOBILE, LAPTOP, WATCH):
            assert re.match(r"^(?=.*[A-Z])(?=.*\d)[A-Z0-9]{8,14}$", item["serial_number"])
            assert item["warranty_months"] in (6, 12, 18, 24) and item["quantity"] == 1
        if item["category"] in (CLOTHING, SHOES, BOOKS):
            assert item["serial_number"] is None and item["warranty_months"] is None


# -- shipments -------------------------------------------------------------------------------------------


async def test_shipments_use_every_carrier_with_its_own_tracking_format(demo: Loaded) -> None:
    shipments, _ = _shipments(demo)
    for order in demo.tables["orders"]:
        has_shipment = order["id"] in shipments
        if order["status"] in ("shipped", "delivered", "returned"):
            assert has_shipment
        if order["status"] in ("pending_payment", "paid", "cancelled"):
            assert not has_shipment
    assert {s["carrier"] for s in shipments.values()} == set(CARRIERS)
    for shipment in shipments.values():
        if shipment["carrier"] == COURIER:
            assert shipment["tracking_code"] is None
        else:
            assert TRACKING[shipment["carrier"]].match(shipment["tracking_code"]), shipment


async def test_shipment_events_tell_the_trip_in_order(demo: Loaded) -> None:
    shipments, events = _shipments(demo)
    for order in demo.tables["orders"]:
        shipment = shipments.get(order["id"])
        if shipment is None:
            continue
        trip = events[shipment["id"]]
        times = [e["at"] for e in trip]
        assert trip and times == sorted(times) and len(set(times)) == len(times)
        assert trip[0]["description"] == "ثبت در سیستم" and trip[0]["at"] > order["placed_at"]
        delivered = _delivered_at(trip)
        if order["status"] in ("delivered", "returned"):
            assert delivered is not None and trip[-1]["description"] in (
                "تحویل به گیرنده",
                "دریافت کالای مرجوعی در انبار فروشگاه",
            )
        if order["status"] == "shipped":
            assert delivered is None and len(trip) >= 2
            assert shipment["expected_at"] > NOW and shipment["status"] in ("in_transit", "out_for_delivery")


async def test_some_orders_are_returnable_and_warranties_both_valid_and_expired(demo: Loaded) -> None:
    shipments, events = _shipments(demo)
    delivered = {}
    for order in demo.tables["orders"]:
        if order["status"] == "delivered":
            delivered[order["id"]] = _delivered_at(events[shipments[order["id"]]["id"]])
    assert sum(1 for at in delivered.values() if NOW - at < timedelta(days=7)) >= 5
    valid = expired = 0
    for item in demo.tables["order_items"]:
        if item["warranty_months"] and item["order_id"] in delivered:
            ends = _add_months(delivered[item["order_id"]], item["warranty_months"])
            valid, expired = valid + (ends > NOW), expired + (ends <= NOW)
    assert valid >= 10 and expired >= 3


# -- channels and conversations ------------------------------------------------------------------------


async def test_customers_are_one_customer_across_two_or_three_channels(demo: Loaded) -> None:
    buyers = set(_orders_of(demo))
    channels: dict[int, set[str]] = defaultdict(set)
    conversations = Counter(c["identity_id"] for c in demo.tables["conversations"])
    methods = set()
    for identity in demo.tables["identities"]:
        if identity["channel"] in MESSAGING and identity["verified"]:
            assert identity["customer_id"] in buyers and conversations[identity["id"]] >= 1
            channels[identity["customer_id"]].add(identity["channel"])
            methods.add(identity["method"])
    assert sum(1 for found in channels.values() if len(found) >= 2) >= 10
    assert sum(1 for found in channels.values() if len(found) == 3) >= 3
    assert methods == {"telegram_contact", "sms_otp", "shop_token"}
    merged = [c for c in demo.tables["customers"] if c["merged_into_id"] is not None]
    assert len(merged) == sum(len(found) for found in channels.values())  # each channel user came in unknown
    anonymous = [i for i in demo.tables["identities"] if i["channel"] in MESSAGING and not i["verified"]]
    assert len(anonymous) >= 5
    assert all(i["customer_id"] not in buyers and conversations[i["id"]] >= 1 for i in anonymous)
    assert {i["channel"] for i in anonymous} == set(MESSAGING)


async def test_conversations_read_like_real_support_chats(demo: Loaded) -> None:
    identities = demo.by_id("identities")
    numbers = {o["number"] for o in demo.tables["orders"]}
    messages: dict[int, Rows] = defaultdict(list)
    for message in demo.tables["messages"]:
        messages[message["conversation_id"]].append(message)
    statuses = Counter(c["status"] for c in demo.tables["conversations"])
    assert statuses["resolved"] > statuses["pending"] >= 2 and statuses["bot"] >= 1
    for conversation in demo.tables["conversations"]:
        thread = messages[conversation["id"]]
        times = [m["created_at"] for m in thread]
        assert len(thread) >= 2 and times == sorted(times), conversation
        assert conversation["last_message_at"] == times[-1] and conversation["created_at"] == times[0]
        assert conversation["customer_id"] == identities[conversation["identity_id"]]["customer_id"]
        assert (conversation["status"] == "pending") == (conversation["handoff_reason"] is not None)
        assert (conversation["status"] == "resolved") == (conversation["resolved_at"] is not None)
    for message in demo.tables["messages"]:
        if message["direction"] == "in":
            assert message["sender"] == "customer" and message["delivery_status"] == "received"
            assert message["text"] is None or (message["intent"] and 0 < message["confidence"] <= 1)
            for entity in (message["entities"] or {}).get("entities", []):
                assert entity["start"] is None or message["text"][entity["start"] : entity["end"]]
                assert entity["entity"] != "order_id" or entity["value"] in numbers
        else:
            assert message["sender"] == "bot" and message["delivery_status"] == "sent" and message["text"]
            assert message["intent"] is None and message["entities"] is None
    keys = [(m["channel"], m["external_message_id"]) for m in demo.tables["messages"]]
    assert all(key[1] for key in keys) and len(set(keys)) == len(keys)


async def test_messages_use_the_intents_and_buttons_of_the_dialogue_domain(demo: Loaded) -> None:
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    intents = Counter(m["intent"] for m in demo.tables["messages"] if m["intent"])
    assert set(intents) <= set(domain["intents"])
    assert {"track_order", "return_request", "invoice_request", "cancel_order", "csat", "choose"} <= set(
        intents
    )
    assert {"warranty_status", "warranty_claim"} & set(intents)
    reasons = [b["payload"] for b in domain["responses"]["utter_ask_return_reason"][0]["buttons"]]
    clicked = [m["payload"]["payload"] for m in demo.tables["messages"] if m["intent"] == "choose"]
    assert {p for p in clicked if "return_reason" in p} <= set(reasons)
    handoffs = {e["subject_id"] for e in demo.tables["audit_log"] if e["action"] == "conversation.handoff"}
    pending = [c for c in demo.tables["conversations"] if c["status"] == "pending"]
    assert {str(c["id"]) for c in pending} == handoffs
    assert {c["handoff_reason"] for c in pending} <= {"requested", "complaint", "fallback"}


async def test_ratings_returns_and_claims_point_at_real_conversations_and_items(demo: Loaded) -> None:
    conversations = demo.by_id("conversations")
    csat = demo.tables["csat_responses"]
    assert len(csat) >= 5
    for rating in csat:
        assert conversations[rating["conversation_id"]]["status"] == "resolved" and 1 <= rating["score"] <= 5
        assert rating["customer_id"] == conversations[rating["conversation_id"]]["customer_id"]
    items = demo.by_id("order_items")
    returned = {o["id"] for o in demo.tables["orders"] if o["status"] == "returned"}
    requests = demo.tables["return_requests"]
    assert returned <= {r["order_id"] for r in requests}
    assert all(items[r["order_item_id"]]["order_id"] == r["order_id"] for r in requests)
    for claim in demo.tables["warranty_claims"]:
        assert items[claim["order_item_id"]]["serial_number"] == claim["serial_number"]


# -- the demo customer -----------------------------------------------------------------------------------


async def test_the_demo_customer_has_the_three_documented_orders(demo: Loaded) -> None:
    phone = next(
        i for i in demo.tables["identities"] if i["channel"] == "phone" and i["external_id"] == "09121234567"
    )
    sara = demo.by_id("customers")[phone["customer_id"]]
    assert (sara["name"], sara["email"]) == ("سارا احمدی", "sara.ahmadi@example.com")
    orders = {o["number"]: o for o in _orders_of(demo)[sara["id"]]}
    assert {n: o["status"] for n, o in orders.items()} == {
        "1000001": "shipped",
        "1000002": "delivered",
        "1000003": "delivered",
    }
    shipments, events = _shipments(demo)
    items = _items_of(demo)
    in_transit = shipments[orders["1000001"]["id"]]
    assert (
        in_transit["tracking_code"] and in_transit["expected_at"] > NOW and len(events[in_transit["id"]]) >= 2
    )
    recent = _delivered_at(events[shipments[orders["1000002"]["id"]]["id"]])
    assert recent is not None and NOW - recent < timedelta(days=5)
    phone_item = next(i for i in items[orders["1000002"]["id"]] if i["serial_number"])
    assert _add_months(recent, phone_item["warranty_months"]) > NOW
    old = _delivered_at(events[shipments[orders["1000003"]["id"]]["id"]])
    assert old is not None
    warranties = [i["warranty_months"] for i in items[orders["1000003"]["id"]] if i["warranty_months"]]
    assert warranties and all(_add_months(old, m) < NOW for m in warranties)
    channels = {i["channel"] for i in demo.tables["identities"] if i["customer_id"] == sara["id"]}
    assert set(MESSAGING) <= channels
    assert not [r for r in demo.tables["return_requests"] if r["order_id"] == orders["1000002"]["id"]]


# -- determinism ---------------------------------------------------------------------------------------


async def test_nothing_in_the_data_happens_after_now(demo: Loaded) -> None:
    for name, rows in demo.tables.items():
        for row in rows:
            for column, value in row.items():
                if isinstance(value, datetime) and (name, column) != ("shipments", "expected_at"):
                    assert value <= NOW, (name, column, row["id"])


async def test_the_same_seed_and_moment_give_the_same_data_and_generate_does_not_commit(
    demo: Loaded, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await db.empty_all_tables(engine)  # ids start again from 1, as they did for the first load
    async with sessionmaker() as session, session.begin():
        summary = await generate(session, seed=SEED, now=NOW)
        again = await _dump(session)
        await session.rollback()
    assert again == demo.tables
    assert summary.order_count == len(demo.tables["orders"])
    async with sessionmaker() as session:  # rolling back the caller's transaction left nothing behind
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


def test_another_seed_gives_other_data() -> None:
    def facts(seed: int) -> list[tuple[str, ...]]:
        plan = make_plan(seed, NOW)
        people = [(c.name, c.phone, c.email or "") for c in plan.customers]
        orders = [(o.number, o.status.value, str(o.total)) for o in plan.orders]
        return people + orders

    assert facts(SEED) == facts(SEED)
    assert facts(SEED + 1) != facts(SEED)


def test_the_default_moment_is_the_start_of_today_in_utc() -> None:
    moment = start_of_today()
    assert moment.tzinfo is UTC and (moment.hour, moment.minute, moment.second, moment.microsecond) == (
        0,
        0,
        0,
        0,
    )
    assert datetime.now(UTC) - moment < timedelta(days=1)
