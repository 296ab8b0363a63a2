"""Search every text and JSON column of every table for words that must not be stored (erasure tests)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Base
from bot.text.digits import to_ascii_digits


async def find_text(session: AsyncSession, needles: list[str]) -> list[tuple[str, str, Any, str]]:
    """``(table, column, primary key, needle)`` for every stored value containing a needle. Digits are
    compared in every script and without spaces, so ``۰۹۱۲ ۱۲۳ ۴۵۶۷`` is found for ``09121234567``."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        key = next(iter(table.primary_key.columns))
        for row in await session.execute(select(key, *columns)):
            for column, value in zip(columns, row[1:], strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                folded = to_ascii_digits(text)
                squeezed = "".join(folded.split())
                for needle in needles:
                    if needle in text or needle in folded or needle in squeezed:
                        found.append((table.name, column.name, row[0], needle))
    return found
