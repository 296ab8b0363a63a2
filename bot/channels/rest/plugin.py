"""The REST channel in the registry. Its replies travel in the answer to the customer's own request, so a
message sent later (an agent's reply, a CSAT question, a notice) cannot reach a REST client: the outbox
records it as failed with that reason, visible to the agent, instead of retrying forever."""

from __future__ import annotations

from bot.channels.registry import ChannelContext, ChannelPlugin
from bot.channels.rest.adapter import NAME, RestChannel
from bot.delivery import OutboxItem, PermanentError

UNDELIVERABLE = "the REST channel only answers its own requests; it cannot receive a message sent later"


async def refuse_later_messages(item: OutboxItem) -> None:
    raise PermanentError(UNDELIVERABLE)


def make_plugins(context: ChannelContext) -> list[ChannelPlugin]:
    return [ChannelPlugin(name=NAME, adapter=RestChannel(), sender=refuse_later_messages)]
