"""The demo shop at ``/``: a Persian storefront carrying the widget with one script tag, as a shop
would. ``/?as=customer`` shows the page as the demo customer logged in, with the identity hash a
shop's backend would compute, so testers see a verified visitor. Not served in production."""

from __future__ import annotations

import html
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from api.deps import AppSettings
from api.webchat.pages import _template
from bot.channels.webchat.tokens import identity_hash, identity_secret
from bot.demo.catalogue import PRODUCTS, Product
from bot.demo.names import DEMO_NAME
from bot.text.money import format_toman

router = APIRouter(include_in_schema=False)
SHOWN = (
    "MOB-XIA-X6P-256",
    "AUD-SNY-WH1000XM5",
    "HOM-PHL-HD9252",
    "WAT-AMZ-BIP5",
    "AUD-JBL-GO3",
    "HOM-PKH-TM3500",
)
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@router.get("/", response_class=HTMLResponse)
async def demo_shop(
    settings: AppSettings, as_: Literal["customer", "guest"] = Query("guest", alias="as")
) -> HTMLResponse:
    if settings.env == "production":
        raise HTTPException(status_code=404, detail="not found")
    secret = identity_secret(settings)
    user = settings.widget_demo_shop_user if as_ == "customer" and secret else None
    attributes = f'data-title="{_e(settings.shop_name)}"'
    if user and secret:
        attributes += f' data-shop-user="{_e(user)}" data-identity-hash="{identity_hash(secret, user)}"'
    if user:
        account = (
            f'<span class="who">وارد شده به عنوان <b>{_e(DEMO_NAME)}</b> '
            f'<span dir="ltr">({_e(user)})</span></span> <a class="switch" href="/">خروج</a>'
        )
    elif secret:
        account = f'<a class="switch" href="/?as=customer">ورود به عنوان {_e(DEMO_NAME)}</a>'
    else:
        account = '<span class="who">ورود نمونه خاموش است (PISHKHAN_WIDGET_IDENTITY_SECRET)</span>'
    page = _template("demo.html").substitute(
        shop=_e(settings.shop_name), account=account, products=_products(), widget=attributes
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"})


def _products() -> str:
    wanted = {p.sku: p for p in PRODUCTS if p.sku in SHOWN}
    chosen = [wanted[s] for s in SHOWN if s in wanted] or list(PRODUCTS[:6])
    return "\n".join(_card(index, product) for index, product in enumerate(chosen))


def _card(index: int, product: Product) -> str:
    return (
        f'<article class="card">'
        f'<div class="thumb tone{index % 6}" aria-hidden="true"><span>{_e(product.short or product.title[:1])}</span></div>'
        f'<h3 dir="auto">{_e(product.title)}</h3>'
        f'<p class="category">{_e(product.category)}</p>'
        f'<p class="price">{format_toman(product.price)}</p>'
        f'<button type="button" class="buy">افزودن به سبد</button>'
        f"</article>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)
