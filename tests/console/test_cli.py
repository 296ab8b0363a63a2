"""``pishkhan agents create``: the password from stdin (or a prompt), argon2-hashed, never echoed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.storage.models import Agent, AgentRole
from tests.console.conftest import Tx


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", database_url)
    return CliRunner()


async def test_agents_create_reads_the_password_from_stdin_and_stores_only_a_hash(
    runner: CliRunner, tx: Tx
) -> None:
    args = ["agents", "create", "--email", "Boss@Shop.ir", "--name", "مدیر فروشگاه", "--role", "admin"]
    # The command runs its own event loop (asyncio.run), so it runs in a thread beside the test's loop.
    result = await asyncio.to_thread(runner.invoke, cli, args, input="a-very-long-secret\n")
    assert result.exit_code == 0, result.output
    assert "created admin boss@shop.ir" in result.output and "a-very-long-secret" not in result.output
    async with tx() as session:
        agent = await session.scalar(select(Agent))
        assert agent is not None and agent.role == AgentRole.ADMIN and agent.name == "مدیر فروشگاه"
        assert (
            agent.password_hash.startswith("$argon2id$") and "a-very-long-secret" not in agent.password_hash
        )
    again = await asyncio.to_thread(runner.invoke, cli, args, input="a-very-long-secret\n")
    assert again.exit_code == 2 and "از پیش هست" in again.output


@pytest.mark.parametrize(
    ("args", "password", "reason"),
    [
        (["--email", "x@shop.ir", "--name", "x"], "short", "دست‌کم ۱۰"),
        (["--email", "not-an-email", "--name", "x"], "long-enough-pass", "ایمیل درستی نیست"),
        (["--email", "x@shop.ir", "--name", "x", "--role", "owner"], "long-enough-pass", "agent or admin"),
    ],
)
def test_agents_create_refuses_bad_input_with_a_reason(
    runner: CliRunner, args: list[str], password: str, reason: str
) -> None:
    result = runner.invoke(cli, ["agents", "create", *args], input=password + "\n")
    assert result.exit_code == 2 and reason in result.output
