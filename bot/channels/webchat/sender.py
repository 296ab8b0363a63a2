"""Delivery for the widget: the stored message is the record, so delivering is telling the visitor's
open sockets (in any worker, through the bus) that it is there. A visitor with no socket open gets it
by replay when the widget next connects, so the row is delivered either way."""

from __future__ import annotations

from bot.delivery import Delivered, OutboxItem, PermanentError, Sender
from bot.events import EventBus

from .tokens import is_visitor_id


def visitor_topic(visitor_id: str) -> str:
    return f"webchat:{visitor_id}"


def make_sender(bus: EventBus) -> Sender:
    async def send_to_widget(item: OutboxItem) -> Delivered:
        if not is_visitor_id(item.target):
            raise PermanentError("not a widget visitor id")
        await bus.publish(
            visitor_topic(item.target),
            {"type": "message", "message_id": item.message_id, "conversation_id": item.conversation_id},
        )
        return Delivered()

    return send_to_widget
