"""The Graph API client against the fake Send endpoint: what goes over the wire, what errors mean."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.channels.instagram.graph import GraphClient, GraphError, GraphUnavailable, classify, read_error
from bot.delivery import PermanentError, TransientError
from tests.channels.instagram.conftest import ACCOUNT
from tests.fakes.graph import TOKEN, FakeGraph, GraphReply

REQUEST = {"recipient": {"id": "1234567890123456"}, "messaging_type": "RESPONSE", "message": {"text": "سلام"}}


@pytest.fixture
async def client(graph: FakeGraph) -> AsyncIterator[GraphClient]:
    made = GraphClient(base_url=f"{graph.url}/v21.0", access_token=TOKEN, account_id=ACCOUNT, timeout=0.5)
    yield made
    await made.aclose()


async def test_a_send_goes_to_the_account_with_a_bearer_token(client: GraphClient, graph: FakeGraph) -> None:
    mid = await client.send(REQUEST)
    [request] = graph.requests
    assert request.path == f"/v21.0/{ACCOUNT}/messages"
    assert request.token == TOKEN and request.body == REQUEST and mid == request.mid


async def test_me_when_no_account_is_configured(graph: FakeGraph) -> None:
    client = GraphClient(base_url=f"{graph.url}/v21.0/", access_token=TOKEN)
    try:
        await client.send(REQUEST)
    finally:
        await client.aclose()
    assert graph.requests[0].path == "/v21.0/me/messages"


async def test_errors_come_back_with_code_and_subcode(client: GraphClient, graph: FakeGraph) -> None:
    graph.script.append(GraphReply.window_closed())
    with pytest.raises(GraphError) as caught:
        await client.send(REQUEST)
    assert (caught.value.status, caught.value.code, caught.value.subcode) == (400, 10, 2534022)
    assert "outside of allowed window" in str(caught.value)


async def test_rate_limit_carries_retry_after(client: GraphClient, graph: FakeGraph) -> None:
    graph.script.append(GraphReply.rate_limited(retry_after=30))
    with pytest.raises(GraphError) as caught:
        await client.send(REQUEST)
    error = classify(caught.value)
    assert isinstance(error, TransientError) and error.retry_after == 30


async def test_a_500_page_without_json_is_transient(client: GraphClient, graph: FakeGraph) -> None:
    graph.script.append(GraphReply.server_error())
    with pytest.raises(GraphError) as caught:
        await client.send(REQUEST)
    assert isinstance(classify(caught.value), TransientError)


async def test_a_hang_is_a_timeout(client: GraphClient, graph: FakeGraph) -> None:
    graph.script.append(GraphReply.hang(5))
    with pytest.raises(GraphUnavailable, match="no answer"):
        await client.send(REQUEST)


async def test_a_wrong_token_is_190(graph: FakeGraph) -> None:
    client = GraphClient(base_url=f"{graph.url}/v21.0", access_token="expired")
    try:
        with pytest.raises(GraphError) as caught:
            await client.send(REQUEST)
    finally:
        await client.aclose()
    assert caught.value.code == 190
    assert "PISHKHAN_INSTAGRAM_ACCESS_TOKEN" in classify(caught.value).reason


async def test_nobody_listening_is_unavailable() -> None:
    client = GraphClient(base_url="http://127.0.0.1:9/v21.0", access_token=TOKEN, timeout=0.5)
    try:
        with pytest.raises(GraphUnavailable):
            await client.send(REQUEST)
    finally:
        await client.aclose()


def error(code: int | None, subcode: int | None = None, status: int = 400) -> GraphError:
    return GraphError(status=status, code=code, subcode=subcode, message="x")


@pytest.mark.parametrize(
    ("graph_error", "kind", "words"),
    [
        (error(10, 2534022), PermanentError, "24-hour window"),
        (error(10, 2018278), PermanentError, "24-hour window"),
        (error(613, 2534040), TransientError, "rate limited"),
        (error(4), TransientError, "rate limited"),
        (error(17), TransientError, "rate limited"),
        (error(32), TransientError, "rate limited"),
        (error(None, status=429), TransientError, "rate limited"),
        (error(1, status=500), TransientError, "1"),
        (error(2, status=503), TransientError, "2"),
        (error(None, status=502), TransientError, "HTTP 502"),
        (error(190, 463), PermanentError, "access token"),
        (error(551, 1545041), PermanentError, "cannot be reached"),
        (error(100, 2534014), PermanentError, "refused"),
        (error(10, 2534023), PermanentError, "refused"),
    ],
)
def test_classify(graph_error: GraphError, kind: type, words: str) -> None:
    result = classify(graph_error)
    assert type(result) is kind and words in result.reason


def test_usage_header_gives_the_wait_when_retry_after_is_absent() -> None:
    headers = {
        "x-business-use-case-usage": '{"178": [{"type": "instagram", "estimated_time_to_regain_access": 4}]}'
    }
    found = read_error(400, {"error": {"code": 613}}, headers, now=datetime.now(UTC))
    assert found.retry_after == 240
    assert (
        read_error(400, {}, {"x-business-use-case-usage": "junk"}, now=datetime.now(UTC)).retry_after is None
    )
