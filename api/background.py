"""What runs beside the HTTP server: the event bus, and by the process's role the inbound worker (channel
turns), the outbox sender (everything outbound) and each configured channel's own tasks."""

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
from bot.delivery import OutboxItem, OutboxSender, Outcome, SenderRegistry, wakeup
from bot.delivery.worker import OnRecorded
from bot.dialogue.runtime import TurnResult
from bot.events import EventBus, make_bus
from bot.observability import Metrics
from bot.storage.models import OutboxKind, OutboxStatus

log = logging.getLogger("pishkhan")
WORK_TOPIC = "work"  # web processes tell workers that inbound updates or outbox rows were stored


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
        if metrics is not None and outcome.status != OutboxStatus.SENT and outcome.counts_as_attempt:
            final = "yes" if outcome.status == OutboxStatus.FAILED else "no"  # "no": it is retried later
            metrics.delivery_failures.labels(channel=item.channel or str(item.kind), final=final).inc()
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


class BusNudge:
    """In the web role turns and deliveries run in worker processes: tell them over the bus that work
    was stored, instead of letting it wait for their next poll. Nudges coalesce; losing one costs at
    most a poll interval."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._pending: asyncio.Task[None] | None = None

    def nudge(self) -> None:
        if self._pending is not None and not self._pending.done():
            return
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to tell from here
            self._pending = asyncio.get_running_loop().create_task(self.bus.publish(WORK_TOPIC, {}))

    async def close(self) -> None:
        if self._pending is not None:
            with contextlib.suppress(Exception):
                await self._pending


async def wake_on_bus(bus: EventBus, *sleepers: Any) -> None:
    """In a worker: run stored work as soon as a web process says it is there."""
    async with bus.subscribe(WORK_TOPIC) as queue:
        while True:
            await queue.get()
            for sleeper in sleepers:
                sleeper.nudge()


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    """Start what the process's role runs beside HTTP (PISHKHAN_ROLE: all, web or worker)."""
    settings = app.state.settings
    works = settings.role != "web"
    bus = make_bus(settings.redis_url)
    registry = SenderRegistry()
    app.state.bus = bus
    runtime = app.state.runtime
    tasks: list[asyncio.Task[None]] = []
    inbound: InboundWorker | None = None
    remote = None if works else BusNudge(bus)
    if runtime is not None and works:

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
        nudge_inbound=inbound.nudge if inbound else remote.nudge if remote else (lambda: None),
    )
    app.state.channels = build_channels(context)
    for plugin in app.state.channels.values():
        if plugin.sender is not None:
            registry.register(plugin.name, plugin.sender)
        if works:  # polling and the like: one role runs them, or two processes would fight over updates
            tasks += [asyncio.create_task(task(), name=f"pishkhan-{plugin.name}") for task in plugin.tasks]
    app.state.outbox_sender = None
    if works:
        app.state.outbox_sender = OutboxSender(
            app.state.sessionmaker,
            settings,
            registry=registry,
            on_recorded=delivery_publisher(bus, getattr(app.state, "metrics", None)),
        )
        await app.state.outbox_sender.start()
        if settings.role == "worker":
            sleepers = [s for s in (inbound, app.state.outbox_sender) if s is not None]
            tasks.append(asyncio.create_task(wake_on_bus(bus, *sleepers), name="pishkhan-wake"))
    else:
        wakeup.watch(remote)  # a console reply's outbox row: wake a worker's sender
    try:
        yield
    finally:
        if app.state.outbox_sender is not None:
            await app.state.outbox_sender.stop()
        if remote is not None:
            wakeup.forget(remote)
            await remote.close()
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
