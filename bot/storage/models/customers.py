"""The single customer ID: customers, their channel identities, and recorded merges (DESIGN §3, §4)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.base import Base, BigId, CreatedMixin, IdMixin, utcnow


class VerificationMethod(StrEnum):
    TELEGRAM_CONTACT = "telegram_contact"
    SMS_OTP = "sms_otp"
    SHOP_TOKEN = "shop_token"
    ORDER_PHONE = "order_phone"
    AGENT = "agent"
    SHOP_DATA = "shop_data"  # asserted by the shop's own order feed (PUT /api/v1/orders)


class IdentityKind(StrEnum):
    """Identity channels that are not messaging channels; messaging channels use their own name."""

    PHONE = "phone"
    EMAIL = "email"
    SHOP = "shop"
    LOYALTY = "loyalty"


class Customer(IdMixin, CreatedMixin, Base):
    __tablename__ = "customers"

    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    loyalty_card: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="fa")
    preferred_channel: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    identities: Mapped[list[Identity]] = relationship(back_populates="customer", lazy="raise")


class Identity(IdMixin, CreatedMixin, Base):
    """One way of reaching or recognising a customer: a Telegram user, a phone, a shop account…"""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[VerificationMethod | None] = mapped_column(String(32))
    verified_at: Mapped[datetime | None]
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship(back_populates="identities", lazy="raise")


class CustomerMerge(IdMixin, CreatedMixin, Base):
    """A merge of one customer into another, with enough recorded to undo it exactly."""

    __tablename__ = "customer_merges"

    source_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    actor_agent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("agents.id"))
    # {"conversations": [ids], "identities": [ids], "orders": [ids], ..., "identity_state": {...},
    #  "filled_fields": [names]}: what moved, so unmerge can put back exactly that.
    moved: Mapped[dict[str, Any]]
    undone_at: Mapped[datetime | None]
