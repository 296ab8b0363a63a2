"""What runs beside the HTTP server in every worker: the event bus, the inbound worker (channel turns),
the outbox sender (everything outbound), and each configured channel's own tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from bot.channels.inbound import InboundWorker
from bot.channels.registry import ChannelContext, build_channels
from bot.delivery import OutboxItem, OutboxSender, Outcome, SenderRegistry
from bot.delivery.worker import OnRecorded
from bot.dialogue.runtime import TurnResult
from bot.events import EventBus, make_bus
from bot.observability import Metrics
from bot.storage.models import OutboxKind, OutboxStatus

log = logging.getLogger("pishkhan")


async def publish_turn(bus: EventBus, result: TurnResult) -> None:
    """Tell open consoles and widgets what a committed turn changed."""
    conversation = result.conversation
    if conversation is None or result.duplicate:
        return
    data: dict[str, Any] = {
        "conversation_id": conversation.id,
        "customer_id": conversation.customer_id,
        "status": str(conversation.status),
    }
    await bus.publish(f"conversation:{conversation.id}", {"type": "conversation.updated", **data})
    await bus.publish("console", {"type": "conversation.updated", **data})


def delivery_publisher(bus: EventBus, metrics: Metrics | None) -> OnRecorded:
    """After the outbox records an attempt at a chat message: the console shows sent / failed and why."""

    async def on_recorded(item: OutboxItem, outcome: Outcome) -> None:
        if outcome.status == OutboxStatus.FAILED and metrics is not None:
            metrics.delivery_failures.labels(channel=item.channel, final="yes").inc()
        if item.kind != OutboxKind.MESSAGE or item.conversation_id is None:
            return
        event = {
            "type": "message.delivery",
            "conversation_id": item.conversation_id,
            "message_id": item.message_id,
            "status": str(outcome.status),
            "error": outcome.error,
        }
        await bus.publish(f"conversation:{item.conversation_id}", event)
        await bus.publish("console", event)

    return on_recorded


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    bus = make_bus(settings.redis_url)
    registry = SenderRegistry()
    app.state.bus = bus
    runtime = app.state.runtime
    tasks: list[asyncio.Task[None]] = []
    inbound: InboundWorker | None = None
    if runtime is not None:

        async def process(session, message):
            return await runtime.conversations.process(session, message, deliver_via_outbox=True)

        async def after_commit(result: TurnResult) -> None:
            await publish_turn(bus, result)

        inbound = InboundWorker(
            app.state.sessionmaker, process, locks=runtime.locks, after_commit=after_commit
        )
        tasks.append(asyncio.create_task(inbound.run_forever(), name="pishkhan-inbound"))
    app.state.inbound_worker = inbound
    context = ChannelContext(
        settings=settings,
        sessionmaker=app.state.sessionmaker,
        bus=bus,
        nudge_inbound=inbound.nudge if inbound else (lambda: None),
    )
    app.state.channels = build_channels(context)
    for plugin in app.state.channels.values():
        if plugin.sender is not None:
            registry.register(plugin.name, plugin.sender)
        tasks += [asyncio.create_task(task(), name=f"pishkhan-{plugin.name}") for task in plugin.tasks]
    app.state.outbox_sender = OutboxSender(
        app.state.sessionmaker,
        settings,
        registry=registry,
        on_recorded=delivery_publisher(bus, getattr(app.state, "metrics", None)),
    )
    await app.state.outbox_sender.start()
    try:
        yield
    finally:
        await app.state.outbox_sender.stop()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for plugin in app.state.channels.values():
            if plugin.close is not None:
                with contextlib.suppress(Exception):
                    await plugin.close()
        await bus.close()
