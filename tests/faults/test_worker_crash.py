"""A worker killed with SIGKILL in the middle of turns, and a whole server killed with replies unsent:
no customer message is lost or answered twice, and what was left unsent goes out after the restart."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

import asyncpg
import httpx
import pytest

from tests.fakes.telegram import Failure, server_error
from tests.faults.conftest import FaultDatabase, StartServer
from tests.faults.harness import TelegramCustomers, exactly_once_in_order, settle

pytestmark = pytest.mark.faults
CHATS = list(range(7001, 7013))


async def blocked_turns(dsn: str, at_least: int, within: float = 30.0) -> list[int]:
    """For each turn waiting on our lock, the pid of the worker running it (application_name is
    pishkhan:<pid>)."""
    deadline = time.monotonic() + within
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            names = await conn.fetch(
                "SELECT application_name FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND application_name LIKE 'pishkhan:%'"
            )
            if len(names) >= at_least:
                return [int(row["application_name"].split(":")[1]) for row in names]
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(names)} turns blocked")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def test_a_worker_killed_mid_turn_loses_and_repeats_nothing(
    fault_db: FaultDatabase, start_server: StartServer, telegram_api, figures: dict
) -> None:
    server = await start_server(workers=2)
    customers = TelegramCustomers(server.base)
    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(customers.write(client, chat, "سلام") for chat in CHATS))
        await settle(fault_db.dsn, customers)

        # Hold every turn half-way: the tracker table is locked, so each turn stops after storing the
        # customer's message, holding its inbound row and its conversation's lock, uncommitted.
        holder = await asyncpg.connect(fault_db.dsn)
        await holder.execute("BEGIN; LOCK TABLE tracker_events IN ACCESS EXCLUSIVE MODE")
        try:
            await asyncio.gather(*(customers.write(client, chat, "سفارش ۱۰۰۰۰۰۱ کجاست؟") for chat in CHATS))
            held = Counter(await blocked_turns(fault_db.dsn, at_least=4))
            victim, killed_turns = held.most_common(1)[0]  # the worker holding the most turns
            assert victim in server.worker_pids()
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            await asyncio.gather(*(customers.write(client, chat, "ممنون") for chat in CHATS))
        finally:
            await holder.execute("ROLLBACK")
            await holder.close()

        ledger = await settle(fault_db.dsn, customers)
        all_answered = time.monotonic() - killed_at
    counts = exactly_once_in_order(ledger, customers, telegram_api)
    assert counts["messages"] == 3 * len(CHATS) and counts["duplicates"] == 0
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < 2 or victim in server.worker_pids():  # uvicorn replaces the dead one
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        await asyncio.sleep(0.2)
    figures.update(
        counts,
        turns_held_at_kill=sum(held.values()),
        turns_in_the_killed_worker=killed_turns,
        seconds_from_kill_to_all_answered=round(all_answered, 1),
        seconds_to_replace_the_worker=round(time.monotonic() - killed_at, 1),
    )


async def test_replies_left_unsent_by_a_killed_server_go_out_after_restart(
    fault_db: FaultDatabase, start_server: StartServer, telegram_api, figures: dict
) -> None:
    settings = {"PISHKHAN_OUTBOX_LEASE_SECONDS": "10"}
    server = await start_server(workers=2, **settings)
    customers = TelegramCustomers(server.base)
    # Telegram answers 500 for a while, and one send hangs: at the kill, replies wait for a retry and
    # one is mid-send (leased).
    telegram_api.script("sendMessage", Failure(500, "Internal Server Error", delay=8))
    telegram_api.fail("sendMessage", server_error(), times=40)
    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(customers.write(client, chat, "سلام") for chat in CHATS[:6]))
        await telegram_api.wait_for("sendMessage", count=6, within=30)
        server.kill()
        unsent = await asyncpg.connect(fault_db.dsn)
        waiting = await unsent.fetchval("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
        await unsent.close()
        assert waiting >= 6 and telegram_api.sent_texts() == []

        telegram_api.recover()
        restarted_at = time.monotonic()
        await start_server(workers=2, **settings)
        ledger = await settle(fault_db.dsn, customers, within=90)
    counts = exactly_once_in_order(ledger, customers, telegram_api)
    assert counts["duplicates"] == 0 and counts["replies"] >= 6
    figures.update(
        counts,
        unsent_at_kill=waiting,
        seconds_from_restart_to_all_sent=round(time.monotonic() - restarted_at, 1),
        lease_seconds=10,
    )
