from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dialogue.tracker import event, slot_event
from bot.services import identity, privacy
from bot.services.signed_links import LinkInvalid
from bot.storage.base import utcnow
from bot.storage.models import (
    Agent,
    AuditLog,
    Conversation,
    CsatResponse,
    Customer,
    Direction,
    Identity,
    InboundUpdate,
    Message,
    Note,
    Order,
    OrderItem,
    Outbox,
    OutboxKind,
    OutboxStatus,
    ReturnRequest,
    Sender,
    TrackerEvent,
    VerificationCode,
    VerificationMethod,
    WarrantyClaim,
)
from tests.leaks import find_text
from tests.shop import REZA_PHONE, SARA_PHONE, KnownShop, load_known_shop

TELEGRAM_ID = "tg-5512098"
SARA_SAID = "من سارا هستم، شماره‌ام ۰۹۱۲ ۱۲۳ ۴۵۶۷ است و آدرسم خیابان ولیعصر پلاک ۱۲"
SARA_NEEDLES = [
    "سارا احمدی",
    "سارا",
    "Sara A",
    SARA_PHONE,
    "sara.ahmadi@example.com",
    TELEGRAM_ID,
    "u-1",
    "خیابان ولیعصر",
    "صفحه‌نمایش کتری",
    "خانم احمدی",
    "بسته باز شده بود",
]


@dataclass
class World:
    shop: KnownShop
    telegram: Identity
    conversation: Conversation
    reza_conversation: Conversation


async def _world(session: AsyncSession) -> World:
    """Sara as the shop knows her, plus everything a support history leaves: a Telegram account merged in,
    a conversation with messages and tracker events, a note, a CSAT comment, a return, a warranty claim,
    codes and outbox rows. Reza has a conversation too, which erasing Sara must not touch."""
    shop = await load_known_shop(session)
    telegram = await identity.resolve_identity(
        session, channel="telegram", external_id=TELEGRAM_ID, display_name="Sara A"
    )
    conversation = Conversation(customer_id=telegram.customer_id, identity_id=telegram.id, channel="telegram")
    session.add(conversation)
    await session.flush()
    await identity.verify_with_phone(
        session, identity=telegram, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
    )
    await session.refresh(conversation)
    agent = Agent(email="agent@shop.test", name="Agent", password_hash="x")
    item = await session.scalar(select(OrderItem).where(OrderItem.sku == "KT-2"))
    order = await session.scalar(select(Order).where(Order.number == "1000002"))
    assert item is not None and order is not None
    session.add_all(
        [
            agent,
            Message(
                conversation_id=conversation.id,
                channel="telegram",
                direction=Direction.IN,
                sender=Sender.CUSTOMER,
                text=SARA_SAID,
                payload={"contact": {"phone_number": SARA_PHONE}},
                entities={"entities": [{"entity": "phone", "value": SARA_PHONE}]},
                delivery_status="received",
            ),
            Message(
                conversation_id=conversation.id,
                channel="telegram",
                direction=Direction.OUT,
                sender=Sender.BOT,
                text="فاکتور به sara.ahmadi@example.com ایمیل شد",
                delivery_status="sent",
            ),
            TrackerEvent(
                conversation_id=conversation.id,
                type="user",
                data=event(
                    "user",
                    text=SARA_SAID,
                    parse_data={
                        "intent": {"name": "inform", "confidence": 0.9},
                        "entities": [{"entity": "phone", "value": SARA_PHONE}],
                    },
                    metadata={"name": "Sara A"},
                ),
            ),
            TrackerEvent(conversation_id=conversation.id, type="slot", data=slot_event("phone", SARA_PHONE)),
            TrackerEvent(
                conversation_id=conversation.id,
                type="bot",
                data=event(
                    "bot",
                    text="سلام سارا احمدی",
                    data={"buttons": None},
                    metadata={"utter_action": "utter_greet"},
                ),
            ),
            TrackerEvent(
                conversation_id=conversation.id, type="action", data=event("action", name="action_listen")
            ),
            VerificationCode(
                identity_id=telegram.id,
                phone=SARA_PHONE,
                code_hash="h" * 64,
                expires_at=utcnow() + timedelta(minutes=5),
            ),
            Outbox(
                kind=OutboxKind.SMS,
                channel="sms",
                target=SARA_PHONE,
                ordering_key=f"sms:{SARA_PHONE}",
                body={"to": SARA_PHONE, "text": "کد تأیید: 123456"},
            ),
            Outbox(
                kind=OutboxKind.EMAIL,
                channel="email",
                target="sara.ahmadi@example.com",
                ordering_key="email:sara.ahmadi@example.com",
                status=OutboxStatus.SENT,
                body={"to": "sara.ahmadi@example.com", "subject": "فاکتور", "text": "سارا احمدی عزیز"},
            ),
            Outbox(
                kind=OutboxKind.MESSAGE,
                channel="telegram",
                target=TELEGRAM_ID,
                conversation_id=conversation.id,
                ordering_key=f"telegram:{TELEGRAM_ID}",
                body={"text": "سلام سارا"},
            ),
            InboundUpdate(
                channel="telegram",
                external_id="update-1",
                ordering_key=f"telegram:{TELEGRAM_ID}",
                payload={"text": SARA_SAID, "display_name": "Sara A"},
            ),
        ]
    )
    await session.flush()
    session.add_all(
        [
            Note(conversation_id=conversation.id, customer_id=shop.sara_id, agent_id=agent.id,
                 text="خانم احمدی پیگیر است"),
            CsatResponse(conversation_id=conversation.id, customer_id=shop.sara_id, score=5,
                         comment="خانم احمدی خیلی راضی است"),
            ReturnRequest(reference="R-1", customer_id=shop.sara_id, order_id=order.id, order_item_id=item.id,
                          conversation_id=conversation.id, reason="damaged", comment="بسته باز شده بود"),
            WarrantyClaim(reference="W-1", customer_id=shop.sara_id, order_item_id=item.id,
                          serial_number="KT77120QZ", fault_description="صفحه‌نمایش کتری روشن نمی‌شود"),
        ]
    )  # fmt: skip
    reza_user = await identity.resolve_identity(session, channel="rest", external_id="reza-web")
    await identity.verify_with_phone(
        session, identity=reza_user, phone=REZA_PHONE, method=VerificationMethod.SMS_OTP
    )
    reza_conversation = Conversation(customer_id=shop.reza_id, identity_id=reza_user.id, channel="rest")
    session.add(reza_conversation)
    await session.flush()
    session.add(
        Message(conversation_id=reza_conversation.id, channel="rest", direction=Direction.IN, sender=Sender.CUSTOMER,
                text="رضا اینجاست، سفارشم کجاست", delivery_status="received")
    )  # fmt: skip
    await session.flush()
    return World(shop, telegram, conversation, reza_conversation)


