"""Hypothesis against an app served on the test's own event loop, and the row counts that a refused request
must leave as they were."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.storage.models import Base

T = TypeVar("T")


async def row_counts(app: FastAPI) -> dict[str, int]:
    """Rows in every table, in one query."""
    tables = Base.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    async with app.state.sessionmaker() as session:
        return dict((await session.execute(query)).one()._mapping)


async def fuzz(
    strategy: st.SearchStrategy[T], check: Callable[[T], Awaitable[object]], known: list[T], examples: int
) -> None:
    """Run ``check`` on the ``known`` inputs and ``examples`` drawn ones: hypothesis draws (and shrinks)
    in a worker thread while the requests run on this loop."""
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        # one app and database serve every example, on purpose; some drawn inputs are large and slow
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(drawn: T) -> None:
        asyncio.run_coroutine_threadsafe(check(drawn), loop).result(timeout=120)

    for value in known:
        run = example(value)(run)
    await asyncio.to_thread(run)
