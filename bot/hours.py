"""Support opening hours, in Tehran time: whether a person can answer now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

TEHRAN = ZoneInfo("Asia/Tehran")
DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_SPAN = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<open>\d{1,2}:\d{2})-(?P<close>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True)
class OpeningHours:
    """Support hours in Tehran time, e.g. ``sat-wed 09:00-18:00, thu 09:00-13:00``."""

    spans: tuple[tuple[int, time, time], ...]
    text: str

    @classmethod
    def parse(cls, spec: str) -> OpeningHours:
        spans = []
        for part in filter(None, (p.strip() for p in spec.lower().split(","))):
            match = _SPAN.match(part)
            if not match or match["first"] not in DAYS or (match["last"] and match["last"] not in DAYS):
                raise ValueError(f"cannot read opening hours '{part}' (expected e.g. 'sat-wed 09:00-18:00')")
            first, last = DAYS[match["first"]], DAYS[match["last"] or match["first"]]
            day, opens, closes = (
                first,
                time.fromisoformat(match["open"].zfill(5)),
                time.fromisoformat(match["close"].zfill(5)),
            )
            while True:
                spans.append((day, opens, closes))
                if day == last:
                    break
                day = (day + 1) % 7
        return cls(tuple(spans), spec)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(TEHRAN)
        return any(
            day == local.weekday() and opens <= local.time() < closes for day, opens, closes in self.spans
        )
