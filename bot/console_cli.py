"""``pishkhan agents …``: console accounts from the command line (the first admin has no other way in)."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

agents_app = typer.Typer(help="Agents of the console.", no_args_is_help=True)


def _read_password() -> str:
    """Typed twice at a terminal (not echoed); the first line of stdin otherwise, for scripts."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@agents_app.command("create")
def create(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    name: Annotated[str, typer.Option(help="Name shown to colleagues")],
    role: Annotated[str, typer.Option(help="agent or admin")] = "agent",
) -> None:
    """Add an agent; the password comes from a prompt, or from stdin when piped."""
    from bot.cli import fail, settings_or_exit
    from bot.services.agents import AgentError, check_password, create_agent, normalize_email
    from bot.storage.engine import create_engine, make_sessionmaker

    if role not in ("agent", "admin"):
        raise fail("--role must be agent or admin (کارشناس یا مدیر)")
    settings = settings_or_exit()
    password = _read_password()
    try:
        normalize_email(email)
        check_password(password)
    except AgentError as exc:
        raise fail(str(exc)) from None

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                agent = await create_agent(session, email=email, name=name, role=role, password=password)
                return agent.id
        finally:
            await engine.dispose()

    try:
        agent_id = asyncio.run(run())
    except AgentError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # the database is the user's to fix: one line, not a traceback
        raise fail(f"could not create the agent: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    typer.echo(f"created {role} {normalize_email(email)} (id {agent_id})")
