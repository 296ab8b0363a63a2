"""Roles: web processes store what arrives and answer at once; worker processes run the turns and send,
woken through Redis rather than by their next poll."""

from __future__ import annotations

import asyncio
import json

import redis.asyncio as redis
from fastapi import FastAPI
from redis.asyncio.client import PubSub
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.background import WORK_TOPIC, wake_on_bus
from api.runtime import Runtime
from bot.config import Settings
from bot.events import LocalBus, RedisBus
from tests.apps import serve
from tests.channels.telegram.conftest import eventually, post_update, settled, text_update
from tests.fakes.telegram import FakeTelegram


async def next_published(listener: PubSub, within: float = 5.0) -> dict:
    async with asyncio.timeout(within):
        while True:  # the first message read is the subscription's own confirmation
            message = await listener.get_message(ignore_subscribe_messages=True, timeout=within)
            if message is not None:
                return json.loads(message["data"])


def role_app(settings: Settings, runtime: Runtime, role: str, redis_url: str) -> FastAPI:
    runtime.conversations.settings = settings
    return create_app(settings.model_copy(update={"role": role, "redis_url": redis_url}), runtime=runtime)


async def test_web_role_runs_no_background_work(tg_settings: Settings, runtime: Runtime, engine: AsyncEngine):
    web = role_app(tg_settings, runtime, "web", "redis://127.0.0.1:1/0")
    async for client in serve(web, engine):
        assert web.state.inbound_worker is None and web.state.outbox_sender is None
        assert (await post_update(client, text_update("سلام"))).status_code == 200
        await asyncio.sleep(0.3)
        assert not await settled(web.state.sessionmaker)  # stored, waiting for a worker


async def test_a_web_process_stores_and_a_worker_process_answers(
    tg_settings: Settings,
    runtime: Runtime,
    engine: AsyncEngine,
    telegram_api: FakeTelegram,
    redis_url: str,
) -> None:
    listener = redis.from_url(redis_url).pubsub()
    await listener.subscribe(RedisBus.CHANNEL_PREFIX + WORK_TOPIC)
    web = role_app(tg_settings, runtime, "web", redis_url)
    worker = role_app(tg_settings, runtime, "worker", redis_url)
    try:
        async with worker.router.lifespan_context(worker):
            async for client in serve(web, engine):
                assert (await post_update(client, text_update("سلام"))).status_code == 200
                assert await next_published(listener) == {}
                await eventually(lambda: settled(worker.state.sessionmaker))
                assert len(telegram_api.sent_texts()) == 1
    finally:
        await listener.aclose()


async def test_a_worker_wakes_its_sleepers_when_told_over_the_bus() -> None:
    class Sleeper:
        nudges = 0

        def nudge(self) -> None:
            self.nudges += 1

    bus, sleepers = LocalBus(), (Sleeper(), Sleeper())
    task = asyncio.create_task(wake_on_bus(bus, *sleepers))
    await asyncio.sleep(0)
    await bus.publish(WORK_TOPIC, {})
    await asyncio.sleep(0)
    task.cancel()
    assert [s.nudges for s in sleepers] == [1, 1]


async def test_the_serve_command_refuses_polling_in_the_web_role(monkeypatch) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("PISHKHAN_ROLE", "web")
    result = CliRunner().invoke(app, ["serve", "--telegram-polling"])
    assert result.exit_code == 2 and "role" in result.output
