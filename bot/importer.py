"""``pishkhan orders import FILE.jsonl``: the shop's orders, one JSON object a line.

This is an edge, like a request handler: it owns its transactions and commits in batches. Each line
runs in a savepoint, so a bad line is reported and skipped without losing the good ones around it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import orders
from bot.services.order_data import OrderLine

BATCH = 200


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def parse_line(raw: bytes) -> OrderLine:
    """Validate one line; raises ValueError with a one-line reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    try:
        return OrderLine.model_validate(data)
    except ValidationError as exc:
        raise ValueError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors())


async def import_orders(
    sessionmaker: async_sessionmaker[AsyncSession], lines: Iterable[bytes]
) -> ImportReport:
    report = ImportReport()
    batch: list[tuple[int, OrderLine]] = []
    async with sessionmaker() as session:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                batch.append((number, parse_line(raw.rstrip(b"\r\n"))))
            except ValueError as exc:
                report.errors.append((number, str(exc)))
            if len(batch) >= BATCH:
                await _import_batch(session, batch, report)
                batch = []
        await _import_batch(session, batch, report)
    report.errors.sort()
    return report


async def _import_batch(
    session: AsyncSession, batch: list[tuple[int, OrderLine]], report: ImportReport
) -> None:
    """Import a batch in one transaction; if the database refuses it, redo it line by line in savepoints
    so only the offending lines are lost."""
    if not batch:
        return
    try:
        async with session.begin():
            outcomes = [await _upsert(session, line) for _, line in batch]
    except IntegrityError:
        outcomes = []
        async with session.begin():
            for number, line in batch:
                try:
                    async with session.begin_nested():
                        outcomes.append(await _upsert(session, line))
                except IntegrityError as exc:
                    report.errors.append((number, f"conflicts with stored data: {type(exc.orig).__name__}"))
    report.created += sum(outcomes)
    report.updated += len(outcomes) - sum(outcomes)
    session.expunge_all()  # keep memory flat over large files


async def _upsert(session: AsyncSession, line: OrderLine) -> bool:
    result = await orders.upsert_order(session, number=line.number, data=line)
    return result.created
