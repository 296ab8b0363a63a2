"""POST /webhooks/telegram and /webhooks/bale without the bot behind them: who is let in, what is
stored, what is answered at once. (The turns themselves: test_conversation.py.)"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from bot.channels.inbound import from_payload
from bot.config import Settings
from bot.services import conversations, identity
from bot.storage.models import Identity, InboundUpdate, Outbox
from tests.apps import serve
from tests.channels.telegram.conftest import (
    BALE_SECRET,
    BALE_TOKEN,
    CHAT,
    PAYLOADS,
    callback_update,
    post_update,
    text_update,
)
from tests.fakes.telegram import TOKEN, FakeTelegram


async def stored(app: FastAPI) -> list[InboundUpdate]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(InboundUpdate).order_by(InboundUpdate.id)))


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "test-telegram-secret_"])
async def test_a_missing_or_wrong_secret_is_401_and_nothing_is_stored(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, telegram_api: FakeTelegram, secret: str | None
) -> None:
    response = await post_update(tg_client, text_update("سلام"), secret=secret)
    assert response.status_code == 401
    assert await stored(tg_app) == [] and telegram_api.calls == []


async def test_each_messenger_has_its_own_secret(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    update = text_update("سلام از بله")
    assert (
        await post_update(tg_client, update, path="/webhooks/bale")
    ).status_code == 401  # Telegram's secret
    response = await post_update(tg_client, update, secret=BALE_SECRET, path="/webhooks/bale")
    assert response.status_code == 200 and response.json() == {"queued": 1, "duplicates": 0, "skipped": {}}
    [row] = await stored(tg_app)
    assert row.channel == "bale" and row.ordering_key == f"bale:{CHAT}"
    assert from_payload(row.payload).text == "سلام از بله"
    [typing] = await telegram_api.wait_for("sendChatAction")
    assert telegram_api.calls[0].token == BALE_TOKEN and typing["action"] == "typing"


async def test_an_update_is_stored_answered_and_typing_shown(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    raw = (PAYLOADS / "text.json").read_bytes()
    headers = {
        "X-Telegram-Bot-Api-Secret-Token": "test-telegram-secret_1",
        "Content-Type": "application/json",
    }
    response = await tg_client.post("/webhooks/telegram", content=raw, headers=headers)
    assert response.status_code == 200 and response.json()["queued"] == 1
    [row] = await stored(tg_app)
    message = from_payload(row.payload)
    assert (row.channel, row.external_id, row.status) == ("telegram", "1111111:1365", "pending")
    assert message.text == "سلام، سفارشم کجاست؟" and message.display_name == "سارا احمدی"
    await telegram_api.wait_for("sendChatAction")
    assert [c.token for c in telegram_api.calls] == [TOKEN]


async def test_a_redelivered_update_is_acknowledged_and_dropped(
    tg_client: httpx.AsyncClient, tg_app: FastAPI
) -> None:
    update = text_update("سفارشم کجاست")
    first, again = await post_update(tg_client, update), await post_update(tg_client, update)
    together = await asyncio.gather(*(post_update(tg_client, update) for _ in range(5)))
    assert first.json()["queued"] == 1 and again.json() == {"queued": 0, "duplicates": 1, "skipped": {}}
    assert all(r.status_code == 200 and r.json()["queued"] == 0 for r in together)
    assert len(await stored(tg_app)) == 1


@pytest.mark.parametrize("body", [b"", b"{not json", b"[1, 2]", b'{"message": {"text": "x"}}', b"\xff\xfe"])
async def test_a_body_that_is_not_an_update_is_400_and_nothing_is_stored(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, body: bytes
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": "test-telegram-secret_1"}
    response = await tg_client.post("/webhooks/telegram", content=body, headers=headers)
    assert response.status_code == 400 and await stored(tg_app) == []


async def test_what_the_bot_does_not_act_on_is_acknowledged_without_a_trace(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    for name in ("edited_message", "group_chat", "channel_post"):
        update = (PAYLOADS / f"{name}.json").read_bytes()
        headers = {"X-Telegram-Bot-Api-Secret-Token": "test-telegram-secret_1"}
        response = await tg_client.post("/webhooks/telegram", content=update, headers=headers)
        assert response.status_code == 200 and response.json()["queued"] == 0
    assert await stored(tg_app) == [] and telegram_api.calls == []


async def test_a_button_press_is_answered_and_its_payload_queued(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    update = callback_update('/choose{"order_id":"1000002"}', title="۱۰۰۰۰۰۲")
    assert (await post_update(tg_client, update)).json()["queued"] == 1
    [answer] = await telegram_api.wait_for("answerCallbackQuery")
    assert answer == {"callback_query_id": update["callback_query"]["id"]}  # no alert, the spinner just stops
    [row] = await stored(tg_app)
    message = from_payload(row.payload)
    assert message.text == '/choose{"order_id":"1000002"}' and message.payload == {
        "button": {"title": "۱۰۰۰۰۰۲"}
    }


async def _outbox_row(app: FastAPI, target: str, buttons: list[dict[str, str]]) -> int:
    async with app.state.sessionmaker() as session, session.begin():
        found = await identity.resolve_identity(session, channel="telegram", external_id=target)
        conversation = await conversations.open_conversation(session, found)
        message = await conversations.store_outbound(
            session, conversation, text="کدام کالا؟", payload={"buttons": buttons}, target=target
        )
        await session.flush()
        row_id = await session.scalar(select(Outbox.id).where(Outbox.message_id == message.id))
    assert row_id is not None
    return row_id


async def test_a_long_payload_is_found_again_from_the_row_that_sent_it(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    long_payload = '/choose{"fault_description":"صفحه خاموش می‌شود و شارژ نمی‌گیرد"}'
    row_id = await _outbox_row(tg_app, str(CHAT), [{"title": "خاموش می‌شود", "payload": long_payload}])
    assert (await post_update(tg_client, callback_update(f"~{row_id}.0"))).json()["queued"] == 1
    [row] = await stored(tg_app)
    assert from_payload(row.payload).text == long_payload
    await telegram_api.wait_for("answerCallbackQuery")


@pytest.mark.parametrize("reference", ["~{row}.5", "~{row}.0 from another chat", "~999999.0"])
async def test_a_reference_to_nothing_of_this_chat_is_answered_but_not_queued(
    tg_client: httpx.AsyncClient, tg_app: FastAPI, telegram_api: FakeTelegram, reference: str
) -> None:
    row_id = await _outbox_row(tg_app, "7777777", [{"title": "x", "payload": "/choose{" + "x" * 80 + "}"}])
    data = reference.split()[0].format(row=row_id)
    uid = CHAT if "another" in reference else 7777777
    response = await post_update(tg_client, callback_update(data, uid=uid))
    assert response.json() == {"queued": 0, "duplicates": 0, "skipped": {"expired_button": 1}}
    [answer] = await telegram_api.wait_for("answerCallbackQuery")
    assert answer["text"] == "این گزینه دیگر در دسترس نیست؛ لطفاً دوباره بپرسید."
    assert await stored(tg_app) == []


async def test_blocking_and_unblocking_the_bot_is_recorded_on_the_identity(
    tg_client: httpx.AsyncClient, tg_app: FastAPI
) -> None:
    async with tg_app.state.sessionmaker() as session, session.begin():
        await identity.resolve_identity(session, channel="telegram", external_id=str(CHAT))

    async def reachable() -> bool | None:
        async with tg_app.state.sessionmaker() as session:
            return await session.scalar(select(Identity.reachable).where(Identity.external_id == str(CHAT)))

    headers = {"X-Telegram-Bot-Api-Secret-Token": "test-telegram-secret_1"}
    blocked = (PAYLOADS / "my_chat_member_blocked.json").read_bytes()
    assert (await tg_client.post("/webhooks/telegram", content=blocked, headers=headers)).status_code == 200
    assert await reachable() is False
    unblocked = (PAYLOADS / "my_chat_member_unblocked.json").read_bytes()
    assert (await tg_client.post("/webhooks/telegram", content=unblocked, headers=headers)).status_code == 200
    assert await reachable() is True
    assert await stored(tg_app) == []


async def test_a_messenger_that_is_not_configured_is_404(database_url: str, engine: AsyncEngine) -> None:
    settings = Settings(database_url=database_url, env="test", _env_file=None)  # type: ignore[call-arg]
    async for client in serve(create_app(settings, load_conversations=False), engine):
        response = await post_update(client, text_update("سلام"))
        assert response.status_code == 404 and "PISHKHAN_TELEGRAM_TOKEN" in response.json()["detail"]
        assert (await post_update(client, text_update("سلام"), path="/webhooks/bale")).status_code == 404


async def test_without_a_configured_secret_nothing_is_accepted(
    database_url: str, engine: AsyncEngine, telegram_api: FakeTelegram
) -> None:
    # a forged update could claim any customer's phone: no secret, no webhook
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url,
        env="test",
        _env_file=None,
        telegram_token=TOKEN,
        telegram_api_base=telegram_api.url,
    )
    app = create_app(settings, load_conversations=False)
    async for client in serve(app, engine):
        for secret in (None, "", "anything"):
            assert (await post_update(client, text_update("سلام"), secret=secret)).status_code == 401
        async with app.state.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 0
