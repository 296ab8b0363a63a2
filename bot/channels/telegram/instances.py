"""Which Telegram-compatible messengers this process serves. Telegram itself, and Bale (بله), which
speaks the same Bot API at its own address, each as its own channel with its own token and webhook."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import Settings

TELEGRAM = "telegram"
BALE = "bale"
# aiogram refuses other shapes at Bot() time; checking here names the variable instead.
_TOKEN = re.compile(r"^\d+:\S+$")
# What setWebhook accepts as secret_token (channels.md §1.2).
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class Instance:
    """One messenger: the channel name customers' identities and messages are filed under, and how to
    reach its Bot API."""

    name: str
    token: str
    webhook_secret: str | None
    api_base: str
    polling: bool = False

    @property
    def env_prefix(self) -> str:
        return f"PISHKHAN_{self.name.upper()}_"


def configured(settings: Settings) -> list[Instance]:
    """The instances whose token is set; raises ValueError naming the variable that is malformed."""
    candidates = [
        (
            TELEGRAM,
            settings.telegram_token,
            settings.telegram_webhook_secret,
            settings.telegram_api_base,
            settings.telegram_polling,
        ),
        (
            BALE,
            settings.bale_token,
            settings.bale_webhook_secret,
            settings.bale_api_base,
            settings.bale_polling,
        ),
    ]
    found = []
    for name, token, secret, base, polling in candidates:
        if token is None:
            continue
        instance = Instance(
            name=name,
            token=token.get_secret_value().strip(),
            webhook_secret=secret.get_secret_value() if secret is not None else None,
            api_base=base.rstrip("/"),
            polling=polling,
        )
        check(instance)
        found.append(instance)
    return found


def check(instance: Instance) -> None:
    if not _TOKEN.match(instance.token):
        raise ValueError(f"{instance.env_prefix}TOKEN is not a bot token (<digits>:<secret>)")
    if instance.webhook_secret is not None and not _SECRET.match(instance.webhook_secret):
        raise ValueError(
            f"{instance.env_prefix}WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    if not instance.api_base.startswith(("https://", "http://")):
        raise ValueError(f"{instance.env_prefix}API_BASE must be an http(s) URL")
