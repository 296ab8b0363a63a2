"""Canned responses: ready replies with placeholders the console fills for the conversation at hand.

Placeholders: ``{customer_name}`` (the customer's name, or a polite form of address when unknown) and
``{order_number}`` (the customer's most recent order, in Persian digits). Unknown placeholders are
refused when the response is saved, so an agent never sends a literal ``{…}`` to a customer.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.console import ConsoleError, NotFound
from bot.storage.models import Agent, CannedResponse, Customer, Order
from bot.text.digits import to_persian_digits

PLACEHOLDERS = ("customer_name", "order_number")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SHORTCUT = re.compile(r"^[\w\-]{1,64}$")
DEFAULT_NAME = "مشتری گرامی"


def check_canned(*, shortcut: str, title: str, text: str) -> tuple[str, str, str]:
    shortcut, title, text = shortcut.strip(), title.strip(), text.strip()
    if not _SHORTCUT.match(shortcut):
        raise ConsoleError("میان‌بر باید ۱ تا ۶۴ حرف، رقم، - یا _ باشد.")
    if not title or len(title) > 200:
        raise ConsoleError("عنوان باید ۱ تا ۲۰۰ نویسه باشد.")
    if not text or len(text) > 4000:
        raise ConsoleError("متن باید ۱ تا ۴۰۰۰ نویسه باشد.")
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise ConsoleError(
            "جای‌نگهدار ناشناخته: "
            + "، ".join(f"{{{name}}}" for name in unknown)
            + " (مجاز: {customer_name}، {order_number})"
        )
    return shortcut, title, text


async def list_canned(session: AsyncSession) -> list[CannedResponse]:
    return list(await session.scalars(select(CannedResponse).order_by(CannedResponse.shortcut)))


async def create_canned(
    session: AsyncSession, agent: Agent, *, shortcut: str, title: str, text: str
) -> CannedResponse:
    shortcut, title, text = check_canned(shortcut=shortcut, title=title, text=text)
    await _check_unique(session, shortcut)
    row = CannedResponse(shortcut=shortcut, title=title, text=text, created_by_id=agent.id)
    session.add(row)
    await session.flush()
    _audit(session, agent, "canned.created", row)
    return row


async def update_canned(
    session: AsyncSession, agent: Agent, canned_id: int, *, shortcut: str, title: str, text: str
) -> CannedResponse:
    row = await _get(session, canned_id)
    shortcut, title, text = check_canned(shortcut=shortcut, title=title, text=text)
    if shortcut != row.shortcut:
        await _check_unique(session, shortcut)
    row.shortcut, row.title, row.text = shortcut, title, text
    await session.flush()
    _audit(session, agent, "canned.updated", row)
    return row


async def delete_canned(session: AsyncSession, agent: Agent, canned_id: int) -> None:
    row = await _get(session, canned_id)
    _audit(session, agent, "canned.deleted", row)
    await session.delete(row)
    await session.flush()


async def placeholder_values(session: AsyncSession, customer: Customer) -> dict[str, str]:
    latest = await session.scalar(
        select(Order.number)
        .where(Order.customer_id == customer.id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    )
    return {
        "customer_name": customer.name or DEFAULT_NAME,
        "order_number": to_persian_digits(latest) if latest else "",
    }


def fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


async def _get(session: AsyncSession, canned_id: int) -> CannedResponse:
    row = await session.get(CannedResponse, canned_id)
    if row is None:
        raise NotFound("پاسخ آماده‌ای با این شناسه نیست.")
    return row


async def _check_unique(session: AsyncSession, shortcut: str) -> None:
    if await session.scalar(select(CannedResponse.id).where(CannedResponse.shortcut == shortcut)):
        raise ConsoleError(f"میان‌بر «{shortcut}» پیش‌تر استفاده شده است.")


def _audit(session: AsyncSession, agent: Agent, action: str, row: CannedResponse) -> None:
    audit.record(
        session,
        action=action,
        subject_type="canned_response",
        subject_id=row.id,
        actor_type="agent",
        actor_id=agent.id,
        detail={"shortcut": row.shortcut},
    )
