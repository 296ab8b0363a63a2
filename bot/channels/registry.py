"""Which channels run in this process: each channel package offers a factory that returns its plugin
when its settings are present (a Telegram token, an Instagram app secret…) and None otherwise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.events import EventBus

log = logging.getLogger("pishkhan.channels")


@dataclass
class ChannelContext:
    """What a channel may use: settings, the database, the event bus, and a nudge for the inbound worker."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    nudge_inbound: Callable[[], None]


@dataclass
class ChannelPlugin:
    name: str
    adapter: Any  # the channel's adapter object, used by its webhook route
    sender: Sender | None = None  # delivers this channel's outbox rows
    tasks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # long-running (polling)
    close: Callable[[], Awaitable[None]] | None = None


Factory = Callable[[ChannelContext], "list[ChannelPlugin]"]


def factories() -> list[Factory]:
    """Every channel package's factory. Add a channel by adding its factory here."""
    # imported here, not at the top: the channel packages import this module
    from bot.channels.instagram.plugin import make_plugins as instagram
    from bot.channels.rest.plugin import make_plugins as rest
    from bot.channels.telegram.plugin import make_plugins as telegram
    from bot.channels.webchat.plugin import make_plugins as webchat

    return [instagram, rest, telegram, webchat]


def build_channels(context: ChannelContext) -> dict[str, ChannelPlugin]:
    plugins: dict[str, ChannelPlugin] = {}
    for factory in factories():
        for plugin in factory(context):
            if plugin.name in plugins:
                raise ValueError(f"two channels are named {plugin.name!r}")
            plugins[plugin.name] = plugin
    log.info("channels: %s", ", ".join(sorted(plugins)))
    return plugins
