"""The ``pishkhan`` command. Every failure ends with a one-line reason and a non-zero exit code."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.channels.telegram.cli import telegram_app
from bot.config import Settings, SettingsError, load_settings
from bot.console_cli import agents_app
from bot.nlu.cli import nlu_app

app = typer.Typer(
    help="Pishkhan: omnichannel Persian customer-support bot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
orders_app = typer.Typer(help="The shop's orders.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")
outbox_app = typer.Typer(
    help="The outbox: replies, shop events, SMS and email on their way out.", no_args_is_help=True
)
app.add_typer(outbox_app, name="outbox")
app.add_typer(agents_app, name="agents")
app.add_typer(nlu_app, name="nlu")
app.add_typer(telegram_app, name="telegram")


class Role(StrEnum):
    all = "all"
    web = "web"
    worker = "worker"


def fail(reason: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {reason}", err=True)
    return typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from bot.storage.migrate import upgrade

    settings = settings_or_exit()
    try:
        upgrade(settings.database_url)
    except Exception as exc:  # the database is the user's to fix: say what failed, not a traceback
        raise fail(f"migration failed: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [PISHKHAN_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [PISHKHAN_PORT]")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    role: Annotated[
        Role | None,
        typer.Option(help="all: everything; web: HTTP only; worker: turns and delivery [PISHKHAN_ROLE]"),
    ] = None,
    telegram_polling: Annotated[
        bool, typer.Option("--telegram-polling", help="Fetch Telegram updates by polling (development)")
    ] = False,
) -> None:
    """Serve the API, webhooks, widget and console."""
    import os
    import tempfile

    import uvicorn

    if role is not None:  # every worker process reads its settings from the environment
        os.environ["PISHKHAN_ROLE"] = role.value
    settings = settings_or_exit()
    if telegram_polling:  # the app's settings read it in every worker; two pollers would fight (409)
        if workers > 1:
            raise fail("--telegram-polling needs --workers 1")
        if settings.role == "web":
            raise fail("--telegram-polling needs a role that runs turns (all or worker)")
        os.environ["PISHKHAN_TELEGRAM_POLLING"] = "true"
    os.environ["PISHKHAN_JSON_LOGS"] = "1"  # every worker process logs JSON lines (see api.app)
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pishkhan-metrics-")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        log_config=None,
        proxy_headers=True,
        ws="websockets-sansio",  # the widget's and console's sockets; the legacy implementation is deprecated
    )


@app.command("demo-data")
def demo_data(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when customers exist")] = False,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data")] = 1405,
) -> None:
    """Load realistic Persian demo data: customers, orders, shipments and conversations."""
    from bot.demo import load_into

    settings = settings_or_exit()
    try:
        summary = asyncio.run(load_into(settings.database_url, seed=seed, if_empty=if_empty))
    except Exception as exc:
        raise fail(f"demo data failed: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    typer.echo(summary)


@orders_app.command("import")
def orders_import(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one order (the PUT body plus 'number') a line")],
) -> None:
    """Import orders; good lines are stored, each bad line is reported with its number and reason."""
    from bot.importer import import_orders
    from bot.storage.engine import create_engine, make_sessionmaker

    settings = settings_or_exit()
    if not file.is_file():
        raise fail(f"{file}: no such file")

    async def run() -> object:
        engine = create_engine(settings.database_url)
        try:
            with file.open("rb") as lines:
                return await import_orders(make_sessionmaker(engine), lines)
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(run())
    except Exception as exc:
        raise fail(f"import failed: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    for line, reason in report.errors:
        typer.echo(f"{file}:{line}: {reason}", err=True)
    typer.echo(
        f"imported {report.imported} orders ({report.created} new, {report.updated} updated), "
        f"{len(report.errors)} bad lines"
    )
    if report.errors:
        raise typer.Exit(1)


@outbox_app.command("status")
def outbox_status() -> None:
    """Rows by kind and status."""
    from bot.delivery import queue

    settings = settings_or_exit()
    for kind, by_status in sorted(asyncio.run(queue.status(settings.database_url)).items()):
        typer.echo(f"{kind:<11} " + "  ".join(f"{s}={n}" for s, n in sorted(by_status.items())))


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Row ids; every failed row when omitted")] = None,
    kind: Annotated[str | None, typer.Option(help="message, shop_event, sms or email")] = None,
) -> None:
    """Send failed rows again, with a fresh count of attempts."""
    from bot.delivery import queue

    settings = settings_or_exit()
    count = asyncio.run(queue.retry(settings.database_url, ids=ids or None, kind=kind))
    typer.echo(f"{count} row(s) queued again")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
