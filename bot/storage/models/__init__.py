"""Every table of DESIGN §3. Import models from here."""

from bot.storage.base import Base
from bot.storage.models.agents import Agent, AgentRole, AuditLog, CannedResponse, CsatResponse, Note
from bot.storage.models.console import AgentSession, FirstResponse, LoginAttempt
from bot.storage.models.conversations import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
    Sender,
)
from bot.storage.models.customers import Customer, CustomerMerge, Identity, IdentityKind, VerificationMethod
from bot.storage.models.dialogue import TrackerEvent, VerificationCode
from bot.storage.models.inbound import InboundStatus, InboundUpdate
from bot.storage.models.orders import (
    Order,
    OrderItem,
    OrderStatus,
    ReturnRequest,
    ReturnStatus,
    Shipment,
    ShipmentEvent,
    WarrantyClaim,
    WarrantyStatus,
)
from bot.storage.models.outbox import Outbox, OutboxKind, OutboxStatus

__all__ = [
    "Agent",
    "AgentRole",
    "AgentSession",
    "AuditLog",
    "Base",
    "CannedResponse",
    "Conversation",
    "ConversationStatus",
    "CsatResponse",
    "Customer",
    "CustomerMerge",
    "DeliveryStatus",
    "Direction",
    "FirstResponse",
    "Identity",
    "IdentityKind",
    "InboundStatus",
    "InboundUpdate",
    "LoginAttempt",
    "Message",
    "Note",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Outbox",
    "OutboxKind",
    "OutboxStatus",
    "ReturnRequest",
    "ReturnStatus",
    "Sender",
    "Shipment",
    "ShipmentEvent",
    "TrackerEvent",
    "VerificationCode",
    "VerificationMethod",
    "WarrantyClaim",
    "WarrantyStatus",
]
