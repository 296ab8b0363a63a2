"""The per-IP limit on new widget conversations: in one process, and shared through Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from bot.channels.webchat.ratelimit import NewConversationLimit, TokenBucket
from tests.db import IN_CI

REDIS_URL = os.environ.get("PISHKHAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_capacity_then_refills_evenly() -> None:
    clock = Clock()
    bucket = TokenBucket(3, 3600, clock=clock)
    assert [bucket.take("198.51.100.1") for _ in range(4)] == [True, True, True, False]
    assert bucket.take("198.51.100.2"), "another address has its own bucket"
    clock.now += 1199  # not quite a third of an hour
    assert not bucket.take("198.51.100.1")
    clock.now += 2
    assert bucket.take("198.51.100.1")
    assert not bucket.take("198.51.100.1")


def test_a_bucket_forgets_full_buckets_when_it_tracks_too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.channels.webchat.ratelimit.MAX_TRACKED", 10)
    clock = Clock()
    bucket = TokenBucket(2, 60, clock=clock)
    for n in range(10):
        bucket.take(f"10.0.0.{n}")
    clock.now += 120
    bucket.take("10.0.1.1")
    assert len(bucket._buckets) == 1


async def test_in_process_limit() -> None:
    limit = NewConversationLimit(2)
    assert [await limit.allow("192.0.2.9") for _ in range(3)] == [True, True, False]


async def test_workers_share_one_count_through_redis() -> None:
    probe = NewConversationLimit(1, redis_url=REDIS_URL)
    try:
        await probe._allow_shared(f"probe-{uuid.uuid4()}")
    except Exception as exc:  # no Redis on this machine
        await probe.close()
        if IN_CI:
            pytest.fail(f"Redis is required in CI but unreachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    await probe.close()
    ip = f"test-{uuid.uuid4()}"
    first, second = NewConversationLimit(2, redis_url=REDIS_URL), NewConversationLimit(2, redis_url=REDIS_URL)
    try:
        assert await first.allow(ip)
        assert await second.allow(ip)
        assert not await first.allow(ip), "the third, in either worker, is over the shared limit"
        assert first.local.take(ip), "the shared count was used, not this process's bucket"
    finally:
        await first.close()
        await second.close()


async def test_redis_away_falls_back_to_the_process_count() -> None:
    limit = NewConversationLimit(1, redis_url="redis://127.0.0.1:1/0")
    try:
        assert await limit.allow("192.0.2.10")
        assert not await limit.allow("192.0.2.10")
    finally:
        await limit.close()
