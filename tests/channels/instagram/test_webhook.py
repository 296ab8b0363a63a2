"""``GET|POST /webhooks/instagram`` with the bot switched off: what is answered and what is stored."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from bot.channels.inbound import from_payload
from bot.storage.models import InboundStatus, InboundUpdate
from tests.channels.instagram.conftest import (
    VERIFY_TOKEN,
    fixture_bytes,
    meta_body,
    notification,
    post_signed,
    signature,
    text_event,
)

SARA = "1234567890123456"


async def queued(app: FastAPI) -> list[InboundUpdate]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(InboundUpdate).order_by(InboundUpdate.id)))


def verification(token: str, challenge: str = "1158201444", mode: str = "subscribe") -> dict[str, str]:
    return {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}


async def test_verification_echoes_the_challenge_as_plain_text(ig_client: httpx.AsyncClient) -> None:
    response = await ig_client.get("/webhooks/instagram", params=verification(VERIFY_TOKEN))
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


async def test_verification_with_a_wrong_token_is_403(ig_client: httpx.AsyncClient) -> None:
    for params in (verification("wrong"), verification(VERIFY_TOKEN, mode="unsubscribe"), {}):
        response = await ig_client.get("/webhooks/instagram", params=params)
        assert response.status_code == 403
        assert "1158201444" not in response.text


async def test_a_challenge_that_is_not_a_token_is_not_reflected(ig_client: httpx.AsyncClient) -> None:
    response = await ig_client.get(
        "/webhooks/instagram", params=verification(VERIFY_TOKEN, "<script>x</script>")
    )
    assert response.status_code == 400 and "<script>" not in response.text


async def test_missing_signature_is_401_and_nothing_is_stored(
    ig_client: httpx.AsyncClient, ig_app: FastAPI
) -> None:
    response = await ig_client.post("/webhooks/instagram", content=fixture_bytes("text"))
    assert response.status_code == 401
    assert await queued(ig_app) == []


async def test_wrong_signature_is_403_and_nothing_is_stored(
    ig_client: httpx.AsyncClient, ig_app: FastAPI
) -> None:
    raw = fixture_bytes("text")
    for header in (signature(raw, "another-secret"), signature(raw + b" "), "sha256=zz", "sha1=abc"):
        response = await ig_client.post(
            "/webhooks/instagram", content=raw, headers={"X-Hub-Signature-256": header}
        )
        assert response.status_code == 403, header
    tampered = raw.replace(b"1234567890123456", b"1234567890123457")
    response = await ig_client.post(
        "/webhooks/instagram", content=tampered, headers={"X-Hub-Signature-256": signature(raw)}
    )
    assert response.status_code == 403
    assert await queued(ig_app) == []


async def test_persian_signed_over_the_escaped_body_is_accepted(
    ig_client: httpx.AsyncClient, ig_app: FastAPI
) -> None:
    raw = fixture_bytes("persian_text")
    response = await post_signed(ig_client, raw)
    assert response.status_code == 200, response.text
    [row] = await queued(ig_app)
    message = from_payload(row.payload)
    assert message.text == json.loads(raw)["entry"][0]["messaging"][0]["message"]["text"]
    assert (row.channel, row.external_id, row.ordering_key) == (
        "instagram",
        message.external_message_id,
        f"instagram:{SARA}",
    )
    assert row.status == InboundStatus.PENDING


async def test_the_same_mid_twice_is_stored_once(ig_client: httpx.AsyncClient, ig_app: FastAPI) -> None:
    raw = fixture_bytes("text")
    first, again = await post_signed(ig_client, raw), await post_signed(ig_client, raw)
    assert (first.status_code, again.status_code) == (200, 200)  # a redelivery is acknowledged
    assert (first.json()["queued"], again.json()["duplicates"]) == (1, 1)
    assert len(await queued(ig_app)) == 1


async def test_echoes_and_receipts_store_nothing(ig_client: httpx.AsyncClient, ig_app: FastAPI) -> None:
    for name in ("echo", "receipts"):
        response = await post_signed(ig_client, fixture_bytes(name))
        assert response.status_code == 200 and response.json()["queued"] == 0
    assert (await post_signed(ig_client, fixture_bytes("echo"))).json()["skipped"] == {"echo": 1}
    assert await queued(ig_app) == []


async def test_a_batch_of_two_entries_with_two_items_each_queues_four(
    ig_client: httpx.AsyncClient, ig_app: FastAPI
) -> None:
    response = await post_signed(ig_client, fixture_bytes("batch"))
    assert response.json() == {"queued": 4, "duplicates": 0, "skipped": {}}
    rows = await queued(ig_app)
    texts = [from_payload(r.payload).text for r in rows]
    # stored (and so processed, per customer, in id order) by Meta's timestamps, not by position
    assert texts == ["salam, sefaresham kojast?", "سفارشم کجاست", "شماره‌اش ۱۰۰۰۰۰۱ است", "مرسی"]
    assert [r.ordering_key for r in rows].count(f"instagram:{SARA}") == 2


async def test_out_of_order_items_are_queued_in_timestamp_order(
    ig_client: httpx.AsyncClient, ig_app: FastAPI
) -> None:
    await post_signed(ig_client, fixture_bytes("out_of_order"))
    assert [from_payload(r.payload).text for r in await queued(ig_app)] == ["اولی", "دومی", "سومی"]


async def test_bad_bodies_get_a_4xx(ig_client: httpx.AsyncClient, ig_app: FastAPI) -> None:
    for raw in (b"{not json", b"[]", "سلام".encode()):
        response = await post_signed(ig_client, raw)
        assert response.status_code == 400, raw
    big = meta_body(notification(text_event(SARA, "m1", "آ" * 600_000, 1718000000000)))
    assert (await post_signed(ig_client, big)).status_code == 413
    assert await queued(ig_app) == []


async def test_not_configured_is_404(client: httpx.AsyncClient) -> None:
    raw = fixture_bytes("text")
    assert (await post_signed(client, raw)).status_code == 404
    assert (await client.get("/webhooks/instagram", params=verification(VERIFY_TOKEN))).status_code == 404
