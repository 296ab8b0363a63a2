"""The pieces of a fault scenario: Pishkhan served by its real command in its own process group, Telegram
customers whose updates are redelivered until acknowledged (as Telegram does), and the one check every
scenario ends with: each message stored once, each reply shown once, in order."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.bench.servers import ROOT, free_port
from tests.fakes.telegram import TOKEN, FakeTelegram

SECRET = "fault-test-secret"
PISHKHAN = Path(ROOT) / ".venv" / "bin" / "pishkhan"


class PishkhanServer:
    """``pishkhan serve --workers N`` as an operator runs it, with its output kept in ``log``."""

    def __init__(self, env: dict[str, str], *, workers: int, log: Path) -> None:
        self.env, self.workers, self.log = env, workers, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(PISHKHAN), "serve", "--workers", str(self.workers), "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as one, workers included
            )

    async def wait_healthy(self, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"pishkhan serve exited with {self.process.returncode}: {self.tail()}")
                try:
                    healthy = (await client.get(f"{self.base}/healthz")).status_code == 200
                    if (
                        healthy and "conversations are off" in self.tail()
                    ):  # no NLU model: nothing would answer
                        raise RuntimeError(f"pishkhan serve runs without conversations: {self.tail()}")
                    if healthy and len(self.worker_pids()) >= (self.workers if self.workers > 1 else 0):
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"pishkhan serve not healthy within {within} s: {self.tail()}")

    def worker_pids(self) -> list[int]:
        """The worker processes uvicorn's supervisor runs (none with --workers 1: it serves itself)."""
        if self.process is None:
            return []
        pids = []
        for child in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            pids += [int(p) for p in child.read_text().split()]
        return [p for p in pids if b"spawn_main" in _cmdline(p)]

    def kill(self) -> None:
        """SIGKILL the whole group: no shutdown hook runs, as in a power cut or an OOM kill."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


_message_ids = itertools.count(1000)


@dataclass
class TelegramCustomers:
    """Customers writing to the bot. Like Telegram, an update is sent again until it is answered 200."""

    base: str
    sent: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))  # chat → message keys
    refusals: Counter[int | str] = field(default_factory=Counter)  # status (or error name) → how often
    acknowledged: int = 0

    def update(self, chat: int, text: str) -> dict[str, Any]:
        message_id = next(_message_ids)
        self.sent[chat].append(f"{chat}:{message_id}")
        sender = {"id": chat, "is_bot": False, "first_name": "مشتری", "language_code": "fa"}
        return {
            "update_id": message_id,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "مشتری"},
                "from": sender,
                "text": text,
            },
        }

    async def write(self, client: httpx.AsyncClient, chat: int, text: str, within: float = 120.0) -> None:
        """One message, delivered until acknowledged (a chat's next message waits, as on Telegram)."""
        update = self.update(chat, text)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                response = await client.post(
                    f"{self.base}/webhooks/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                if response.status_code == 200:
                    self.acknowledged += 1
                    return
                self.refusals[response.status_code] += 1
            except httpx.TransportError as exc:
                self.refusals[type(exc).__name__] += 1
            await asyncio.sleep(0.2)
        raise TimeoutError(f"update {update['update_id']} never acknowledged")

    async def converse(self, client: httpx.AsyncClient, chat: int, lines: list[str]) -> None:
        for line in lines:
            await self.write(client, chat, line)


def server_env(database_url: str, telegram: FakeTelegram, **more: str) -> dict[str, str]:
    return {
        "PISHKHAN_DATABASE_URL": database_url,
        "PISHKHAN_ENV": "test",
        "PISHKHAN_TELEGRAM_TOKEN": TOKEN,
        "PISHKHAN_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PISHKHAN_TELEGRAM_API_BASE": telegram.url,
        "PISHKHAN_LOG_LEVEL": "INFO",
        **more,
    }


@dataclass
class Ledger:
    """What the database says happened in each Telegram chat."""

    inbound: dict[str, list[str]]  # chat → stored customer message keys, in order
    replies: dict[str, list[str]]  # chat → the bot's stored reply texts, in order
    undelivered: list[tuple[str, str]]  # (chat, delivery status) of replies not marked sent
    unfinished: int  # inbound updates or outbox rows still waiting


async def read_ledger(dsn: str) -> Ledger:
    conn = await asyncpg.connect(dsn)
    try:
        # One snapshot: a reply recorded as sent between two reads must not look both sent and unsent
        transaction = conn.transaction(isolation="repeatable_read", readonly=True)
        await transaction.start()
        rows = await conn.fetch(
            """SELECT i.external_id AS chat, m.direction, m.external_message_id, m.text, m.delivery_status
               FROM messages m JOIN conversations c ON c.id = m.conversation_id
               JOIN identities i ON i.id = c.identity_id
               WHERE i.channel = 'telegram' ORDER BY m.id"""
        )
        unfinished = await conn.fetchval(
            """SELECT (SELECT count(*) FROM inbound_updates WHERE status = 'pending')
                    + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending'))"""
        )
        await transaction.rollback()
    finally:
        await conn.close()
    inbound: dict[str, list[str]] = defaultdict(list)
    replies: dict[str, list[str]] = defaultdict(list)
    undelivered = []
    for row in rows:
        if row["direction"] == "in":
            inbound[row["chat"]].append(row["external_message_id"])
        else:
            replies[row["chat"]].append(row["text"])
            if row["delivery_status"] != "sent":
                undelivered.append((row["chat"], row["delivery_status"]))
    return Ledger(dict(inbound), dict(replies), undelivered, unfinished)


async def settle(dsn: str, customers: TelegramCustomers, within: float = 120.0, quiet: float = 5.0) -> Ledger:
    """Wait until every acknowledged message has had its turn and every reply has gone out, or until
    nothing has been waiting for ``quiet`` seconds (whatever is missing then is lost: the check says)."""
    deadline = time.monotonic() + within
    idle_since: float | None = None
    while True:
        ledger = await read_ledger(dsn)
        stored = sum(len(v) for v in ledger.inbound.values())
        if ledger.unfinished == 0 and stored >= customers.acknowledged:
            return ledger
        if ledger.unfinished == 0:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > quiet:
                return ledger
        else:
            idle_since = None
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"not settled: {stored}/{customers.acknowledged} stored, {ledger.unfinished} waiting"
            )
        await asyncio.sleep(0.25)


def exactly_once_in_order(ledger: Ledger, customers: TelegramCustomers, telegram: FakeTelegram) -> dict:
    """Every message stored once in the order sent; the customer saw exactly the stored replies, in
    order. Returns the counts for the report; fails with the first chat that differs."""
    replies = duplicates = 0
    for chat, keys in customers.sent.items():
        stored = ledger.inbound.get(str(chat))
        assert stored == keys, f"chat {chat}: sent {keys}, stored {stored}"
        expected = ledger.replies.get(str(chat), [])
        seen = telegram.sent_texts(chat)
        duplicates += max(0, len(seen) - len(expected))
        assert seen == expected, f"chat {chat}: the customer saw {seen}, the bot sent {expected}"
        assert len(expected) >= len(keys), f"chat {chat}: a message went unanswered"
        replies += len(expected)
    assert ledger.undelivered == [], f"replies not marked sent: {ledger.undelivered}"
    return {
        "messages": sum(len(k) for k in customers.sent.values()),
        "replies": replies,
        "duplicates": duplicates,
    }
