"""Invoices: a signed, expiring link to a printable page, or an email to a verified address.

The page itself is rendered by ``api/public.py`` from :class:`Invoice`, which holds every number it
shows, computed here once: line totals, the items' subtotal, and any difference to the order total
(shipping, discounts) the shop's feed folded into it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit, orders, signed_links
from bot.services.email import queue_email
from bot.services.signed_links import SignedLink
from bot.storage.models import Customer, Identity, IdentityKind, Order, OrderStatus, Outbox
from bot.text.digits import to_persian_digits
from bot.text.jalali import format_date, format_datetime
from bot.text.money import format_toman

INVOICE_PATH = "invoices"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    title: str
    sku: str
    quantity: int
    unit_price: int  # Toman
    total: int


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    placed_at: datetime
    status: str
    buyer_name: str | None
    lines: tuple[InvoiceLine, ...]
    subtotal: int
    total: int

    @property
    def adjustment(self) -> int:
        """Order total minus the items: shipping (positive) or a discount (negative)."""
        return self.total - self.subtotal


def is_ready(order: Order) -> bool:
    """An unpaid order has no invoice yet."""
    return order.status != OrderStatus.PENDING_PAYMENT


def invoice_link(settings: Settings, order: Order, *, now: datetime | None = None) -> SignedLink:
    return signed_links.make_link(
        settings,
        kind=signed_links.INVOICE,
        subject=order.number,
        path=INVOICE_PATH,
        hours=settings.invoice_link_hours,
        now=now,
    )


def build_invoice(order: Order, *, buyer_name: str | None) -> Invoice:
    """The invoice of an order loaded with its items."""
    lines = tuple(
        InvoiceLine(
            title=item.title,
            sku=item.sku,
            quantity=item.quantity,
            unit_price=item.unit_price,
            total=item.quantity * item.unit_price,
        )
        for item in order.items
    )
    return Invoice(
        number=order.number,
        placed_at=order.placed_at,
        status=str(order.status),
        buyer_name=buyer_name,
        lines=lines,
        subtotal=sum(line.total for line in lines),
        total=order.total,
    )


async def access_invoice(
    session: AsyncSession, settings: Settings, *, token: str, now: datetime | None = None
) -> Invoice:
    """The invoice a link opens; LinkError for a bad or expired link, LookupError when the order is gone
    or unpaid. Every opening is audited."""
    link = signed_links.open_link(settings, token, kind=signed_links.INVOICE, now=now)
    order = await orders.get_order(session, link.subject)
    if order is None or not is_ready(order):
        raise LookupError("no invoice for this order")
    customer = await session.get(Customer, order.customer_id)
    audit.record(
        session,
        action="invoice.viewed",
        subject_type="order",
        subject_id=order.number,
        actor_type="customer",
        actor_id=None,
    )
    return build_invoice(order, buyer_name=customer.name if customer is not None else None)


async def verified_email(session: AsyncSession, *, customer_id: int, wanted: str | None = None) -> str | None:
    """The customer's verified email address (``wanted`` only if it is one of them), else None."""
    rows = list(
        await session.scalars(
            select(Identity.external_id)
            .where(
                Identity.customer_id == customer_id,
                Identity.channel == IdentityKind.EMAIL,
                Identity.verified.is_(True),
            )
            .order_by(Identity.id)
        )
    )
    if wanted is not None:
        wanted = wanted.strip().lower()
        return wanted if wanted in rows else None
    customer = await session.get(Customer, customer_id)
    if customer is not None and customer.email and customer.email.lower() in rows:
        return customer.email.lower()
    return rows[0] if rows else None


def queue_invoice_email(
    session: AsyncSession,
    settings: Settings,
    *,
    order: Order,
    to: str,
    link: SignedLink,
    conversation_id: int | None = None,
    now: datetime | None = None,
) -> Outbox:
    number = to_persian_digits(order.number)
    expires = format_datetime(link.expires_at)
    subject = f"فاکتور سفارش {number} — {settings.shop_name}"
    text = (
        f"فاکتور سفارش {number} ({format_date(order.placed_at)}، مبلغ {format_toman(order.total)}) "
        f"از این نشانی دیده و چاپ می‌شود:\n{link.url}\nاین لینک تا {expires} معتبر است.\n\n{settings.shop_name}"
    )
    body = (
        '<!doctype html><html lang="fa" dir="rtl"><body style="font-family:Tahoma,sans-serif">'
        f"<p>فاکتور سفارش {number} ({html.escape(format_date(order.placed_at))}، مبلغ "
        f"{html.escape(format_toman(order.total))}) آماده است.</p>"
        f'<p><a href="{html.escape(link.url, quote=True)}">دیدن و چاپ فاکتور</a></p>'
        f"<p>این لینک تا {html.escape(expires)} معتبر است.</p>"
        f"<p>{html.escape(settings.shop_name)}</p></body></html>"
    )
    row = queue_email(
        session,
        settings,
        to=to,
        subject=subject,
        text=text,
        html=body,
        conversation_id=conversation_id,
        now=now,
    )
    audit.record(
        session,
        action="invoice.emailed",
        subject_type="order",
        subject_id=order.number,
        actor_type="customer",
        detail={"outbox_kind": "email"},
    )
    return row
