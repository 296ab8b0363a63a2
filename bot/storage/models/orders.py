"""The shop's order data, pushed by the shop (DESIGN §8), and what customers ask of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.base import Base, CreatedMixin, IdMixin, utcnow


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDED = "refunded"


class WarrantyStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_REPAIR = "in_repair"
    REPAIRED = "repaired"
    REPLACED = "replaced"
    REJECTED = "rejected"


class Order(IdMixin, CreatedMixin, Base):
    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(String(20))
    placed_at: Mapped[datetime] = mapped_column(index=True)
    total: Mapped[int] = mapped_column(BigInteger)  # Toman
    cancel_requested_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderItem.position", cascade="all, delete-orphan"
    )
    shipment: Mapped[Shipment | None] = relationship(
        back_populates="order", lazy="raise", cascade="all, delete-orphan"
    )


class OrderItem(IdMixin, Base):
    __tablename__ = "order_items"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)  # Toman
    serial_number: Mapped[str | None] = mapped_column(String(64), index=True)
    warranty_months: Mapped[int | None] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="items", lazy="raise")


class Shipment(IdMixin, Base):
    __tablename__ = "shipments"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32))
    expected_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="shipment", lazy="raise")
    events: Mapped[list[ShipmentEvent]] = relationship(
        back_populates="shipment", lazy="raise", order_by="ShipmentEvent.at", cascade="all, delete-orphan"
    )


class ShipmentEvent(IdMixin, Base):
    __tablename__ = "shipment_events"
    __table_args__ = (UniqueConstraint("shipment_id", "at", "status"),)

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(500))

    shipment: Mapped[Shipment] = relationship(back_populates="events", lazy="raise")


class ReturnRequest(IdMixin, CreatedMixin, Base):
    __tablename__ = "return_requests"

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    reason: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReturnStatus] = mapped_column(String(16), default=ReturnStatus.REQUESTED)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WarrantyClaim(IdMixin, CreatedMixin, Base):
    __tablename__ = "warranty_claims"

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    fault_description: Mapped[str] = mapped_column(Text)
    status: Mapped[WarrantyStatus] = mapped_column(String(16), default=WarrantyStatus.SUBMITTED)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
