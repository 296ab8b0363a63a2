"""Shapes of the console's JSON API. Inputs forbid unknown fields, so a typo is a 422, not a no-op."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.v1.schemas import IdentityOut, OrderOut, UtcTime


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class LoginIn(_In):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class AgentOut(_Out):
    id: int
    name: str
    role: str
    active: bool


class AgentDetailOut(AgentOut):
    email: str
    last_login_at: UtcTime | None
    created_at: UtcTime


class SessionOut(BaseModel):
    agent: AgentOut
    csrf_token: str
    expires_at: UtcTime


class AgentIn(_In):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    role: Literal["agent", "admin"] = "agent"
    password: Annotated[str, StringConstraints(max_length=1024)]  # the service says why one is too short


class QueueItemOut(BaseModel):
    conversation_id: int
    customer_id: int
    channel: str
    status: str
    customer_name: str | None
    reason: str | None
    handoff_at: UtcTime | None
    waiting_seconds: int | None
    last_customer_message: str | None
    last_customer_at: UtcTime | None
    assignee_id: int | None


class ConversationOut(_Out):
    id: int
    customer_id: int
    channel: str
    status: str
    assignee_id: int | None
    handoff_reason: str | None
    handoff_at: UtcTime | None
    resolved_at: UtcTime | None
    created_at: UtcTime
    last_message_at: UtcTime


class ThreadOut(ConversationOut):
    assignee_name: str | None


class ReturnOut(BaseModel):
    reference: str
    order_number: str
    item_title: str
    reason: str
    status: str
    created_at: UtcTime


class WarrantyOut(BaseModel):
    reference: str
    item_title: str
    serial_number: str | None
    fault_description: str
    status: str
    created_at: UtcTime


class CsatOut(_Out):
    conversation_id: int
    score: int
    comment: str | None
    agent_id: int | None
    created_at: UtcTime


class NoteOut(BaseModel):
    id: int
    conversation_id: int
    agent_id: int
    agent_name: str
    text: str
    created_at: UtcTime


class ProfileOut(_Out):
    id: int
    name: str | None
    phone: str | None
    email: str | None
    loyalty_card: str | None
    preferred_channel: str | None
    created_at: UtcTime
    erased_at: UtcTime | None


class CustomerViewOut(BaseModel):
    profile: ProfileOut
    identities: list[IdentityOut]
    orders: list[OrderOut]
    returns: list[ReturnOut]
    warranty_claims: list[WarrantyOut]
    csat: list[CsatOut]
    notes: list[NoteOut]
    conversations: list[ThreadOut]


class ConversationDetailOut(BaseModel):
    conversation: ConversationOut
    customer: CustomerViewOut
    can_reply: bool
    agents: list[AgentOut]  # who the conversation can be transferred to


class MessageIn(_In):
    text: Text


class MessageOut(_Out):
    id: int
    conversation_id: int
    channel: str
    sender: str
    agent_id: int | None
    text: str | None
    payload: dict[str, Any] | None
    delivery_status: str
    delivery_error: str | None
    created_at: UtcTime


class NoteIn(_In):
    text: Text


class TransferIn(_In):
    agent_id: Annotated[int, Field(ge=1, le=2**62)]


class CannedIn(_In):
    shortcut: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    text: Text


class CannedOut(_Out):
    id: int
    shortcut: str
    title: str
    text: str
    filled: str | None = None  # the text with placeholders filled for ?conversation_id=


class AuditOut(_Out):
    id: int
    created_at: UtcTime
    actor_type: str
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str | None
    detail: dict[str, Any] | None


class EraseIn(_In):
    confirm: Literal[True]


class ErasedOut(BaseModel):
    customer_id: int
    erased_at: UtcTime
