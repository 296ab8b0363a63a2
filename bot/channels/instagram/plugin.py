"""The Instagram channel in a running process: present when its app secret is set (webhooks in), with a
sender when its access token is set too (messages out)."""

from __future__ import annotations

import logging

from bot.channels.instagram.adapter import NAME, InstagramChannel
from bot.channels.instagram.graph import GraphClient
from bot.channels.instagram.sender import InstagramSender
from bot.channels.registry import ChannelContext, ChannelPlugin

log = logging.getLogger("pishkhan.instagram")


def make_plugins(context: ChannelContext) -> list[ChannelPlugin]:
    settings = context.settings
    if settings.instagram_app_secret is None:
        return []
    if settings.instagram_verify_token is None:
        log.warning("PISHKHAN_INSTAGRAM_VERIFY_TOKEN is not set: Meta cannot subscribe the webhook")
    channel = InstagramChannel(
        app_secrets=[settings.instagram_app_secret.get_secret_value()],
        verify_token=settings.instagram_verify_token.get_secret_value()
        if settings.instagram_verify_token
        else None,
        sessionmaker=context.sessionmaker,
        nudge=context.nudge_inbound,
    )
    if settings.instagram_access_token is None:
        log.warning("PISHKHAN_INSTAGRAM_ACCESS_TOKEN is not set: Instagram replies wait in the outbox")
        return [ChannelPlugin(name=NAME, adapter=channel)]
    graph = GraphClient(
        base_url=settings.graph_api_base,
        access_token=settings.instagram_access_token.get_secret_value(),
        account_id=settings.instagram_account_id,
        timeout=settings.channel_timeout_seconds,
    )
    sender = InstagramSender(graph, context.sessionmaker, human_agent_tag=settings.instagram_human_agent_tag)
    return [ChannelPlugin(name=NAME, adapter=channel, sender=sender, close=graph.aclose)]
