"""Pages customers open from links the bot sent: a printable invoice and their data export.

Links are signed and expire (bot.services.signed_links). An expired link answers 410, a tampered one
or one made for another page 403, a link to something no longer there 404 or 410, each with a short
Persian page; nothing a visitor sends can make these pages fail with a 500.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.deps import AppSettings, Session
from bot.services import invoices, privacy
from bot.services.invoices import Invoice
from bot.services.signed_links import LinkError, LinkExpired
from bot.storage.base import utcnow
from bot.text.digits import to_persian_digits
from bot.text.jalali import format_date, format_datetime
from bot.text.money import format_number

router = APIRouter(include_in_schema=False)
# The app's own fonts (/static), relative to each page, so a path prefix in front of the app still works.
INVOICE_STATIC, EXPORT_STATIC = "../static", "../../static"
TEMPLATES = Path(__file__).parent / "templates"
PRINT_SCRIPT = 'document.getElementById("print").addEventListener("click", function () { window.print(); });'
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode()
PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}
PAGE_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self' data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ERRORS = {  # what went wrong: (status, title, explanation)
    "expired": (
        410,
        "این لینک منقضی شده است",
        "مهلت این لینک تمام شده. برای دریافت لینک تازه، دوباره از پشتیبانی فروشگاه بخواهید.",
    ),
    "invalid": (
        403,
        "این لینک معتبر نیست",
        "لینک کامل یا درست باز نشده است. آن را بدون تغییر از پیام پشتیبانی باز کنید یا لینک تازه بخواهید.",
    ),
    "no_invoice": (
        404,
        "فاکتوری پیدا نشد",
        "فاکتوری برای این لینک وجود ندارد. اگر فکر می‌کنید اشتباهی رخ داده، با پشتیبانی فروشگاه تماس بگیرید.",
    ),
    "erased": (
        410,
        "این اطلاعات دیگر در دسترس نیست",
        "اطلاعات مربوط به این لینک به درخواست شما حذف شده است.",
    ),
}


@router.get("/invoices/{token}", response_class=HTMLResponse)
async def invoice_page(token: str, session: Session, settings: AppSettings) -> Response:
    try:
        invoice = await invoices.access_invoice(session, settings, token=token)
    except LinkError as exc:
        return error_page(_link_problem(exc), settings.shop_name, static=INVOICE_STATIC)
    except LookupError:
        return error_page("no_invoice", settings.shop_name, static=INVOICE_STATIC)
    return HTMLResponse(
        render_invoice(invoice, shop_name=settings.shop_name),
        headers={**PRIVATE, "Content-Security-Policy": PAGE_POLICY},
    )


@router.get("/privacy/export/{token}")
async def privacy_export(token: str, session: Session, settings: AppSettings) -> Response:
    try:
        data = await privacy.access_export(session, settings, token=token)
    except LinkError as exc:
        return error_page(_link_problem(exc), settings.shop_name, static=EXPORT_STATIC)
    except LookupError:
        return error_page("erased", settings.shop_name, static=EXPORT_STATIC)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    filename = f"my-data-{utcnow():%Y%m%d}.json"
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def render_invoice(invoice: Invoice, *, shop_name: str) -> str:
    rows = "\n".join(
        "      <tr>"
        f"<td>{to_persian_digits(index)}</td>"
        f'<td>{_e(line.title)}<span class="sku">{_e(line.sku)}</span></td>'
        f'<td class="num">{format_number(line.quantity)}</td>'
        f'<td class="num">{format_number(line.unit_price)}</td>'
        f'<td class="num">{format_number(line.total)}</td>'
        "</tr>"
        for index, line in enumerate(invoice.lines, start=1)
    )
    adjustment = ""
    if invoice.adjustment:
        label = "هزینهٔ ارسال و سایر" if invoice.adjustment > 0 else "تخفیف"
        adjustment = f'      <tr><th colspan="4">{label}</th><td class="num">{format_number(abs(invoice.adjustment))}</td></tr>'
    buyer = ""
    if invoice.buyer_name:
        buyer = f"<div><dt>خریدار:</dt><dd>{_e(invoice.buyer_name)}</dd></div>"
    return _template("invoice.html").substitute(
        shop=_e(shop_name),
        number=to_persian_digits(_e(invoice.number)),
        date=format_date(invoice.placed_at),
        buyer=buyer,
        rows=rows,
        subtotal=format_number(invoice.subtotal),
        adjustment=adjustment,
        total=format_number(invoice.total),
        issued=format_datetime(utcnow()),
        script=PRINT_SCRIPT,
        static=INVOICE_STATIC,
    )


def error_page(problem: str, shop_name: str, *, static: str) -> HTMLResponse:
    status, title, message = ERRORS[problem]
    page = _template("link_error.html").substitute(
        title=title, message=message, shop=_e(shop_name), static=static
    )
    return HTMLResponse(page, status_code=status, headers={**PRIVATE, "Content-Security-Policy": PAGE_POLICY})


def _link_problem(exc: LinkError) -> str:
    return "expired" if isinstance(exc, LinkExpired) else "invalid"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))
