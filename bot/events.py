"""The live-event bus: tells open consoles and widgets what changed. In-process by default; Redis
pub/sub when PISHKHAN_REDIS_URL is set, so every worker's WebSocket clients hear every event.

Events are published after the transaction that caused them commits; a subscriber that misses one
(a reconnect) catches up from the database, so the bus is a nudge, never the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

log = logging.getLogger("pishkhan.events")
QUEUE_SIZE = 1000


class EventBus(Protocol):
    async def publish(self, topic: str, data: dict[str, Any]) -> None: ...

    def subscribe(
        self, *topics: str
    ) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[dict[str, Any]]]: ...

    async def close(self) -> None: ...


class LocalBus:
    """Subscribers of one process. A slow subscriber loses the oldest events, never blocks publishers."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.deliver(topic, data)

    def deliver(self, topic: str, data: dict[str, Any]) -> None:
        for queue in list(self._queues.get(topic, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait({"topic": topic, **data})

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        for topic in topics:
            self._queues[topic].add(queue)
        try:
            yield queue
        finally:
            for topic in topics:
                self._queues[topic].discard(queue)
                if not self._queues[topic]:
                    del self._queues[topic]

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._queues.get(topic))

    async def close(self) -> None:
        self._queues.clear()


class RedisBus:
    """Publishes through Redis; one listener task per process fans messages out to local subscribers."""

    CHANNEL_PREFIX = "pishkhan:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis  # imported only when Redis is configured

        self._redis = redis.from_url(url)
        self._local = LocalBus()
        self._pubsub = self._redis.pubsub()
        self._topics: dict[str, int] = defaultdict(int)
        self._listener: asyncio.Task[None] | None = None
        self.degraded = False  # the last publish failed: events stay in this process

    async def ping(self) -> None:
        await self._redis.ping()

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        try:
            await self._redis.publish(self.CHANNEL_PREFIX + topic, json.dumps(data, ensure_ascii=False))
        except Exception as exc:  # Redis down: degrade to this process only, and say so (once)
            if not self.degraded:
                log.warning("redis publish failed (%s); delivering in this process only", type(exc).__name__)
            self.degraded = True
            self._local.deliver(topic, data)
            return
        if self.degraded:
            log.info("redis reachable again; events reach every worker")
            self.degraded = False

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        for topic in topics:
            self._topics[topic] += 1
        await self._sync_subscriptions()  # Redis down: the listener keeps trying; local events still flow
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen())
        try:
            async with self._local.subscribe(*topics) as queue:
                yield queue
        finally:
            for topic in topics:
                self._topics[topic] -= 1
                if self._topics[topic] == 0:
                    del self._topics[topic]
                    with contextlib.suppress(Exception):
                        await self._pubsub.unsubscribe(self.CHANNEL_PREFIX + topic)

    async def _sync_subscriptions(self) -> bool:
        """Subscribe in Redis to every topic someone here listens to; False while Redis is unreachable."""
        missing = [
            self.CHANNEL_PREFIX + t for t in self._topics if not self._subscribed(self.CHANNEL_PREFIX + t)
        ]
        if not missing:
            return True
        try:
            await self._pubsub.subscribe(*missing)
        except Exception as exc:
            log.warning(
                "redis subscribe failed (%s); events reach this process only until it returns",
                type(exc).__name__,
            )
            return False
        return True

    def _subscribed(self, channel: str) -> bool:
        """Subscribed in Redis, and staying so. A channel whose unsubscribe is not confirmed yet (its last
        socket closed a moment ago) is still listed, but the confirmation will drop it: a socket that
        subscribes again meanwhile (a reconnect) must send SUBSCRIBE again, or it hears no other worker."""
        names = (channel, channel.encode())
        return any(n in self._pubsub.channels for n in names) and not any(
            n in self._pubsub.pending_unsubscribe_channels for n in names
        )

    async def _listen(self) -> None:
        while True:
            try:
                if not self._pubsub.channels and not await self._sync_subscriptions():
                    await asyncio.sleep(1)
                    continue
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis subscription failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1)
                await self._sync_subscriptions()
                continue
            if message and message.get("type") == "message":
                topic = message["channel"].decode().removeprefix(self.CHANNEL_PREFIX)
                self._local.deliver(topic, json.loads(message["data"]))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._redis.aclose()


def make_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