async def _sara(session: AsyncSession, world: World) -> Customer:
    customer = await session.get(Customer, world.shop.sara_id)
    assert customer is not None
    return customer


async def test_only_a_strongly_verified_identity_may_ask(session: AsyncSession) -> None:
    world = await _world(session)
    assert (await privacy.verified_customer(session, world.telegram.id)).id == world.shop.sara_id  # type: ignore[union-attr]
    stranger = await identity.resolve_identity(session, channel="rest", external_id="stranger")
    assert await privacy.verified_customer(session, stranger.id) is None
    opened_by_order = await identity.resolve_identity(session, channel="rest", external_id="order-phone")
    await identity.verify_with_phone(
        session, identity=opened_by_order, phone=REZA_PHONE, method=VerificationMethod.ORDER_PHONE
    )
    assert await privacy.verified_customer(session, opened_by_order.id) is None


async def test_the_export_holds_everything_kept_about_the_customer(session: AsyncSession) -> None:
    world = await _world(session)
    data = await privacy.export_customer(session, await _sara(session, world))
    assert data["customer"]["name"] == "سارا احمدی" and data["customer"]["phone"] == SARA_PHONE
    assert [p["name"] for p in data["merged_profiles"]] == ["Sara A"]
    assert {(i["channel"], i["external_id"]) for i in data["identities"]} >= {
        ("telegram", TELEGRAM_ID),
        ("phone", SARA_PHONE),
        ("email", "sara.ahmadi@example.com"),
        ("shop", "u-1"),
    }
    orders = {o["number"]: o for o in data["orders"]}
    assert set(orders) == {"1000001", "1000002", "1000003", "1000004"}
    assert [i["title"] for i in orders["1000002"]["items"]] == ["تی‌شرت نخی", "رژ لب", "کتری برقی"]
    assert orders["1000002"]["shipment"]["events"][-1]["description"] == "تحویل به گیرنده"
    assert data["return_requests"][0]["comment"] == "بسته باز شده بود"
    assert data["warranty_claims"][0]["fault_description"] == "صفحه‌نمایش کتری روشن نمی‌شود"
    (conversation,) = data["conversations"]
    assert conversation["messages"][0]["text"] == SARA_SAID
    assert data["satisfaction"][0]["comment"] == "خانم احمدی خیلی راضی است"
    assert "رضا" not in str(data)


