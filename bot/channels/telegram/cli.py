"""``pishkhan telegram set-webhook | delete-webhook | webhook-info`` for Telegram and Bale.

Mounted by bot/cli.py as ``app.add_typer(telegram_app, name="telegram")``. aiogram is imported inside
the commands, so every other ``pishkhan`` command starts without it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.channels.telegram.instances import TELEGRAM, Instance, configured
from bot.config import SettingsError, load_settings

if TYPE_CHECKING:
    from aiogram import Bot

telegram_app = typer.Typer(
    help="Telegram-compatible channels (Telegram, Bale): the webhook.", no_args_is_help=True
)
Channel = Annotated[str, typer.Option("--channel", help="telegram, or bale (PISHKHAN_BALE_TOKEN)")]
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def _fail(reason: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {reason}", err=True)
    return typer.Exit(code)


def _instance(name: str) -> tuple[Instance, str]:
    """The configured instance and the public URL its webhook lives at by default."""
    try:
        settings = load_settings()
        found = {i.name: i for i in configured(settings)}
    except (SettingsError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if name not in found:
        raise _fail(f"{name} is not configured: set PISHKHAN_{name.upper()}_TOKEN")
    return found[name], f"{settings.public_url.rstrip('/')}/webhooks/{name}"


def _call(instance: Instance, work: Callable[[Bot], Awaitable[Any]]) -> Any:
    from aiogram.exceptions import TelegramAPIError

    from bot.channels.telegram.client import make_bot

    async def run() -> Any:
        bot = make_bot(instance)
        try:
            return await work(bot)
        finally:
            await bot.session.close()

    try:
        return asyncio.run(run())
    except TelegramAPIError as exc:  # the Bot API's own words say what to fix (HTTPS, port, token)
        raise _fail(f"{instance.name} refused: {exc.message}", 1) from None


@telegram_app.command("set-webhook")
def set_webhook(
    url: Annotated[
        str | None, typer.Argument(help="Public HTTPS URL [PISHKHAN_PUBLIC_URL/webhooks/<channel>]")
    ] = None,
    channel: Channel = TELEGRAM,
    drop_pending: Annotated[bool, typer.Option(help="Discard updates that are waiting")] = False,
) -> None:
    """Send updates to URL, signed with the channel's webhook secret."""
    instance, default_url = _instance(channel)
    if not instance.webhook_secret:
        raise _fail(f"set {instance.env_prefix}WEBHOOK_SECRET first: the webhook refuses unsigned updates")
    target = url or default_url
    _call(
        instance,
        lambda bot: bot.set_webhook(
            url=target,
            secret_token=instance.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending,
        ),
    )
    typer.echo(f"{instance.name} webhook set: {target}")


@telegram_app.command("delete-webhook")
def delete_webhook(
    channel: Channel = TELEGRAM,
    drop_pending: Annotated[bool, typer.Option(help="Discard updates that are waiting")] = False,
) -> None:
    """Stop sending updates to the webhook (they wait for getUpdates instead)."""
    instance, _ = _instance(channel)
    _call(instance, lambda bot: bot.delete_webhook(drop_pending_updates=drop_pending))
    typer.echo(f"{instance.name} webhook deleted")


@telegram_app.command("webhook-info")
def webhook_info(channel: Channel = TELEGRAM) -> None:
    """Where updates go, how many wait, and the last delivery error, as JSON."""
    instance, _ = _instance(channel)
    info = _call(instance, lambda bot: bot.get_webhook_info())
    typer.echo(json.dumps(info.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2))
