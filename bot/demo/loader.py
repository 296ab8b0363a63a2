"""Store the planned demo data through the same services the shop feed and the channels use.

``generate`` flushes and never commits; ``load_into`` is the edge that owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from bot.demo.chats import ChannelUserPlan
from bot.demo.orders import DEMO_NUMBERS, to_order_in
from bot.demo.plan import DemoPlan, make_plan, start_of_today
from bot.demo.summary import DemoSummary, summarise
from bot.demo.transcript import ConversationPlan, MessagePlan, ReturnPlan, WarrantyPlan
from bot.services import handoff
from bot.services import identity as identities
from bot.services import orders as order_service
from bot.storage.engine import create_engine, make_sessionmaker
from bot.storage.models import (
    AuditLog,
    Conversation,
    ConversationStatus,
    CsatResponse,
    Customer,
    CustomerMerge,
    DeliveryStatus,
    Direction,
    Identity,
    IdentityKind,
    Message,
    Order,
    ReturnRequest,
    ReturnStatus,
    Shipment,
    VerificationMethod,
    WarrantyClaim,
)


class DemoDataExists(Exception):
    """The demo data is already in this database; loading it again would clash with itself."""


async def load_into(database_url: str, *, seed: int, if_empty: bool, now: datetime | None = None) -> str:
    """Fill the (migrated) database at ``database_url`` with demo data and commit; with ``if_empty``,
    leave a database that already has customers alone. Returns what to tell the user."""
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            customers = select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None))
            existing = await session.scalar(customers) or 0
            if if_empty and existing:
                return f"demo data skipped: the database already has {existing} customers"
            if await session.scalar(select(Order.id).where(Order.number == DEMO_NUMBERS[0])):
                raise DemoDataExists(
                    f"the demo data is already loaded (order {DEMO_NUMBERS[0]} exists); "
                    "use --if-empty or an empty database"
                )
            summary = await generate(session, seed=seed, now=now)
        return str(summary)
    finally:
        await engine.dispose()


async def generate(session: AsyncSession, *, seed: int = 1405, now: datetime | None = None) -> DemoSummary:
    """Plan the demo data from ``seed`` as of ``now`` (default: today 00:00 UTC) and store it."""
    plan = make_plan(seed, now or start_of_today())
    writer = _Writer(session, plan)
    await writer.orders()
    for user in plan.users:
        await writer.channel_user(user)
    for request in plan.returns:
        writer.return_request(request, conversation_id=None)
    await session.flush()
    await writer.settle_clocks()
    return await summarise(session, plan)


class _Writer:
    def __init__(self, session: AsyncSession, plan: DemoPlan) -> None:
        self.session, self.plan = session, plan
        self.customer_ids: dict[int, int] = {}  # plan key -> customer id
        self.orders_by_number: dict[str, Order] = {}
        self.first_order_at: dict[int, datetime] = {}  # customer id -> when the shop first sent them
        self.last_order_at: dict[int, datetime] = {}
        self.channel_customers: dict[int, tuple[datetime, datetime | None]] = {}  # id -> created, merged
        self.identity_times: dict[tuple[str, str], ChannelUserPlan] = {}
        self.conversations: list[tuple[Conversation, ConversationPlan]] = []

    async def orders(self) -> None:
        for planned in self.plan.orders:  # oldest first, as the shop's feed sent them
            result = await order_service.upsert_order(
                self.session, number=planned.number, data=to_order_in(planned)
            )
            customer_id = result.order.customer_id
            self.customer_ids[planned.customer.key] = customer_id
            self.orders_by_number[planned.number] = result.order
            self.first_order_at.setdefault(customer_id, planned.placed_at)
            self.last_order_at[customer_id] = planned.placed_at

    async def channel_user(self, user: ChannelUserPlan) -> None:
        identity = await identities.resolve_identity(
            self.session, channel=user.channel, external_id=user.external_id, display_name=user.display_name
        )
        self.identity_times[(user.channel, user.external_id)] = user
        self.channel_customers[identity.customer_id] = (user.first_seen, user.verified_at)
        for planned in user.conversations:
            conversation = await self.conversation(identity, planned)
            if planned.verified_at is not None and user.customer is not None and not identity.verified:
                await self.verify(identity, user)
            customer_id = identity.customer_id
            if planned.csat is not None:
                score, comment, at = planned.csat
                self.session.add(
                    CsatResponse(
                        conversation_id=conversation.id,
                        customer_id=customer_id,
                        score=score,
                        comment=comment,
                        created_at=at,
                    )
                )
            if planned.return_request is not None:
                self.return_request(planned.return_request, conversation_id=conversation.id)
            if planned.warranty_claim is not None:
                self.warranty_claim(planned.warranty_claim, customer_id, conversation.id)

    async def conversation(self, identity: Identity, planned: ConversationPlan) -> Conversation:
        handed_off = planned.status is ConversationStatus.PENDING
        row = Conversation(
            customer_id=identity.customer_id,
            identity_id=identity.id,
            channel=identity.channel,
            status=ConversationStatus.BOT if handed_off else planned.status,
            resolved_at=planned.resolved_at,
            created_at=planned.started_at,
            last_message_at=planned.last_message_at,
            updated_at=_conversation_updated_at(planned),
        )
        self.session.add(row)
        await self.session.flush()
        await self.session.execute(insert(Message), [_message(row, message) for message in planned.messages])
        if handed_off:
            assert planned.handoff_reason is not None
            await handoff.do_handoff(self.session, row, reason=planned.handoff_reason)
        self.conversations.append((row, planned))
        return row

    async def verify(self, identity: Identity, user: ChannelUserPlan) -> None:
        """The step the channel would take when the customer proved who they are."""
        assert user.customer is not None and user.method is not None
        if user.method is VerificationMethod.SHOP_TOKEN:
            customer_id = self.customer_ids[user.customer.key]
            await identities.verify_identity(
                self.session, identity=identity, customer_id=customer_id, method=user.method
            )
        else:
            await identities.verify_with_phone(
                self.session, identity=identity, phone=user.customer.phone, method=user.method
            )

    def return_request(self, request: ReturnPlan, *, conversation_id: int | None) -> None:
        order = self.orders_by_number[request.order.number]
        item = order.items[request.order.items.index(request.item)]
        updated = request.at
        if request.status is ReturnStatus.REFUNDED:
            assert request.order.shipment is not None
            updated = request.order.shipment.events[-1].at
        elif request.status is ReturnStatus.APPROVED:
            updated = min(request.at + timedelta(hours=4), self.plan.now)
        self.session.add(
            ReturnRequest(
                reference=request.reference,
                customer_id=order.customer_id,
                order_id=order.id,
                order_item_id=item.id,
                conversation_id=conversation_id,
                reason=request.reason,
                comment=request.comment,
                status=request.status,
                created_at=request.at,
                updated_at=updated,
            )
        )

    def warranty_claim(self, claim: WarrantyPlan, customer_id: int, conversation_id: int) -> None:
        order = self.orders_by_number[claim.order.number]
        item = order.items[claim.order.items.index(claim.item)]
        days = {"submitted": 0, "in_repair": 2, "repaired": 12, "replaced": 15}[claim.status.value]
        self.session.add(
            WarrantyClaim(
                reference=claim.reference,
                customer_id=customer_id,
                order_item_id=item.id,
                conversation_id=conversation_id,
                serial_number=claim.item.serial_number,
                fault_description=claim.fault,
                status=claim.status,
                created_at=claim.at,
                updated_at=min(claim.at + timedelta(days=days), self.plan.now),
            )
        )

    async def settle_clocks(self) -> None:
        """Put the demo's own moments on every row the services stamped with the wall clock, so the
        data is the same whenever it is generated and never lies in the future."""
        session, customers = self.session, []
        for customer_id, first in self.first_order_at.items():
            last = self.last_order_at[customer_id]
            customers.append({"id": customer_id, "created_at": first, "updated_at": last, "merged_at": None})
        merged_at = {}
        for customer_id, (created, merged) in self.channel_customers.items():
            customers.append(
                {
                    "id": customer_id,
                    "created_at": created,
                    "updated_at": merged or created,
                    "merged_at": merged,
                }
            )
            if merged is not None:
                merged_at[customer_id] = merged
        await _apply(session, Customer, customers)
        merges = await _all(session, CustomerMerge, CustomerMerge.source_id.in_(list(merged_at)))
        await _apply(
            session, CustomerMerge, [{"id": m.id, "created_at": merged_at[m.source_id]} for m in merges]
        )
        entries = await _all(session, AuditLog, AuditLog.action == "customer.merge")
        sources = [(e.id, (e.detail or {}).get("source_id")) for e in entries]
        await _apply(
            session, AuditLog, [{"id": i, "created_at": merged_at[s]} for i, s in sources if s in merged_at]
        )
        handed_off = {str(row.id): p.handoff_at for row, p in self.conversations if p.handoff_at}
        entries = await _all(session, AuditLog, AuditLog.action == "conversation.handoff")
        rows = [
            {"id": e.id, "created_at": handed_off[e.subject_id]}
            for e in entries
            if e.subject_id in handed_off
        ]
        await _apply(session, AuditLog, rows)
        ours = Identity.customer_id.in_(
            list(self.first_order_at)
        )  # a customer's channels were merged into it
        rows = [{"id": i.id, **self._identity_times(i)} for i in await _all(session, Identity, ours)]
        await _apply(session, Identity, rows)
        anonymous = [cid for cid, (_, merged) in self.channel_customers.items() if merged is None]
        rows = [
            {"id": i.id, **self._identity_times(i)}
            for i in await _all(session, Identity, Identity.customer_id.in_(anonymous))
        ]
        await _apply(session, Identity, rows)
        orders, shipments = [], []
        for planned in self.plan.orders:
            order = self.orders_by_number[planned.number]
            orders.append({"id": order.id, "created_at": planned.placed_at, "updated_at": planned.updated_at})
            if planned.shipment is not None and order.shipment is not None:
                shipments.append({"id": order.shipment.id, "updated_at": planned.shipment.events[-1].at})
        await _apply(session, Order, orders)
        await _apply(session, Shipment, shipments)
        # Merges and handoffs stamped some conversations with the wall clock.
        rows = [
            {"id": row.id, "updated_at": _conversation_updated_at(p), "handoff_at": p.handoff_at}
            for row, p in self.conversations
        ]
        await _apply(session, Conversation, rows)

    def _identity_times(self, identity: Identity) -> dict[str, Any]:
        user = self.identity_times.get((identity.channel, identity.external_id))
        if user is not None:
            return {
                "created_at": user.first_seen,
                "verified_at": user.verified_at if identity.verified else None,
                "last_seen_at": user.last_seen,
            }
        assert identity.channel in (IdentityKind.SHOP, IdentityKind.PHONE, IdentityKind.EMAIL)
        first = self.first_order_at[identity.customer_id]  # the shop's feed asserted it with the first order
        return {"created_at": first, "verified_at": first, "last_seen_at": None}


def _conversation_updated_at(planned: ConversationPlan) -> datetime:
    return max(filter(None, (planned.last_message_at, planned.resolved_at, planned.handoff_at)))


def _message(conversation: Conversation, planned: MessagePlan) -> dict[str, Any]:
    inbound = planned.direction is Direction.IN
    message: dict[str, Any] = {
        "conversation_id": conversation.id,
        "channel": conversation.channel,
        "direction": planned.direction,
        "sender": planned.sender,
        "text": planned.text,
        "external_message_id": planned.external_id,
        "intent": planned.intent,
        "confidence": planned.confidence,
        "delivery_status": DeliveryStatus.RECEIVED if inbound else DeliveryStatus.SENT,
        "created_at": planned.at,
    }
    # JSON columns store an explicit None as JSON 'null', not SQL NULL: name them only with a value.
    if planned.payload is not None:
        message["payload"] = planned.payload
    if inbound and planned.entities is not None:
        message["entities"] = planned.entities
    return message


async def _all(session: AsyncSession, model: Any, where: Any) -> Sequence[Any]:
    return (await session.scalars(select(model).where(where).order_by(model.id))).all()


async def _apply(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by primary key, naming every column set so no ``onupdate`` wall clock sneaks in, and
    give objects already in the session the same values without marking them changed."""
    if not rows:
        return
    await session.execute(update(model), rows)
    for row in rows:
        instance = session.identity_map.get(identity_key(model, row["id"]))
        if instance is not None:
            for name, value in row.items():
                if name != "id":
                    set_committed_value(instance, name, value)
