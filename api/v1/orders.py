"""Shop integration: the shop pushes and reads its orders (DESIGN §8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from actions.formatting import order_fields
from api.deps import Session, ShopKey
from api.v1.schemas import OrderOut
from bot.dialogue.responses import render
from bot.services import notifications, orders
from bot.services.order_data import OrderIn, OrderNumberError, normalize_order_number
from bot.storage.models import Order

router = APIRouter(tags=["orders"])

NumberParam = Annotated[str, Path(description="The shop's order number", max_length=40)]


def _number(raw: str) -> str:
    try:
        return normalize_order_number(raw)
    except OrderNumberError as exc:
        raise HTTPException(status_code=422, detail=f"number: {exc}") from None


@router.put(
    "/orders/{number}",
    response_model=OrderOut,
    summary="Create or replace an order",
    responses={201: {"description": "Created"}, 401: {}, 413: {}, 422: {}},
)
async def put_order(
    number: NumberParam, body: OrderIn, session: Session, _: ShopKey, response: Response, request: Request
) -> OrderOut:
    """Shipped or delivered for the first time: the customer is told once, on the channel they used last."""
    result = await orders.upsert_order(session, number=_number(number), data=body)
    if notifications.needs_notice(result.order, result.previous_status):
        await notifications.notify_order_update(
            session, order=result.order, text_for=notice_text(request, result.order)
        )
    if result.created:
        response.status_code = 201
    return OrderOut.model_validate(result.order)


def notice_text(request: Request, order: Order) -> Callable[[str], str | None]:
    runtime = getattr(request.app.state, "runtime", None)

    def text_for(channel: str) -> str | None:
        if runtime is None:
            return None
        engine = runtime.conversations.engine
        message = {"response": f"utter_notify_{order.status}", **order_fields(order)}
        rendered = render(engine.domain, message, channel, {}, engine.template_globals)
        return rendered.text if rendered else None

    return text_for


@router.get(
    "/orders/{number}", response_model=OrderOut, summary="Read an order", responses={401: {}, 404: {}}
)
async def get_order(number: NumberParam, session: Session, _: ShopKey) -> OrderOut:
    order = await orders.get_order(session, _number(number))
    if order is None:
        raise HTTPException(status_code=404, detail="no such order")
    return OrderOut.model_validate(order)
