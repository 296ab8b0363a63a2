import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.config import Settings
from bot.services import orders, privacy, signed_links
from bot.services.order_data import OrderIn
from bot.storage.base import utcnow
from bot.storage.models import AuditLog, Customer
from tests.factories import order_body


async def _order(app: FastAPI, number: str = "1000001", **changes: object) -> int:
    async with app.state.sessionmaker() as session, session.begin():
        result = await orders.upsert_order(
            session, number=number, data=OrderIn.model_validate(order_body(**changes))
        )
        return result.order.customer_id


def _link(settings: Settings, kind: str, subject: str, *, hours: int = 1, now=None) -> str:
    path = "invoices" if kind == signed_links.INVOICE else "privacy/export"
    link = signed_links.make_link(settings, kind=kind, subject=subject, path=path, hours=hours, now=now)
    return link.url.removeprefix(settings.public_url)


async def test_the_invoice_is_a_printable_persian_page(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    await _order(app)
    response = await client.get(_link(settings, signed_links.INVOICE, "1000001"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="fa" dir="rtl">' in page
    assert settings.shop_name in page and "سارا احمدی" in page
    assert "۱۰۰۰۰۰۱" in page and "۱۰ آبان ۱۴۰۵" in page  # 2026-11-01 in the Jalali calendar
    assert "هدفون بی‌سیم شیائومی" in page and "کیف هدفون" in page
    cells = re.findall(r'<td class="num">([^<]*)</td>', page)
    # quantity, unit price, line total for each item; then subtotal and total
    assert cells == ["۱", "۱٬۹۵۰٬۰۰۰", "۱٬۹۵۰٬۰۰۰", "۲", "۲۵۰٬۰۰۰", "۵۰۰٬۰۰۰", "۲٬۴۵۰٬۰۰۰", "۲٬۴۵۰٬۰۰۰"]
    assert "@media print" in page and 'id="print"' in page and "window.print()" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing from a CDN
    assert 'href="../static/fonts/fonts.css"' in page  # the app's own Vazirmatn, relative to the page
    assert (await client.get("/static/fonts/fonts.css")).status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'sha256-" in response.headers["content-security-policy"]
    async with app.state.sessionmaker() as session:
        viewed = await session.scalar(select(AuditLog).where(AuditLog.action == "invoice.viewed"))
    assert viewed is not None and viewed.subject_id == "1000001"


async def test_shipping_in_the_total_is_shown_as_its_own_line(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    await _order(app, total=2_600_000)
    page = (await client.get(_link(settings, signed_links.INVOICE, "1000001"))).text
    assert "هزینهٔ ارسال و سایر" in page
    cells = re.findall(r'<td class="num">([^<]*)</td>', page)
    assert cells[-3:] == ["۲٬۴۵۰٬۰۰۰", "۱۵۰٬۰۰۰", "۲٬۶۰۰٬۰۰۰"]


async def test_text_from_the_shop_is_escaped(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    body = order_body()
    body["items"][0]["title"] = '<script>alert("x")</script>'
    await _order(app, items=body["items"])
    page = (await client.get(_link(settings, signed_links.INVOICE, "1000001"))).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


@pytest.mark.parametrize(
    ("make", "status", "words"),
    [
        (
            lambda s: _link(s, signed_links.INVOICE, "1000001", now=utcnow() - timedelta(hours=2)),
            410,
            "منقضی",
        ),
        (lambda s: _link(s, signed_links.INVOICE, "1000001")[:-4] + "AAAA", 403, "معتبر نیست"),
        (
            lambda s: _link(s, signed_links.PRIVACY_EXPORT, "1").replace("privacy/export", "invoices"),
            403,
            "معتبر نیست",
        ),
        (lambda s: "/invoices/" + "A" * 3000, 403, "معتبر نیست"),
        (lambda s: "/invoices/%F0%9F%98%80.%00", 403, "معتبر نیست"),
        (lambda s: _link(s, signed_links.INVOICE, "9999999"), 404, "فاکتوری پیدا نشد"),
    ],
)
async def test_bad_invoice_links_get_a_clear_persian_page(
    client: httpx.AsyncClient,
    app: FastAPI,
    settings: Settings,
    make,
    status: int,
    words: str,
) -> None:
    await _order(app)
    response = await client.get(make(settings))
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'dir="rtl"' in response.text and words in response.text


async def test_an_unpaid_order_has_no_invoice_page(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    await _order(app, status="pending_payment")
    assert (await client.get(_link(settings, signed_links.INVOICE, "1000001"))).status_code == 404


async def test_the_export_downloads_as_json(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    customer_id = await _order(app)
    response = await client.get(_link(settings, signed_links.PRIVACY_EXPORT, str(customer_id)))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith('attachment; filename="my-data-')
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["customer"]["name"] == "سارا احمدی"
    assert data["orders"][0]["items"][0]["title"] == "هدفون بی‌سیم شیائومی"
    assert "سارا احمدی" in response.text  # readable UTF-8, not \u escapes
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(AuditLog).where(AuditLog.action == "privacy.export.downloaded"))


async def test_bad_export_links_and_erased_data(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    customer_id = await _order(app)
    expired = _link(
        settings, signed_links.PRIVACY_EXPORT, str(customer_id), now=utcnow() - timedelta(hours=2)
    )
    assert (await client.get(expired)).status_code == 410
    invoice_token = _link(settings, signed_links.INVOICE, "1000001").removeprefix("/invoices/")
    assert (await client.get(f"/privacy/export/{invoice_token}")).status_code == 403
    assert (await client.get(_link(settings, signed_links.PRIVACY_EXPORT, "not-a-number"))).status_code == 410
    good = _link(settings, signed_links.PRIVACY_EXPORT, str(customer_id))
    async with app.state.sessionmaker() as session, session.begin():
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        await privacy.erase_customer(session, settings, customer=customer, identity_id=0)
    response = await client.get(good)
    assert response.status_code == 410 and "حذف شده" in response.text
