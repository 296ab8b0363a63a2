import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.storage.models import Order
from tests.factories import order_body


def _line(number: str, **changes: object) -> str:
    return json.dumps({"number": number, **order_body(**changes)}, ensure_ascii=False)


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", database_url)
    return {"PISHKHAN_DATABASE_URL": database_url}


async def invoke(*args: str):
    """Run the CLI in a thread: it starts its own event loop, as it does from a shell."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def _numbers(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(Order.number).order_by(Order.number)))


async def test_good_lines_are_imported_and_bad_lines_reported(
    env: dict, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    lines = [
        _line("1000001"),
        _line("1000002", status="delivered"),
        "{not json",
        _line("1000003", status="teleported"),
        "",
        '["a list"]',
        _line("۱۰۰۰۰۰۴"),
        _line("1000001", status="delivered"),  # the same order again: an update
    ]
    path = tmp_path / "orders.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n" + b'{"number": "1000005", "bad": "\xff"}\n')

    result = await invoke("orders", "import", str(path))

    assert result.exit_code == 1
    assert "imported 4 orders (3 new, 1 updated), 4 bad lines" in result.stdout
    assert f"{path}:3: invalid JSON" in result.stderr
    assert f"{path}:4: status:" in result.stderr
    assert f"{path}:6: each line must be a JSON object" in result.stderr
    assert f"{path}:9: not valid UTF-8" in result.stderr
    assert await _numbers(sessionmaker) == ["1000001", "1000002", "1000004"]


async def test_a_clean_file_exits_zero(env: dict, tmp_path: Path, sessionmaker) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(_line(str(2000000 + i)) for i in range(450)) + "\n", encoding="utf-8")
    result = await invoke("orders", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert "imported 450 orders (450 new, 0 updated), 0 bad lines" in result.stdout
    assert len(await _numbers(sessionmaker)) == 450


def test_a_missing_file_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "orders", "import", str(tmp_path / "nope.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope.jsonl'}: no such file"]


def test_bad_settings_are_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", "mysql://x")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "PISHKHAN_DATABASE_URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
