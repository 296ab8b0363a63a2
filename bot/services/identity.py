"""The single customer ID: resolve channel users to customers, verify and link, merge and unmerge (DESIGN §4).

Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.merge import MergeError, merge_customers, unmerge
from bot.storage.base import utcnow
from bot.storage.models import Customer, Identity, IdentityKind, VerificationMethod
from bot.text.phone import normalize_phone

__all__ = [
    "IdentityConflict",
    "MergeError",
    "access_customer",
    "attach_identity",
    "claim_identity",
    "find_identities",
    "find_identity",
    "insert_identity",
    "merge_customers",
    "resolve_identity",
    "unmerge",
    "verify_identity",
    "verify_shop_account",
    "verify_with_email",
    "verify_with_phone",
]


LAST_SEEN_RESOLUTION = timedelta(minutes=5)


class IdentityConflict(Exception):
    """The identity, or the customer it belongs to, is verified for someone else: only an admin may merge."""

    def __init__(self, identity: Identity, target_id: int) -> None:
        super().__init__(
            f"identity {identity.channel}:{identity.id} belongs to customer {identity.customer_id}, "
            f"not {target_id}; an admin merge is needed"
        )
        self.identity = identity
        self.target_id = target_id


async def find_identity(session: AsyncSession, *, channel: str, external_id: str) -> Identity | None:
    return await session.scalar(
        select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
    )


async def access_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    """The customer with this id, following merges to the customer that absorbed it."""
    seen: set[int] = set()
    customer = await session.get(Customer, customer_id)
    while customer is not None and customer.merged_into_id is not None and customer.id not in seen:
        seen.add(customer.id)
        customer = await session.get(Customer, customer.merged_into_id)
    return customer


async def resolve_identity(
    session: AsyncSession, *, channel: str, external_id: str, display_name: str | None = None
) -> Identity:
    """The identity for a channel user, creating it on a new unverified customer the first time.

    Safe under concurrency: two turns resolving the same new user at once end with one customer,
    because the unique (channel, external_id) index decides and the loser reads the winner's row.
    """
    identity = await find_identity(session, channel=channel, external_id=external_id)
    if identity is None:
        identity = await _create_with_customer(session, channel, external_id, display_name)
    now = utcnow()
    if not identity.reachable:
        identity.reachable = True  # they wrote to us: whatever blocked delivery (a blocked bot) is over
    if identity.last_seen_at is None or now - identity.last_seen_at > LAST_SEEN_RESOLUTION:
        identity.last_seen_at = now  # not on every message: one write saved per turn
    if display_name and not identity.display_name:
        identity.display_name = display_name
    return identity


async def _create_with_customer(
    session: AsyncSession, channel: str, external_id: str, display_name: str | None
) -> Identity:
    customer = Customer(name=display_name, preferred_channel=channel)
    session.add(customer)
    await session.flush()
    identity = await insert_identity(
        session, customer_id=customer.id, channel=channel, external_id=external_id, display_name=display_name
    )
    if identity is not None:
        return identity
    # A concurrent turn created this user first: use its row and drop our customer.
    await session.delete(customer)
    existing = await find_identity(session, channel=channel, external_id=external_id)
    if existing is None:
        raise RuntimeError(f"identity {channel}:{external_id} vanished during creation")
    return existing


async def insert_identity(
    session: AsyncSession,
    *,
    customer_id: int,
    channel: str,
    external_id: str,
    method: VerificationMethod | None = None,
    display_name: str | None = None,
) -> Identity | None:
    """Insert the identity, or return None when ``(channel, external_id)`` exists already.

    One statement (INSERT … ON CONFLICT DO NOTHING), so a concurrent insert of the same identity waits
    for the other transaction instead of failing it.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    verified_at = utcnow() if method is not None else None
    statement = (
        insert(Identity)
        .values(
            customer_id=customer_id,
            channel=channel,
            external_id=external_id,
            display_name=display_name,
            verified=method is not None,
            method=method,
            verified_at=verified_at,
            reachable=True,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(Identity)
    )
    return await session.scalar(statement, execution_options={"populate_existing": True})


async def find_identities(
    session: AsyncSession, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Identity]:
    """Several identities in one query, by (channel, external_id)."""
    if not keys:
        return {}
    rows = await session.scalars(
        select(Identity).where(tuple_(Identity.channel, Identity.external_id).in_(keys))
    )
    return {(i.channel, i.external_id): i for i in rows}


async def attach_identity(
    session: AsyncSession,
    *,
    customer_id: int,
    channel: str,
    external_id: str,
    method: VerificationMethod,
) -> Identity | None:
    """Give a customer a verified identity (a phone, an email, a shop account).

    Returns None, changing nothing, when that identity is already verified for another customer.
    """
    existing = await find_identity(session, channel=channel, external_id=external_id)
    return await claim_identity(
        session, existing, customer_id=customer_id, channel=channel, external_id=external_id, method=method
    )


async def claim_identity(
    session: AsyncSession,
    existing: Identity | None,
    *,
    customer_id: int,
    channel: str,
    external_id: str,
    method: VerificationMethod,
) -> Identity | None:
    """attach_identity for a caller that has just looked the identity up (``existing``, None if absent)."""
    identity = existing
    if identity is None:
        identity = await insert_identity(
            session, customer_id=customer_id, channel=channel, external_id=external_id, method=method
        )
        if identity is not None:
            return identity
        identity = await find_identity(
            session, channel=channel, external_id=external_id
        )  # inserted meanwhile
        assert identity is not None
    if identity.customer_id != customer_id:
        if identity.verified:
            return None
        identity.customer_id = customer_id
    if not identity.verified:
        identity.verified, identity.method, identity.verified_at = True, method, utcnow()
    return identity


async def verify_identity(
    session: AsyncSession, *, identity: Identity, customer_id: int, method: VerificationMethod
) -> Identity:
    """Mark a channel identity as proven to belong to ``customer_id``, merging the customer it came from.

    Never moves an identity verified for another customer, and never silently merges a customer that
    has verified identities of its own: both raise IdentityConflict.
    """
    target = await access_customer(session, customer_id)
    if target is None:
        raise LookupError(f"customer {customer_id} does not exist")
    if identity.customer_id != target.id:
        if identity.verified or await _has_verified_identities(session, identity.customer_id, identity.id):
            raise IdentityConflict(identity, target.id)
        state = {str(identity.id): _verification_state(identity)}
        await merge_customers(
            session,
            source_id=identity.customer_id,
            target_id=target.id,
            reason=method.value,
            identity_state=state,
        )
        await session.refresh(identity)
    if not identity.verified:
        identity.verified, identity.method, identity.verified_at = True, method, utcnow()
    await session.flush()
    return identity


async def verify_with_phone(
    session: AsyncSession, *, identity: Identity, phone: str, method: VerificationMethod
) -> Identity:
    """The customer proved they hold ``phone`` (shared Telegram contact, SMS code): link to its owner.

    With no customer owning that phone yet, the phone becomes a verified identity of this one.
    """
    return await _verify_with(session, identity, IdentityKind.PHONE, normalize_phone(phone), method)


async def verify_with_email(
    session: AsyncSession, *, identity: Identity, email: str, method: VerificationMethod
) -> Identity:
    return await _verify_with(session, identity, IdentityKind.EMAIL, email.strip().lower(), method)


async def verify_shop_account(session: AsyncSession, *, identity: Identity, shop_user_id: str) -> Identity:
    """The shop vouched (a signed widget token) that this visitor is its logged-in user ``shop_user_id``."""
    return await _verify_with(
        session, identity, IdentityKind.SHOP, shop_user_id, VerificationMethod.SHOP_TOKEN
    )


async def _verify_with(
    session: AsyncSession, identity: Identity, kind: IdentityKind, value: str, method: VerificationMethod
) -> Identity:
    owner = await find_identity(session, channel=kind, external_id=value)
    if owner is not None and owner.verified and owner.customer_id != identity.customer_id:
        return await verify_identity(session, identity=identity, customer_id=owner.customer_id, method=method)
    await attach_identity(
        session, customer_id=identity.customer_id, channel=kind, external_id=value, method=method
    )
    customer = await session.get(Customer, identity.customer_id)
    if (
        customer is not None
        and kind in (IdentityKind.PHONE, IdentityKind.EMAIL)
        and getattr(customer, kind.value) is None
    ):
        setattr(customer, kind.value, value)
    return await verify_identity(session, identity=identity, customer_id=identity.customer_id, method=method)


async def _has_verified_identities(session: AsyncSession, customer_id: int, excluding_id: int) -> bool:
    found = await session.scalar(
        select(Identity.id)
        .where(Identity.customer_id == customer_id, Identity.verified.is_(True), Identity.id != excluding_id)
        .limit(1)
    )
    return found is not None


def _verification_state(identity: Identity) -> dict[str, object]:
    return {
        "verified": identity.verified,
        "method": identity.method,
        "verified_at": identity.verified_at.isoformat() if identity.verified_at else None,
    }
