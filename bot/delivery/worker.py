"""The outbox sender: claim due rows, deliver each outside any transaction, record the outcome.

Run one per process (the app's lifespan starts it; ``run_standalone`` runs it alone). Several may run
against PostgreSQL: claims skip rows another worker holds. Delivery is at least once: a process killed
after the far side accepted a row but before the outcome was stored sends it again after the lease
runs out, which is why shop events carry an id for the shop to ignore a repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import claims, wakeup
from bot.delivery.base import (
    OutboxItem,
    PermanentError,
    RetryAfter,
    Sender,
    SenderRegistry,
    TransientError,
    routing_key,
)
from bot.delivery.claims import Outcome
from bot.delivery.retry import MAX_RETRY_AFTER, RetryPolicy, policy_for
from bot.delivery.shop_webhook import ShopWebhookSender, make_client
from bot.delivery.sms import SmsSender
from bot.delivery.smtp import SmtpSender
from bot.storage.base import utcnow
from bot.storage.models import OutboxKind, OutboxStatus

log = logging.getLogger("pishkhan.delivery")
OnRecorded = Callable[[OutboxItem, Outcome], Awaitable[None]]
STORE_CONCURRENCY = 4


class OutboxSender:
    """``registry`` senders (channel adapters, or test doubles) come first; shop events, email and SMS
    have built-in senders. ``clock`` and the retry ``policies`` are injectable so tests need no sleeps."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        registry: SenderRegistry | None = None,
        policies: Mapping[str, RetryPolicy] | None = None,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float = 1.0,
        batch: int = 32,
        lease: timedelta | None = None,
        delivery_timeout: float | None = None,
        unroutable_delay: timedelta = timedelta(minutes=1),
        http: httpx.AsyncClient | None = None,
        on_recorded: OnRecorded | None = None,
    ) -> None:
        lease = lease or timedelta(seconds=settings.outbox_lease_seconds)
        if delivery_timeout is None:  # half the lease: a slow attempt ends well before another may start
            delivery_timeout = min(60.0, lease.total_seconds() / 2)
        if delivery_timeout >= lease.total_seconds():
            raise ValueError("delivery_timeout must be shorter than the lease, or a slow send is sent twice")
        self.sessionmaker, self.settings = sessionmaker, settings
        self.registry = registry if registry is not None else SenderRegistry()
        self.policies, self.clock = policies, clock
        self.poll_seconds, self.batch, self.lease = poll_seconds, batch, lease
        self.delivery_timeout, self.unroutable_delay = delivery_timeout, unroutable_delay
        self.on_recorded = on_recorded
        self._http, self._owns_http = http, http is None
        self._builtins: dict[str, Sender] = {}
        self._in_flight: dict[int, OutboxItem] = {}
        self._unrecorded: list[tuple[OutboxItem, Outcome]] = []
        self._wake = asyncio.Event()
        # A batch's outcomes are stored as its sends finish; a few at a time, so a full batch cannot
        # take every pooled connection from the turns and webhooks of the same process.
        self._storing = asyncio.Semaphore(STORE_CONCURRENCY)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- life cycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> OutboxSender:
        self.open()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def open(self) -> None:
        """Make the built-in senders and listen for commits (``run_once`` calls it; no task is started)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        if self._http is None:
            self._http = make_client()
        self._builtins = {
            OutboxKind.SHOP_EVENT: ShopWebhookSender(self.settings, self._http, clock=self.clock),
            OutboxKind.EMAIL: SmtpSender(self.settings),
            OutboxKind.SMS: SmsSender(self.settings, client=self._http),
        }
        wakeup.watch(self)

    async def start(self) -> None:
        """Run in the background until ``stop``."""
        self.open()
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run_forever(), name="pishkhan-outbox-sender")

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the deliveries under way (up to ``grace`` seconds), give back the rest, close."""
        self._stopping = True
        self.nudge()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        wakeup.forget(self)
        await self._flush_unrecorded()
        if self._in_flight:
            await self._release(list(self._in_flight.values()))
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        self._loop = None

    def nudge(self) -> None:
        """Look for due rows now (safe from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    # -- the loop -----------------------------------------------------------------------------------

    async def run_forever(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                handled = await self.run_once()
            except Exception:  # the database may be away: rows wait safely, try again soon
                log.exception("outbox pass failed")
                handled = 0
            if handled == 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def drain(self, max_passes: int = 1000) -> int:
        """Pass until nothing is due now (tests, the CLI); returns how many attempts were made."""
        total = 0
        for _ in range(max_passes):
            handled = await self.run_once()
            if handled == 0:
                break
            total += handled
        return total

    async def run_once(self) -> int:
        """Claim one batch, deliver it concurrently (one row per chat), record each outcome."""
        self.open()
        await self._flush_unrecorded()
        async with self.sessionmaker() as session, session.begin():
            items = await claims.claim_due(session, now=self.clock(), lease=self.lease, limit=self.batch)
        if items:
            await asyncio.gather(*(self._attempt(item) for item in items))
        return len(items)

    async def _attempt(self, item: OutboxItem) -> None:
        self._in_flight[item.id] = item  # cancelled mid-send (shutdown): stop() gives it back
        outcome = await self.deliver(item)
        del self._in_flight[item.id]
        await self._store(item, outcome)

    # -- one attempt --------------------------------------------------------------------------------

    def sender_for(self, item: OutboxItem) -> Sender | None:
        """The registered sender for the row's channel (messages) or kind, else a built-in one."""
        return self.registry.find(item.kind, item.channel) or self._builtins.get(item.kind)

    async def deliver(self, item: OutboxItem) -> Outcome:
        """One attempt, never raising: what happened, as the outcome to store."""
        sender = self.sender_for(item)
        if sender is None:
            key = routing_key(item.kind, item.channel)
            return Outcome(
                OutboxStatus.PENDING,
                error=f"no sender registered for '{key}'; the row waits until one is",
                next_attempt_at=self.clock() + self.unroutable_delay,
                counts_as_attempt=False,
            )
        try:
            async with asyncio.timeout(self.delivery_timeout):
                result = await sender(item)
        except PermanentError as exc:
            return Outcome(OutboxStatus.FAILED, error=exc.reason)
        except TransientError as exc:
            return self._retry(item, exc.reason, exc.retry_after)
        except TimeoutError:
            return self._retry(item, f"no answer within {self.delivery_timeout:g} s", None)
        except Exception as exc:  # a sender's bug must delay a row, never drop it
            log.exception("outbox %s: sender for %s raised", item.id, routing_key(item.kind, item.channel))
            return self._retry(item, f"{type(exc).__name__}: {exc}", None)
        if isinstance(result, RetryAfter):
            return self._retry(item, result.reason, result.seconds)
        return Outcome(OutboxStatus.SENT, external_id=result.external_id if result else None)

    def _retry(self, item: OutboxItem, reason: str, retry_after: float | None) -> Outcome:
        policy = policy_for(item.kind, self.policies)
        if policy.gives_up_after(item.attempt):
            return Outcome(OutboxStatus.FAILED, error=f"gave up after {item.attempt} attempts: {reason}")
        if retry_after is not None:
            wait = min(timedelta(seconds=retry_after), MAX_RETRY_AFTER)
        else:
            wait = policy.delay(item.attempt)
        return Outcome(OutboxStatus.PENDING, error=reason, next_attempt_at=self.clock() + wait)

    # -- bookkeeping --------------------------------------------------------------------------------

    async def _store(self, item: OutboxItem, outcome: Outcome) -> bool:
        """Store an outcome in its own short transaction; one that cannot be stored now (the database
        is away) is kept and stored on the next pass, before anything new is claimed."""
        try:
            async with self._storing, self.sessionmaker() as session, session.begin():
                stored = await claims.record(session, item, outcome, now=self.clock())
        except Exception:
            log.exception("outbox %s: outcome not stored yet", item.id)
            self._unrecorded.append((item, outcome))
            return False
        self._log(item, outcome, stored)
        if stored and self.on_recorded is not None:
            try:
                await self.on_recorded(item, outcome)
            except Exception:
                log.exception("outbox %s: on_recorded hook failed", item.id)
        return True

    async def _flush_unrecorded(self) -> None:
        waiting, self._unrecorded = self._unrecorded, []
        for index, (item, outcome) in enumerate(waiting):
            if not await self._store(item, outcome):
                self._unrecorded.extend(waiting[index + 1 :])
                return

    async def _release(self, items: list[OutboxItem]) -> None:
        try:
            async with self.sessionmaker() as session, session.begin():
                await claims.release(session, items, now=self.clock())
        except Exception:
            log.exception("outbox: interrupted rows not given back; they return after their lease")
        self._in_flight.clear()

    @staticmethod
    def _log(item: OutboxItem, outcome: Outcome, stored: bool) -> None:
        # Never the target or the error text here: they may hold phones, emails or message text.
        where = f"outbox {item.id} ({routing_key(item.kind, item.channel)}, attempt {item.attempt})"
        if not stored:
            log.warning("%s: claim lost (lease ran out); outcome %s not stored", where, outcome.status)
        elif outcome.status == OutboxStatus.FAILED:
            log.warning("%s failed for good; reason in outbox.last_error", where)
        elif outcome.status == OutboxStatus.PENDING and outcome.counts_as_attempt:
            log.info("%s will be retried at %s", where, outcome.next_attempt_at)
        elif outcome.status == OutboxStatus.SENT:
            log.debug("%s sent", where)


async def run_standalone(
    settings: Settings, *, registry: SenderRegistry | None = None, stop: asyncio.Event | None = None
) -> None:
    """The sender without the web app (``pishkhan outbox run``): until ``stop`` is set or cancelled.

    Give it the same channel senders the app has: a sender that cannot route a chat message puts it
    back for a minute, which would hold replies back if it ran beside the app's own sender.
    """
    from bot.storage.engine import create_engine, make_sessionmaker

    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    sender = OutboxSender(make_sessionmaker(engine), settings, registry=registry)
    try:
        await sender.start()
        await (stop or asyncio.Event()).wait()
    finally:
        await sender.stop()
        await engine.dispose()
