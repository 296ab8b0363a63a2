"""``pishkhan telegram set-webhook | delete-webhook | webhook-info`` against the fake Bot API."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.channels.telegram.conftest import BALE_SECRET, BALE_TOKEN, SECRET
from tests.fakes.telegram import TOKEN, FakeTelegram


@pytest.fixture
def env(telegram_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": telegram_api.url,
        "BALE_TOKEN": BALE_TOKEN,
        "BALE_WEBHOOK_SECRET": BALE_SECRET,
        "BALE_API_BASE": telegram_api.url,
        "PUBLIC_URL": "https://shop.example/",
    }.items():
        monkeypatch.setenv(f"PISHKHAN_{name}", value)


async def pishkhan(*args: str) -> tuple[int, str, str]:
    """Run the command in a thread: it has an event loop of its own, the fake answers on this one."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    return result.exit_code, result.stdout, result.stderr


async def test_set_webhook_signs_it_with_the_secret_and_asks_only_for_what_the_bot_reads(
    env: None, telegram_api: FakeTelegram
) -> None:
    code, out, _ = await pishkhan("telegram", "set-webhook")
    assert code == 0 and out.strip() == "telegram webhook set: https://shop.example/webhooks/telegram"
    hook = telegram_api.webhooks[TOKEN]
    assert hook["url"] == "https://shop.example/webhooks/telegram" and hook["secret_token"] == SECRET
    assert hook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    code, out, _ = await pishkhan("telegram", "webhook-info")
    assert code == 0 and json.loads(out)["url"] == "https://shop.example/webhooks/telegram"
    code, out, _ = await pishkhan("telegram", "delete-webhook")
    assert code == 0 and out.strip() == "telegram webhook deleted" and TOKEN not in telegram_api.webhooks


async def test_bale_has_its_own_webhook(env: None, telegram_api: FakeTelegram) -> None:
    code, out, _ = await pishkhan(
        "telegram", "set-webhook", "https://bot.shop.example/webhooks/bale", "--channel", "bale"
    )
    assert code == 0, out
    assert (
        telegram_api.webhooks[BALE_TOKEN]["secret_token"] == BALE_SECRET
        and TOKEN not in telegram_api.webhooks
    )


async def test_failures_say_what_to_fix(
    env: None, telegram_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.telegram import Failure

    telegram_api.fail(
        "setWebhook", Failure(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    )
    code, _, err = await pishkhan("telegram", "set-webhook", "http://shop.example/hook")
    assert (
        code == 1
        and err.strip()
        == "error: telegram refused: Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )
    monkeypatch.delenv("PISHKHAN_BALE_WEBHOOK_SECRET")
    code, _, err = await pishkhan("telegram", "set-webhook", "--channel", "bale")
    assert code == 2 and "PISHKHAN_BALE_WEBHOOK_SECRET" in err
    monkeypatch.delenv("PISHKHAN_BALE_TOKEN")
    code, _, err = await pishkhan("telegram", "webhook-info", "--channel", "bale")
    assert code == 2 and err.strip() == "error: bale is not configured: set PISHKHAN_BALE_TOKEN"
    monkeypatch.setenv("PISHKHAN_TELEGRAM_TOKEN", "not a token")
    code, _, err = await pishkhan("telegram", "webhook-info")
    assert code == 2 and "PISHKHAN_TELEGRAM_TOKEN is not a bot token" in err


def test_serve_refuses_polling_with_several_workers() -> None:
    result = CliRunner().invoke(app, ["serve", "--telegram-polling", "--workers", "2"])
    assert result.exit_code == 2 and "--telegram-polling needs --workers 1" in result.stderr
