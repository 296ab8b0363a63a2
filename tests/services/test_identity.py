import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import identity
from bot.storage.base import utcnow
from bot.storage.models import (
    Conversation,
    Customer,
    CustomerMerge,
    Identity,
    IdentityKind,
    Order,
    VerificationMethod,
)


async def _count(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_new_channel_user_becomes_an_unverified_customer(session: AsyncSession) -> None:
    first = await identity.resolve_identity(
        session, channel="telegram", external_id="111", display_name="Sara"
    )
    again = await identity.resolve_identity(session, channel="telegram", external_id="111")
    assert first.id == again.id
    assert not first.verified
    customer = await session.get(Customer, first.customer_id)
    assert customer is not None and customer.name == "Sara"
    assert await _count(session, Customer) == 1


async def test_same_external_id_on_two_channels_is_two_customers(session: AsyncSession) -> None:
    tg = await identity.resolve_identity(session, channel="telegram", external_id="42")
    ig = await identity.resolve_identity(session, channel="instagram", external_id="42")
    assert tg.customer_id != ig.customer_id


async def _customer_with_phone(session: AsyncSession, phone: str) -> Customer:
    customer = Customer(name="سارا احمدی", phone=phone)
    session.add(customer)
    await session.flush()
    await identity.attach_identity(
        session,
        customer_id=customer.id,
        channel=IdentityKind.PHONE,
        external_id=phone,
        method=VerificationMethod.SHOP_DATA,
    )
    return customer


async def test_verifying_a_phone_links_the_channel_user_to_the_shop_customer(session: AsyncSession) -> None:
    known = await _customer_with_phone(session, "09121234567")
    tg = await identity.resolve_identity(session, channel="telegram", external_id="777")
    anonymous_id = tg.customer_id
    session.add(Conversation(customer_id=anonymous_id, identity_id=tg.id, channel="telegram"))
    await session.flush()

    linked = await identity.verify_with_phone(
        session, identity=tg, phone="+98 912 123 4567", method=VerificationMethod.TELEGRAM_CONTACT
    )

    assert linked.customer_id == known.id and linked.verified
    assert linked.method == VerificationMethod.TELEGRAM_CONTACT
    conversation = await session.scalar(select(Conversation))
    assert conversation is not None and conversation.customer_id == known.id
    anonymous = await session.get(Customer, anonymous_id)
    assert anonymous is not None and anonymous.merged_into_id == known.id
    resolved = await identity.access_customer(session, anonymous_id)
    assert resolved is not None and resolved.id == known.id


async def test_verifying_an_unknown_phone_makes_it_this_customers_phone(session: AsyncSession) -> None:
    tg = await identity.resolve_identity(session, channel="telegram", external_id="9")
    await identity.verify_with_phone(
        session, identity=tg, phone="۰۹۳۵۱۱۱۲۲۳۳", method=VerificationMethod.SMS_OTP
    )
    phone = await identity.find_identity(session, channel=IdentityKind.PHONE, external_id="09351112233")
    assert phone is not None and phone.verified and phone.customer_id == tg.customer_id
    customer = await session.get(Customer, tg.customer_id)
    assert customer is not None and customer.phone == "09351112233"
    assert tg.verified


async def test_an_identity_verified_for_another_customer_is_never_moved(session: AsyncSession) -> None:
    alice = await _customer_with_phone(session, "09120000001")
    bob = await _customer_with_phone(session, "09120000002")
    tg = await identity.resolve_identity(session, channel="telegram", external_id="5")
    await identity.verify_with_phone(
        session, identity=tg, phone="09120000001", method=VerificationMethod.SMS_OTP
    )
    assert tg.customer_id == alice.id

    with pytest.raises(identity.IdentityConflict):
        await identity.verify_with_phone(
            session, identity=tg, phone="09120000002", method=VerificationMethod.SMS_OTP
        )
    await session.refresh(tg)
    assert tg.customer_id == alice.id
    assert (
        await identity.attach_identity(
            session, customer_id=bob.id, channel="telegram", external_id="5", method=VerificationMethod.AGENT
        )
        is None
    )


async def test_a_customer_with_verified_identities_is_not_merged_silently(session: AsyncSession) -> None:
    alice = await _customer_with_phone(session, "09120000001")
    bob = await _customer_with_phone(session, "09120000002")
    web = await identity.resolve_identity(session, channel="webchat", external_id="v-1")
    await identity.verify_with_phone(
        session, identity=web, phone="09120000002", method=VerificationMethod.SMS_OTP
    )
    with pytest.raises(identity.IdentityConflict):
        await identity.verify_identity(
            session, identity=web, customer_id=alice.id, method=VerificationMethod.AGENT
        )
    assert web.customer_id == bob.id


async def test_merge_moves_everything_and_unmerge_restores_it(session: AsyncSession) -> None:
    target = await _customer_with_phone(session, "09120000001")
    tg = await identity.resolve_identity(session, channel="telegram", external_id="1", display_name="S")
    ig = await identity.resolve_identity(session, channel="instagram", external_id="2")
    source_id = tg.customer_id
    # give the source a second identity, a conversation and an order
    ig.customer_id = source_id
    await session.flush()
    conversation = Conversation(customer_id=source_id, identity_id=tg.id, channel="telegram")
    order = Order(number="555001", customer_id=source_id, status="paid", placed_at=utcnow(), total=1000)
    session.add_all([conversation, order])
    await session.flush()
    source = await session.get(Customer, source_id)
    assert source is not None
    source.email = "s@example.com"

    merge = await identity.merge_customers(session, source_id=source_id, target_id=target.id, reason="agent")
    await session.refresh(target)
    for row in (tg, ig, conversation, order):
        await session.refresh(row)
        assert row.customer_id == target.id
    assert target.email == "s@example.com"
    assert set(merge.moved["identities"]) == {tg.id, ig.id}

    # a conversation that starts after the merge on a moved identity goes back with it
    later = Conversation(customer_id=target.id, identity_id=ig.id, channel="instagram")
    session.add(later)
    await session.flush()

    await identity.unmerge(session, merge_id=merge.id)
    for row in (tg, ig, conversation, order, later):
        await session.refresh(row)
        assert row.customer_id == source_id
    await session.refresh(target)
    await session.refresh(source)
    assert target.email is None
    assert source.merged_into_id is None
    phone = await identity.find_identity(session, channel=IdentityKind.PHONE, external_id="09120000001")
    assert phone is not None and phone.customer_id == target.id
    with pytest.raises(identity.MergeError, match="already undone"):
        await identity.unmerge(session, merge_id=merge.id)


async def test_unmerge_after_verification_restores_the_unverified_state(session: AsyncSession) -> None:
    known = await _customer_with_phone(session, "09121234567")
    tg = await identity.resolve_identity(session, channel="telegram", external_id="3")
    before = tg.customer_id
    await identity.verify_with_phone(
        session, identity=tg, phone="09121234567", method=VerificationMethod.SMS_OTP
    )
    merge = await session.scalar(select(CustomerMerge))
    assert merge is not None and merge.target_id == known.id
    await identity.unmerge(session, merge_id=merge.id)
    await session.refresh(tg)
    assert tg.customer_id == before and not tg.verified and tg.method is None


@pytest.mark.parametrize(
    ("source", "target", "reason"),
    [("self", "self", "itself"), ("missing", "self", "exist")],
)
async def test_impossible_merges_are_refused(
    session: AsyncSession, source: str, target: str, reason: str
) -> None:
    customer = await _customer_with_phone(session, "09120000009")
    ids = {"self": customer.id, "missing": customer.id + 1000}
    with pytest.raises(identity.MergeError, match=reason):
        await identity.merge_customers(session, source_id=ids[source], target_id=ids[target], reason="agent")


async def test_a_chain_of_merges_resolves_to_the_last_customer(session: AsyncSession) -> None:
    a = Customer(name="a")
    b = Customer(name="b")
    c = Customer(name="c")
    session.add_all([a, b, c])
    await session.flush()
    await identity.merge_customers(session, source_id=a.id, target_id=b.id, reason="agent")
    await identity.merge_customers(session, source_id=b.id, target_id=c.id, reason="agent")
    resolved = await identity.access_customer(session, a.id)
    assert resolved is not None and resolved.id == c.id
    first = await session.scalar(select(CustomerMerge).where(CustomerMerge.source_id == a.id))
    assert first is not None
    with pytest.raises(identity.MergeError, match="undo that merge first"):
        await identity.unmerge(session, merge_id=first.id)


async def test_concurrent_turns_of_a_new_user_create_one_customer(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Eight turns of the same brand-new Telegram user resolve at once, each in its own transaction."""
    start = asyncio.Event()

    async def turn() -> int:
        async with sessionmaker() as session, session.begin():
            await start.wait()
            found = await identity.resolve_identity(session, channel="telegram", external_id="race")
            await asyncio.sleep(0.05)  # hold the transaction open so the others really overlap
            return found.customer_id

    tasks = [asyncio.create_task(turn()) for _ in range(8)]
    await asyncio.sleep(0.05)
    start.set()
    customer_ids = await asyncio.gather(*tasks)
    assert len(set(customer_ids)) == 1
    async with sessionmaker() as session:
        assert await _count(session, Identity) == 1
        assert await _count(session, Customer) == 1
