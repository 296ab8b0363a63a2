"""How orders, shipments and items read in Persian replies: status words, Jalali dates, Toman."""

from __future__ import annotations

from bot.storage.models import Order, OrderItem, OrderStatus
from bot.text.digits import to_persian_digits
from bot.text.jalali import format_date, format_datetime
from bot.text.money import format_toman

STATUS_WORDS = {
    OrderStatus.PENDING_PAYMENT: "در انتظار پرداخت",
    OrderStatus.PAID: "پرداخت شده و در صف آماده‌سازی",
    OrderStatus.PROCESSING: "در حال آماده‌سازی در انبار",
    OrderStatus.SHIPPED: "ارسال شده",
    OrderStatus.DELIVERED: "تحویل داده شده",
    OrderStatus.CANCELLED: "لغو شده",
    OrderStatus.RETURNED: "مرجوع شده",
}


def status_words(order: Order) -> str:
    return STATUS_WORDS.get(OrderStatus(order.status), str(order.status))


def shipment_sentence(order: Order) -> str:
    """Carrier, tracking code, the latest event and the expected delivery, as one short paragraph."""
    shipment = order.shipment
    if shipment is None:
        return ""
    parts = [f" ارسال با {shipment.carrier}"]
    if shipment.tracking_code:
        parts.append(f"، کد رهگیری {to_persian_digits(shipment.tracking_code)}")
    sentence = "".join(parts) + "."
    if shipment.events:
        last = shipment.events[-1]
        sentence += f" آخرین وضعیت: {last.description or last.status} ({format_datetime(last.at)})."
    if shipment.expected_at and order.status == OrderStatus.SHIPPED:
        sentence += f" زمان تقریبی تحویل: {format_date(shipment.expected_at)}."
    return sentence


def order_fields(order: Order) -> dict[str, str]:
    """Template variables every order response may use."""
    return {
        "order_id_fa": to_persian_digits(order.number),
        "placed_fa": format_date(order.placed_at),
        "status_fa": status_words(order),
        "shipment_fa": shipment_sentence(order),
        "total_fa": format_toman(order.total),
    }


def order_line(order: Order) -> str:
    return f"• {to_persian_digits(order.number)} — {format_date(order.placed_at)} — {status_words(order)}"


def item_label(item: OrderItem) -> str:
    return item.title if item.quantity == 1 else f"{item.title} ({to_persian_digits(item.quantity)} عدد)"
