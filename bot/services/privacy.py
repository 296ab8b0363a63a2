"""A customer's own data (DESIGN §9): a download of everything held, and erasure on request.

Only a verified channel identity may ask: an SMS code, a shared Telegram contact, a shop-signed token or
an agent's check. Order number + phone opens one order only and is not enough.

Erasure keeps what the law requires and nothing that leads back to the person:
- the customer row (and every customer merged into it) stays as an anonymous record: name, phone,
  email, loyalty card and preferred channel cleared, ``erased_at`` set;
- orders, their items and shipments, return requests and warranty claims stay attached to that
  anonymous record (so the shop's books add up), but the free text the customer wrote in them is gone;
- phone, email, shop-account and loyalty identities are deleted; channel identities (which
  conversations point at) are anonymised, so the same Telegram or Instagram user is a stranger next time;
- messages of all the customer's conversations keep their direction and time, but text, payload and
  entities are replaced; tracker events of those conversations lose texts, entities and slot values;
- one-time codes of those identities and phones are deleted; outbox rows of those conversations, phones
  and addresses lose their recipient and body (undelivered ones are marked failed);
- agents' notes, CSAT comments and queued inbound payloads of those channel users are replaced.
The audit log keeps that it happened (ids only); the shop is told through a ``privacy.erased`` event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit, orders, shop_events, signed_links
from bot.services.identity import access_customer
from bot.services.shop_events import ShopEvent
from bot.services.signed_links import SignedLink
from bot.storage.base import utcnow
from bot.storage.models import (
    Conversation,
    ConversationStatus,
    CsatResponse,
    Customer,
    Identity,
    IdentityKind,
    InboundUpdate,
    Message,
    Note,
    Order,
    Outbox,
    OutboxKind,
    OutboxStatus,
    ReturnRequest,
    TrackerEvent,
    VerificationCode,
    VerificationMethod,
    WarrantyClaim,
)

EXPORT_PATH = "privacy/export"
ERASED_TEXT = "[حذف شده به درخواست مشتری]"
STRONG_METHODS = frozenset(
    {
        VerificationMethod.SMS_OTP,
        VerificationMethod.TELEGRAM_CONTACT,
        VerificationMethod.SHOP_TOKEN,
        VerificationMethod.AGENT,
    }
)
CONTACT_KINDS = tuple(kind.value for kind in IdentityKind)
# What the export shows of each kind of row.
PROFILE = ("id", "name", "phone", "email", "loyalty_card", "language", "preferred_channel", "created_at")
IDENTITY = ("channel", "external_id", "display_name", "verified", "method", "verified_at", "created_at")
RETURN = ("reference", "order_id", "order_item_id", "reason", "comment", "status", "created_at")
CLAIM = ("reference", "order_item_id", "serial_number", "fault_description", "status", "created_at")
ITEM = ("sku", "title", "quantity", "unit_price", "serial_number", "warranty_months")


async def verified_customer(session: AsyncSession, identity_id: int) -> Customer | None:
    """The customer behind this channel identity if it is verified strongly enough, else None."""
    identity = await session.get(Identity, identity_id)
    if identity is None or not identity.verified or identity.method not in STRONG_METHODS:
        return None
    customer = await access_customer(session, identity.customer_id)
    return None if customer is None or customer.erased_at is not None else customer


# -- export -------------------------------------------------------------------------------------------


async def request_export(
    session: AsyncSession,
    settings: Settings,
    *,
    customer: Customer,
    identity_id: int,
    now: datetime | None = None,
) -> SignedLink:
    """A signed download link of everything held about ``customer``; audited and told to the shop."""
    link = signed_links.make_link(
        settings,
        kind=signed_links.PRIVACY_EXPORT,
        subject=str(customer.id),
        path=EXPORT_PATH,
        hours=settings.export_link_hours,
        now=now,
    )
    audit.record(
        session,
        action="privacy.export.requested",
        subject_type="customer",
        subject_id=customer.id,
        actor_type="customer",
        actor_id=identity_id,
    )
    shop_events.enqueue(
        session, settings, event=ShopEvent.PRIVACY_EXPORT, data=await _shop_data(session, customer)
    )
    return link


async def access_export(
    session: AsyncSession, settings: Settings, *, token: str, now: datetime | None = None
) -> dict[str, Any]:
    """What an export link downloads; LinkError for a bad link, LookupError once the data is erased."""
    link = signed_links.open_link(settings, token, kind=signed_links.PRIVACY_EXPORT, now=now)
    customer = await access_customer(session, int(link.subject)) if link.subject.isdigit() else None
    if customer is None or customer.erased_at is not None:
        raise LookupError("nothing to export")
    audit.record(
        session,
        action="privacy.export.downloaded",
        subject_type="customer",
        subject_id=customer.id,
        actor_type="customer",
    )
    return await export_customer(session, customer, now=now)


async def export_customer(
    session: AsyncSession, customer: Customer, *, now: datetime | None = None
) -> dict[str, Any]:
    ids = await _customer_ids(session, customer.id)
    merged = [await session.get(Customer, i) for i in ids if i != customer.id]
    conversations = list(
        await session.scalars(
            select(Conversation).where(Conversation.customer_id.in_(ids)).order_by(Conversation.id)
        )
    )
    messages = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id.in_([c.id for c in conversations]))
            .order_by(Message.created_at, Message.id)
        )
    )
    return {
        "generated_at": _iso(now or utcnow()),
        "customer": _columns(customer, *PROFILE),
        "merged_profiles": [_columns(c, *PROFILE) for c in merged if c is not None],
        "identities": [
            _columns(i, *IDENTITY) for i in await _rows(session, Identity, Identity.customer_id.in_(ids))
        ],
        "orders": [
            _order(o)
            for o in await session.scalars(
                select(Order)
                .where(Order.customer_id.in_(ids))
                .order_by(Order.placed_at)
                .options(*orders.detail_options())
            )
        ],
        "return_requests": [
            _columns(r, *RETURN)
            for r in await _rows(session, ReturnRequest, ReturnRequest.customer_id.in_(ids))
        ],
        "warranty_claims": [
            _columns(w, *CLAIM)
            for w in await _rows(session, WarrantyClaim, WarrantyClaim.customer_id.in_(ids))
        ],
        "conversations": [
            {
                **_columns(c, "id", "channel", "status", "created_at", "resolved_at"),
                "messages": [
                    _columns(m, "created_at", "direction", "sender", "text")
                    for m in messages
                    if m.conversation_id == c.id
                ],
            }
            for c in conversations
        ],
        "satisfaction": [
            _columns(s, "conversation_id", "score", "comment", "created_at")
            for s in await _rows(session, CsatResponse, CsatResponse.customer_id.in_(ids))
        ],
    }


def _order(order: Order) -> dict[str, Any]:
    shipment = order.shipment
    return {
        **_columns(order, "number", "status", "placed_at", "total"),
        "items": [_columns(i, *ITEM) for i in order.items],
        "shipment": None
        if shipment is None
        else {
            **_columns(shipment, "carrier", "tracking_code", "status", "expected_at"),
            "events": [_columns(e, "at", "status", "description") for e in shipment.events],
        },
    }


def _columns(row: Any, *names: str) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def _plain(value: Any) -> Any:
    return _iso(value) if isinstance(value, datetime) else value


def _iso(value: datetime) -> str:
    return value.isoformat()


async def _rows(session: AsyncSession, model: Any, condition: Any) -> list[Any]:
    return list(await session.scalars(select(model).where(condition).order_by(model.id)))


# -- erasure ------------------------------------------------------------------------------------------


async def erase_customer(
    session: AsyncSession,
    settings: Settings,
    *,
    customer: Customer,
    identity_id: int,
    now: datetime | None = None,
) -> None:
    """Erase ``customer`` as the module docstring says; audited and told to the shop."""
    now = now or utcnow()
    shop_data = await _shop_data(session, customer)
    ids = await _customer_ids(session, customer.id)
    identities = await _rows(session, Identity, Identity.customer_id.in_(ids))
    people = list(await session.scalars(select(Customer).where(Customer.id.in_(ids))))
    phones = {c.phone for c in people if c.phone} | {
        i.external_id for i in identities if i.channel == IdentityKind.PHONE
    }
    emails = {c.email for c in people if c.email} | {
        i.external_id for i in identities if i.channel == IdentityKind.EMAIL
    }
    conversation_ids = list(
        await session.scalars(select(Conversation.id).where(Conversation.customer_id.in_(ids)))
    )
    await _erase_conversations(session, conversation_ids, now)
    await _erase_outbox(session, conversation_ids, phones | emails)
    await _erase_customer_texts(session, ids, conversation_ids)
    channel_users = [f"{i.channel}:{i.external_id}" for i in identities if i.channel not in CONTACT_KINDS]
    if channel_users:
        await session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.ordering_key.in_(channel_users))
            .values(
                payload={"erased": True},
                ordering_key=literal("erased:").concat(cast(InboundUpdate.id, String)),
            )
        )
    identity_ids = [i.id for i in identities]
    await session.execute(
        delete(VerificationCode).where(
            or_(VerificationCode.identity_id.in_(identity_ids), VerificationCode.phone.in_(phones))
        )
    )
    for identity in identities:
        if identity.channel in CONTACT_KINDS:
            await session.delete(identity)
        else:  # conversations point at it: keep the row, lose who it was
            identity.external_id = f"erased-{identity.id}"
            identity.display_name, identity.verified, identity.method = None, False, None
            identity.verified_at, identity.last_seen_at, identity.reachable = None, None, False
    for person in people:
        person.name = person.phone = person.email = person.loyalty_card = person.preferred_channel = None
        person.erased_at = now
    await session.flush()
    audit.record(
        session,
        action="privacy.erased",
        subject_type="customer",
        subject_id=customer.id,
        actor_type="customer",
        actor_id=identity_id,
        detail={"customers": ids, "conversations": len(conversation_ids), "identities": len(identities)},
    )
    shop_events.enqueue(session, settings, event=ShopEvent.PRIVACY_ERASED, data=shop_data)


async def _erase_conversations(session: AsyncSession, conversation_ids: list[int], now: datetime) -> None:
    if not conversation_ids:
        return
    in_them = Message.conversation_id.in_(conversation_ids)
    await session.execute(update(Message).where(in_them, Message.text.is_not(None)).values(text=ERASED_TEXT))
    await session.execute(
        update(Message).where(in_them).values(payload=None, entities=None, delivery_error=None)
    )
    events = await session.scalars(
        select(TrackerEvent).where(TrackerEvent.conversation_id.in_(conversation_ids))
    )
    for row in events:
        row.data = scrub_event(row.data)
    await session.execute(
        update(Conversation)
        .where(Conversation.id.in_(conversation_ids), Conversation.status != ConversationStatus.RESOLVED)
        .values(status=ConversationStatus.RESOLVED, resolved_at=now)
    )


async def _erase_outbox(session: AsyncSession, conversation_ids: list[int], contacts: set[str]) -> None:
    theirs = or_(
        Outbox.conversation_id.in_(conversation_ids),
        (Outbox.kind.in_([OutboxKind.SMS, OutboxKind.EMAIL])) & Outbox.target.in_(contacts),
    )
    await session.execute(
        update(Outbox)
        .where(theirs, Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        .values(status=OutboxStatus.FAILED, last_error="recipient's data erased")
    )
    await session.execute(
        update(Outbox)
        .where(theirs)
        .values(
            body={"erased": True},
            target="erased",
            ordering_key=literal("erased:").concat(cast(Outbox.id, String)),
        )
    )


async def _erase_customer_texts(session: AsyncSession, ids: list[int], conversation_ids: list[int]) -> None:
    await session.execute(
        update(Note)
        .where(or_(Note.customer_id.in_(ids), Note.conversation_id.in_(conversation_ids)))
        .values(text=ERASED_TEXT)
    )
    await session.execute(update(CsatResponse).where(CsatResponse.customer_id.in_(ids)).values(comment=None))
    await session.execute(
        update(ReturnRequest).where(ReturnRequest.customer_id.in_(ids)).values(comment=None)
    )
    await session.execute(
        update(WarrantyClaim).where(WarrantyClaim.customer_id.in_(ids)).values(fault_description=ERASED_TEXT)
    )


def scrub_event(data: dict[str, Any]) -> dict[str, Any]:
    """A Rasa event with its words and values gone: what happened and when stays, not what was said."""
    kind = data.get("event")
    kept: dict[str, Any] = {k: data[k] for k in ("event", "timestamp") if k in data}
    if kind == "user":
        intent = (data.get("parse_data") or {}).get("intent") or {}
        return {
            **kept,
            "text": None,
            "parse_data": {
                "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
                "entities": [],
            },
            "input_channel": data.get("input_channel"),
            "message_id": data.get("message_id"),
            "metadata": {},
        }
    if kind == "bot":
        return {
            **kept,
            "text": None,
            "data": {},
            "metadata": {"utter_action": (data.get("metadata") or {}).get("utter_action")},
        }
    if kind == "slot":
        return {**kept, "name": data.get("name"), "value": None}
    return {**kept, **{k: data[k] for k in ("name", "policy", "confidence") if k in data}}


async def _customer_ids(session: AsyncSession, customer_id: int) -> list[int]:
    """The customer and every customer merged into it, however many merges deep."""
    ids, frontier = [customer_id], [customer_id]
    while frontier:
        frontier = [
            i
            for i in await session.scalars(select(Customer.id).where(Customer.merged_into_id.in_(frontier)))
            if i not in ids
        ]
        ids += frontier
    return ids


async def _shop_data(session: AsyncSession, customer: Customer) -> dict[str, Any]:
    """What the shop needs to find the person in its own systems: its own account ids, nothing else."""
    ids = await _customer_ids(session, customer.id)
    accounts = await session.scalars(
        select(Identity.external_id)
        .where(Identity.customer_id.in_(ids), Identity.channel == IdentityKind.SHOP)
        .order_by(Identity.id)
    )
    return {"customer_id": customer.id, "shop_customer_ids": list(accounts)}
