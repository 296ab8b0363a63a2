"""Deliver one outbox row to Instagram: check the messaging window, send each part, map Meta's errors.

Outside the window nothing is sent: Meta would refuse, and the refusal is more useful to the agent as
a reason recorded on the message at once ("the customer last wrote 3 days ago") than as an API error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.instagram.adapter import NAME
from bot.channels.instagram.graph import (
    TOKEN_CODE,
    UNREACHABLE_CODE,
    GraphClient,
    GraphError,
    GraphUnavailable,
    classify,
)
from bot.channels.instagram.render import send_requests
from bot.channels.instagram.window import WindowDecision, within_window
from bot.delivery import Delivered, DeliveryError, OutboxItem, PermanentError, TransientError
from bot.services import channel_state
from bot.storage.base import utcnow

log = logging.getLogger("pishkhan.instagram")
PROGRESS_KEY = "instagram_sent_mids"  # in the outbox body: parts already accepted by Meta
HUMAN_AGENT_HINT = (
    "; agents can answer for up to 7 days when PISHKHAN_INSTAGRAM_HUMAN_AGENT_TAG is enabled "
    "(it needs Meta's Human Agent approval)"
)


class InstagramSender:
    """``async (OutboxItem) -> Delivered``, for the outbox worker. ``item.target`` is the customer's IGSID."""

    def __init__(
        self,
        graph: GraphClient,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        human_agent_tag: bool = False,
        channel: str = NAME,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.graph, self.sessionmaker = graph, sessionmaker
        self.human_agent_tag, self.channel, self.clock = human_agent_tag, channel, clock

    async def __call__(self, item: OutboxItem) -> Delivered:
        decision = await self.decide(item)
        requests = send_requests(
            item.target, item.body, messaging_type=decision.messaging_type, tag=decision.tag
        )
        if not requests:
            raise PermanentError("empty message: nothing to send to Instagram")
        sent: list[str | None] = list(item.body.get(PROGRESS_KEY) or [])
        for request in requests[len(sent) :]:  # a retry resumes after the parts Meta already took
            try:
                sent.append(await self.graph.send(request))
            except (GraphError, GraphUnavailable) as exc:
                await self._remember(item, sent, len(requests))
                raise await self._failure(item, exc) from None
        return Delivered(external_id=next((mid for mid in sent if mid), None))

    async def decide(self, item: OutboxItem) -> WindowDecision:
        """May this row go out now, and with which message tag? Raises PermanentError when it may not."""
        async with self.sessionmaker() as session:
            facts = await channel_state.delivery_facts(
                session, channel=self.channel, external_id=item.target, message_id=item.message_id
            )
        human_agent = facts.by_agent and self.human_agent_tag
        decision = within_window(facts.last_inbound_at, self.clock(), human_agent=human_agent)
        if not decision.allowed:
            hint = HUMAN_AGENT_HINT if facts.by_agent and not self.human_agent_tag else ""
            raise PermanentError(f"{decision.reason}{hint}")
        return decision

    async def _remember(self, item: OutboxItem, sent: list[str | None], total: int) -> None:
        if not sent or len(sent) == len(item.body.get(PROGRESS_KEY) or []):
            return  # nothing new was accepted on this attempt
        async with self.sessionmaker() as session, session.begin():
            await channel_state.record_progress(session, item, PROGRESS_KEY, sent)
        log.info("outbox %s: %d of %d Instagram parts sent before the failure", item.id, len(sent), total)

    async def _failure(self, item: OutboxItem, exc: GraphError | GraphUnavailable) -> DeliveryError:
        if isinstance(exc, GraphUnavailable):
            return TransientError(str(exc))
        if exc.code == TOKEN_CODE:
            log.critical(
                "Instagram rejected the access token (190): every Instagram reply fails until it is renewed"
            )
        elif exc.code == UNREACHABLE_CODE:
            async with self.sessionmaker() as session, session.begin():
                await channel_state.set_reachable(
                    session, channel=self.channel, external_id=item.target, reachable=False
                )
        return classify(exc)
