"""Shop integration: the shop pushes and reads its orders (DESIGN §8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from api.deps import Session, ShopKey
from api.v1.schemas import OrderOut
from bot.services import orders
from bot.services.order_data import OrderIn, OrderNumberError, normalize_order_number

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
    number: NumberParam, body: OrderIn, session: Session, _: ShopKey, response: Response
) -> OrderOut:
    result = await orders.upsert_order(session, number=_number(number), data=body)
    if result.created:
        response.status_code = 201
    return OrderOut.model_validate(result.order)


@router.get(
    "/orders/{number}", response_model=OrderOut, summary="Read an order", responses={401: {}, 404: {}}
)
async def get_order(number: NumberParam, session: Session, _: ShopKey) -> OrderOut:
    order = await orders.get_order(session, _number(number))
    if order is None:
        raise HTTPException(status_code=404, detail="no such order")
    return OrderOut.model_validate(order)
