"""action_invoice with a Tracker built by hand, against a database with known orders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.context import TurnContext, bind_turn
from actions.invoices import ActionInvoice, email_wish
from bot.config import Settings
from bot.services import conversations, identity, orders, signed_links
from bot.services.order_data import OrderIn
from bot.storage.base import utcnow
from bot.storage.models import AuditLog, Identity, Outbox, OutboxKind, OutboxStatus, VerificationMethod
from tests.shop import REZA_PHONE, SARA_PHONE, load_known_shop


@pytest.fixture
async def turn(session: AsyncSession, settings: Settings) -> AsyncIterator[Any]:
    """``with turn("sara" | "reza" | "stranger"):`` binds a turn of that REST customer."""
    await load_known_shop(session)
    unpaid = {
        "customer": {"external_id": "u-1", "name": "سارا احمدی", "phone": SARA_PHONE},
        "status": "pending_payment",
        "placed_at": (utcnow() - timedelta(hours=1)).isoformat(),
        "total": 420_000,
        "items": [{"sku": "LP-3", "title": "رژ لب", "quantity": 1, "unit_price": 420_000}],
    }
    await orders.upsert_order(session, number="1000009", data=OrderIn.model_validate(unpaid))
    people: dict[str, Identity] = {}
    threads: dict[str, int] = {}
    for name, phone in (("sara", SARA_PHONE), ("reza", REZA_PHONE), ("stranger", None)):
        people[name] = await identity.resolve_identity(session, channel="rest", external_id=name)
        if phone:
            await identity.verify_with_phone(
                session, identity=people[name], phone=phone, method=VerificationMethod.SMS_OTP
            )
        threads[name] = (await conversations.open_conversation(session, people[name])).id

    @contextmanager
    def bind(who: str = "sara") -> Iterator[TurnContext]:
        person = people[who]
        context = TurnContext(
            session=session,
            settings=settings,
            customer_id=person.customer_id,
            conversation_id=threads[who],
            identity_id=person.id,
            channel="rest",
        )
        with bind_turn(context):
            yield context

    yield bind


def user(text: str, intent: str = "invoice_request", **entities: str) -> dict[str, Any]:
    parse = {
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }
    return {"event": "user", "text": text, "parse_data": parse}


def tracker(slots: dict[str, Any] | None = None, *messages: dict[str, Any]) -> Tracker:
    messages = messages or (user("/invoice_request"),)
    latest = {"text": messages[-1]["text"], **messages[-1]["parse_data"]}
    return Tracker(
        "1", {"requested_slot": None, **(slots or {})}, latest, list(messages), False, None, {}, None
    )


async def run(track: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionInvoice().run(dispatcher, track, {})
    return dispatcher.messages, events


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


async def test_an_unpaid_order_has_no_invoice_yet(turn: Any) -> None:
    with turn():
        messages, events = await run(tracker({"order_id": "1000009"}))
    assert responses(messages) == ["utter_invoice_not_ready"]
    assert messages[0]["order_id_fa"] == "۱۰۰۰۰۰۹"
    assert {"event": "slot", "timestamp": None, "name": "task", "value": "invoice"} in events


async def test_the_link_is_signed_for_that_order_and_expires_with_the_setting(
    turn: Any, session: AsyncSession
) -> None:
    with turn() as ctx:
        messages, _ = await run(tracker({"order_id": "1000002"}))
    assert responses(messages) == ["utter_invoice_link"]
    url = messages[0]["link"]
    assert url.startswith(f"{ctx.settings.public_url}/invoices/")
    opened = signed_links.open_link(ctx.settings, url.rsplit("/", 1)[1], kind=signed_links.INVOICE)
    assert opened.subject == "1000002"
    assert opened.expires_at - ctx.now <= timedelta(hours=ctx.settings.invoice_link_hours)
    assert opened.expires_at - ctx.now > timedelta(hours=ctx.settings.invoice_link_hours - 1)
    assert (
        "۱۴۰" in messages[0]["expires_fa"] and "ساعت" in messages[0]["expires_fa"]
    )  # Jalali, Persian digits
    assert await session.scalar(select(AuditLog).where(AuditLog.action == "invoice.link_issued"))


async def test_by_email_to_the_verified_address(turn: Any, session: AsyncSession) -> None:
    asked = user("فاکتور سفارشم رو ایمیل کنید")
    with turn():
        messages, _ = await run(tracker({"order_id": "1000002"}, asked, user("1000002", "inform")))
    assert responses(messages) == ["utter_invoice_emailed"]
    assert messages[0]["email"] == "sara.ahmadi@example.com"
    row = await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.EMAIL))
    assert row is not None and row.target == "sara.ahmadi@example.com"
    assert set(row.body) == {"to", "from", "subject", "text", "html", "recorded"}
    assert row.status == OutboxStatus.SENT  # development email mode: recorded, not sent
    assert "۱۰۰۰۰۰۲" in row.body["subject"] and "/invoices/" in row.body["text"]
    assert 'dir="rtl"' in row.body["html"] and 'href="http' in row.body["html"]


async def test_an_address_that_is_not_verified_gets_the_link_here(turn: Any, session: AsyncSession) -> None:
    with turn("reza"):
        messages, _ = await run(
            tracker({"order_id": "2000001"}, user("/invoice_request", email="reza@example.com"))
        )
    assert responses(messages) == ["utter_invoice_email_unverified", "utter_invoice_link"]
    assert await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.EMAIL)) is None


async def test_an_order_opened_by_its_phone_is_never_emailed(turn: Any, session: AsyncSession) -> None:
    with turn("stranger"):
        messages, _ = await run(
            tracker({"order_id": "1000002", "unlocked_orders": ["1000002"]}, user("فاکتور رو ایمیل کن"))
        )
    assert responses(messages) == ["utter_invoice_email_unverified", "utter_invoice_link"]
    assert await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.EMAIL)) is None


async def test_a_stranger_is_asked_to_open_the_order_first(turn: Any) -> None:
    with turn("stranger"):
        messages, events = await run(tracker({"order_id": "1000002"}))
    assert messages == []
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "order_access_form"}


async def test_a_customer_with_one_order_is_not_asked_which(turn: Any) -> None:
    with turn("reza"):
        messages, events = await run(tracker())
    assert responses(messages) == ["utter_invoice_link"] and messages[0]["order_id_fa"] == "۲۰۰۰۰۰۱"
    assert {"event": "slot", "timestamp": None, "name": "order_id", "value": "2000001"} in events


async def test_several_orders_are_offered_as_invoice_buttons(turn: Any) -> None:
    with turn():
        messages, _ = await run(tracker())
    assert responses(messages) == ["utter_ask_order_id"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/invoice_request{"order_id":"1000002"}' in payloads and len(payloads) == 5


@pytest.mark.parametrize(
    ("messages", "wish"),
    [
        ([user("فاکتور سفارش ۱۰۰۰۰۰۲ رو ایمیل کنید")], ""),
        ([user("invoice by Email please")], ""),
        ([user("فاکتور رو بفرستید", email="a@b.ir")], "a@b.ir"),
        ([user("فاکتور رو ای‌میل کنید"), user("1000002", "inform"), user("09121234567", "inform")], ""),
        ([user("فاکتور میخوام")], None),
        ([user("ایمیلم عوض شده", "track_order"), user("/invoice_request")], None),
        ([user("فاکتور به ایمیل"), user("فاکتور میخوام")], None),
    ],
)
def test_the_email_wish_is_read_from_this_request(messages: list[dict[str, Any]], wish: str | None) -> None:
    assert email_wish(tracker(None, *messages)) == wish