async def test_an_export_link_is_audited_and_told_to_the_shop(
    session: AsyncSession, settings: Settings
) -> None:
    world = await _world(session)
    with_shop = settings.model_copy(update={"shop_webhook_url": "https://shop.test/hook"})
    sara = await _sara(session, world)
    link = await privacy.request_export(session, with_shop, customer=sara, identity_id=world.telegram.id)
    assert link.url.startswith(f"{settings.public_url}/privacy/export/")
    assert link.expires_at - utcnow() <= timedelta(hours=settings.export_link_hours)
    data = await privacy.access_export(session, with_shop, token=link.token)
    assert data["customer"]["id"] == sara.id
    actions = list(
        await session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("privacy.%")).order_by(AuditLog.id)
        )
    )
    assert actions == ["privacy.export.requested", "privacy.export.downloaded"]
    body = await session.scalar(select(Outbox.body).where(Outbox.kind == OutboxKind.SHOP_EVENT))
    assert body is not None and body["event"] == "privacy.export_requested"
    assert body["data"] == {"customer_id": sara.id, "shop_customer_ids": ["u-1"]}
    with pytest.raises(LinkInvalid):
        await privacy.access_export(session, with_shop, token=link.token[:-3] + "AAA")


async def test_erasure_leaves_nothing_personal_in_any_table(
    session: AsyncSession, settings: Settings
) -> None:
    world = await _world(session)
    assert len(await find_text(session, SARA_NEEDLES)) > 20  # the search sees what is there
    sara = await _sara(session, world)
    with_shop = settings.model_copy(update={"shop_webhook_url": "https://shop.test/hook"})
    await privacy.erase_customer(session, with_shop, customer=sara, identity_id=world.telegram.id)
    await session.flush()
    session.expunge_all()

    leaks = [leak for leak in await find_text(session, SARA_NEEDLES) if leak[:2] != ("outbox", "body")]
    assert leaks == []
    shop_event = await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.SHOP_EVENT))
    assert shop_event is not None and shop_event.body["event"] == "privacy.erased"
    # the shop is told its own account id, so it can erase too; nothing else personal is in the event
    assert shop_event.body["data"] == {"customer_id": world.shop.sara_id, "shop_customer_ids": ["u-1"]}
    other_outbox = await find_text(session, [n for n in SARA_NEEDLES if n != "u-1"])
    assert other_outbox == []

    # What the law keeps stays, on an anonymous record.
    sara = await session.get(Customer, world.shop.sara_id)
    assert sara is not None and sara.erased_at is not None and sara.name is None
    numbers = set(await session.scalars(select(Order.number).where(Order.customer_id == sara.id)))
    assert numbers == {"1000001", "1000002", "1000003", "1000004"}
    assert await session.scalar(select(func.count()).select_from(OrderItem)) == 7
    kept_return = await session.scalar(select(ReturnRequest))
    assert kept_return is not None and kept_return.reason == "damaged" and kept_return.comment is None
    assert await session.scalar(select(func.count()).select_from(VerificationCode)) == 0
    telegram = await session.get(Identity, world.telegram.id)
    assert telegram is not None and not telegram.verified and telegram.external_id != TELEGRAM_ID
    assert await identity.find_identity(session, channel="phone", external_id=SARA_PHONE) is None
    assert (
        await session.scalar(select(Outbox.status).where(Outbox.kind == OutboxKind.SMS))
        == OutboxStatus.FAILED
    )
    events = list(await session.scalars(select(TrackerEvent.data).order_by(TrackerEvent.id)))
    assert [e["event"] for e in events] == ["user", "slot", "bot", "action"]
    assert events[0]["parse_data"]["intent"]["name"] == "inform" and events[1] == {
        "event": "slot",
        "timestamp": events[1]["timestamp"],
        "name": "phone",
        "value": None,
    }
    erased = await session.scalar(select(AuditLog).where(AuditLog.action == "privacy.erased"))
    assert erased is not None and erased.subject_id == str(world.shop.sara_id)

    # Someone else's data is untouched.
    assert await find_text(session, ["رضا کریمی", REZA_PHONE, "رضا اینجاست"])
    reza = await session.get(Customer, world.shop.reza_id)
    assert reza is not None and reza.erased_at is None and reza.name == "رضا کریمی"
    assert await privacy.verified_customer(session, world.telegram.id) is None


async def test_an_erased_customer_has_nothing_to_download(session: AsyncSession, settings: Settings) -> None:
    world = await _world(session)
    sara = await _sara(session, world)
    link = await privacy.request_export(session, settings, customer=sara, identity_id=world.telegram.id)
    await privacy.erase_customer(session, settings, customer=sara, identity_id=world.telegram.id)
    with pytest.raises(LookupError):
        await privacy.access_export(session, settings, token=link.token)


def test_scrubbed_events_keep_what_happened_not_what_was_said() -> None:
    assert privacy.scrub_event({"event": "action", "timestamp": 1.0, "name": "otp_form", "policy": None}) == {
        "event": "action",
        "timestamp": 1.0,
        "name": "otp_form",
        "policy": None,
    }
    assert privacy.scrub_event({"event": "reminder", "timestamp": 2.0, "entities": [{"value": "x"}]}) == {
        "event": "reminder",
        "timestamp": 2.0,
    }
