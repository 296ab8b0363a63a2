"""The Telegram channel in a running process: one plugin per configured Telegram-compatible messenger
(``telegram``, ``bale``), each with its client, webhook adapter, sender, and polling when asked for."""

from __future__ import annotations

import functools
import logging

from bot.channels.registry import ChannelContext, ChannelPlugin
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.chat_action import Typing
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.instances import Instance, configured
from bot.channels.telegram.polling import poll
from bot.channels.telegram.sender import TelegramSender

log = logging.getLogger("pishkhan.telegram")


def make_plugins(context: ChannelContext) -> list[ChannelPlugin]:
    return [make_plugin(instance, context) for instance in configured(context.settings)]


def make_plugin(instance: Instance, context: ChannelContext) -> ChannelPlugin:
    bot = make_bot(instance, timeout=context.settings.channel_timeout_seconds)
    typing = Typing(bot)
    channel = TelegramChannel(instance, bot, context.sessionmaker, nudge=context.nudge_inbound, typing=typing)
    sender = TelegramSender(bot, context.sessionmaker, channel=instance.name, typing=typing)
    if instance.webhook_secret is None and not instance.polling:
        log.warning(
            "%sWEBHOOK_SECRET is not set and polling is off: %s updates cannot arrive",
            instance.env_prefix,
            instance.name,
        )

    async def close() -> None:
        await channel.close()
        await typing.close()
        await bot.session.close()

    tasks = [functools.partial(poll, channel)] if instance.polling else []
    return ChannelPlugin(name=instance.name, adapter=channel, sender=sender, tasks=tasks, close=close)
