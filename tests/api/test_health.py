import httpx
import pytest

from api.app import create_app
from bot import __version__
from bot.config import Settings


async def test_healthz_reports_database_and_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": __version__,
        "database": "ok",
        "outbox_backlog": 0,
        "redis": "not configured",
    }


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        "sqlite+aiosqlite:////nonexistent-dir/sub/x.db",
    ],
)
async def test_healthz_is_503_when_the_database_is_unreachable(url: str, tmp_path) -> None:
    if url.startswith("sqlite"):
        blocker = tmp_path / "file"
        blocker.write_text("")
        url = f"sqlite+aiosqlite:///{blocker}/x.db"  # a path under a regular file cannot be opened
    app = create_app(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/healthz")
            assert response.status_code == 503
            assert response.json()["status"] == "unavailable"
            assert response.json()["database"].startswith("unavailable")
            shop = await client.get("/api/v1/orders/1234567", headers={"Authorization": "Bearer dev-api-key"})
            assert shop.status_code == 503
            assert shop.json()["detail"] == "database unavailable, retry later"


def test_creating_the_app_opens_no_connection() -> None:
    app = create_app(
        Settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", _env_file=None)
    )  # type: ignore[call-arg]
    assert not hasattr(app.state, "engine")


@pytest.mark.parametrize(
    ("redis_url", "expected", "status"),
    [
        ("redis://127.0.0.1:6379/0", "ok", "ok"),
        ("redis://127.0.0.1:1/0", "unavailable", "degraded"),
    ],
)
async def test_healthz_reports_redis(settings: Settings, redis_url: str, expected: str, status: str) -> None:
    """Redis down is a degradation (one worker still serves its own clients), not a 503."""
    if expected == "ok" and not await _redis_answers():
        pytest.skip("no Redis on 127.0.0.1:6379")
    app = create_app(settings.model_copy(update={"redis_url": redis_url}), load_conversations=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"].startswith(expected)
    assert response.json()["status"] == status


async def _redis_answers() -> bool:
    import redis.asyncio as redis

    client = redis.from_url("redis://127.0.0.1:6379/0")
    try:
        return bool(await client.ping())
    except OSError:
        return False
    finally:
        await client.aclose()
