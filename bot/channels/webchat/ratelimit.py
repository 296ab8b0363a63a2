"""How many new widget conversations one IP address may start (DESIGN §9).

Opening a conversation creates a customer, an identity and a conversation, so a script must not be
able to start thousands. In one process a token bucket per address is enough; with Redis configured
every worker shares one counter per address and hour, and a Redis failure falls back to the bucket.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("pishkhan.webchat")
MAX_TRACKED = 10_000  # addresses kept in memory before full buckets are forgotten


class TokenBucket:
    """``capacity`` tokens per address, refilled evenly over ``period`` seconds."""

    def __init__(self, capacity: int, period: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be at least 1 and period positive")
        self.capacity, self.rate, self.clock = float(capacity), capacity / period, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> bool:
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > MAX_TRACKED:
            self._forget_full(now)
        return allowed

    def _forget_full(self, now: float) -> None:
        for key, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.rate >= self.capacity:
                del self._buckets[key]


class NewConversationLimit:
    """``allow(ip)`` once per new conversation; False means refuse it."""

    PERIOD = 3600.0

    def __init__(
        self, per_hour: int, *, redis_url: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_hour = per_hour
        self.local = TokenBucket(per_hour, self.PERIOD, clock=clock)
        self._redis_url = redis_url
        self._redis: Any = None

    async def allow(self, ip: str) -> bool:
        if self._redis_url:
            try:
                return await self._allow_shared(ip)
            except Exception as exc:  # Redis away: this process's own count still protects the database
                log.warning("redis rate limit unavailable (%s); counting in this process", type(exc).__name__)
        return self.local.take(ip)

    async def _allow_shared(self, ip: str) -> bool:
        if self._redis is None:
            import redis.asyncio as redis  # only when Redis is configured

            self._redis = redis.from_url(self._redis_url)
        window = int(time.time() // self.PERIOD)
        key = f"pishkhan:webchat:new-conversations:{ip}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, int(self.PERIOD) + 60)
            count, _ = await pipe.execute()
        return int(count) <= self.per_hour

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
