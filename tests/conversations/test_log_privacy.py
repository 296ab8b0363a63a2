"""Logs never carry a customer's phone, email or words in clear (DESIGN §9), whatever the log level."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from bot.observability import JsonFormatter, quiet_third_party
from tests.shop import KnownShop

PHONE, EMAIL = "09121234567", "sara.ahmadi@example.com"
WORDS = "گوشیم از دیروز خاموش شده و دیگه روشن نمیشه"
TURNS = [
    "/track_order",
    "1000001",
    "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    f"فاکتور سفارش ۱۰۰۰۰۰۱ رو به {EMAIL} بفرستید",
    WORDS,
    "شماره من 09121234567 هست",
    "/human_handoff",
]


async def test_a_conversation_leaves_no_personal_data_in_the_logs(
    bot: httpx.AsyncClient, bot_app: FastAPI, shop: KnownShop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    quiet_third_party()  # as production logging does: drivers would print SQL parameters at DEBUG
    for text in TURNS:
        response = await bot.post("/webhooks/rest/webhook", json={"sender": "privacy-check", "message": text})
        assert response.status_code == 200
    await bot_app.state.outbox_sender.drain()
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert lines, "the turns logged nothing at DEBUG: the check would prove nothing"
    forbidden = [PHONE, "9121234567", "۰۹۱۲", EMAIL, WORDS, "خاموش"]
    leaks = [(needle, line) for line in lines for needle in forbidden if needle in line]
    assert leaks == []
