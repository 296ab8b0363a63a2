"""The live-event bus: in-process, and through Redis so every worker's sockets hear every event."""

from __future__ import annotations

import asyncio
import logging

from bot.events import LocalBus, RedisBus


async def test_local_subscribers_get_their_topics_only() -> None:
    bus = LocalBus()
    async with bus.subscribe("console") as console, bus.subscribe("conversation:1") as one:
        await bus.publish("console", {"type": "a"})
        await bus.publish("conversation:1", {"type": "b"})
        assert (await console.get())["type"] == "a"
        assert (await one.get())["type"] == "b"
        assert console.empty() and one.empty()
    assert not bus.has_subscribers("console")


async def test_two_workers_hear_each_other_through_redis(redis_url: str) -> None:
    first, second = RedisBus(redis_url), RedisBus(redis_url)
    try:
        async with second.subscribe("console") as heard:
            await asyncio.sleep(0.1)  # the subscription reaches Redis
            await first.publish("console", {"type": "conversation.updated", "conversation_id": 7})
            event = await asyncio.wait_for(heard.get(), 5)
        assert event == {"topic": "console", "type": "conversation.updated", "conversation_id": 7}
    finally:
        await first.close()
        await second.close()


async def test_redis_down_degrades_to_this_process() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0")
    try:
        async with bus.subscribe("console") as heard:
            await bus.publish("console", {"type": "x"})
            assert (await asyncio.wait_for(heard.get(), 5))["type"] == "x"
    finally:
        await bus.close()


async def test_an_outage_is_logged_once_and_its_end_too(redis_url: str, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pishkhan.events")
    down = RedisBus("redis://127.0.0.1:1/0")
    try:
        for _ in range(3):
            await down.publish("console", {"type": "x"})
    finally:
        await down.close()
    assert down.degraded and [r.levelname for r in caplog.records] == ["WARNING"]
    up = RedisBus(redis_url)
    up.degraded = True  # as after an outage
    try:
        await up.publish("console", {"type": "x"})
    finally:
        await up.close()
    assert not up.degraded and "reachable again" in caplog.records[-1].getMessage()


async def test_subscribing_again_while_an_unsubscribe_is_unconfirmed_still_hears_redis(
    redis_url: str,
) -> None:
    """A widget tab that reconnects to the same worker: its old socket's unsubscribe is still on its
    way when the new socket subscribes to the same topic; the new socket must hear the other worker."""
    first, second = RedisBus(redis_url), RedisBus(redis_url)
    try:
        async with second.subscribe("console"):  # another socket keeps this worker subscribed
            async with second.subscribe("webchat:v_again"):
                await asyncio.sleep(0.1)
            async with second.subscribe("webchat:v_again") as heard:
                await asyncio.sleep(0.3)  # the old unsubscribe is confirmed meanwhile
                await first.publish("webchat:v_again", {"type": "message", "message_id": 9})
                event = await asyncio.wait_for(heard.get(), 5)
        assert event == {"topic": "webchat:v_again", "type": "message", "message_id": 9}
    finally:
        await first.close()
        await second.close()
