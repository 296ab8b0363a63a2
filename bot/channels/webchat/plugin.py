"""The web-chat channel's plugin: always on (it needs no outside account)."""

from __future__ import annotations

from bot.channels.registry import ChannelContext, ChannelPlugin

from .adapter import NAME, WebchatAdapter
from .sender import make_sender


def make_plugins(context: ChannelContext) -> list[ChannelPlugin]:
    adapter = WebchatAdapter(context)
    return [ChannelPlugin(name=NAME, adapter=adapter, sender=make_sender(context.bus), close=adapter.close)]
