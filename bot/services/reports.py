"""The KPIs a support lead reads, for a range of Iranian calendar days (DESIGN §3 definitions):

- conversations: conversations started in the range, per channel and per day;
- bot containment: the share of those never handed to a person (no handoff);
- handoff rate: the share of those handed over, and the handoff reasons;
- first response time: from a conversation's latest handoff (in the range) to the first agent reply
  after it; resolution time: from the latest handoff to resolving (resolved in the range). Both as
  median and 90th percentile (nearest rank), overall, per agent and per day;
- CSAT: answers given in the range; the share of 4–5 scores, their count and the average score.

Every figure is computed in SQL over indexed columns (a handful of queries, each returning at most a
row per channel, reason, agent or day), the same on SQLite and PostgreSQL. Days are Tehran days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import jdatetime
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Agent, Conversation, CsatResponse, FirstResponse
from bot.text.digits import to_ascii_digits
from bot.text.jalali import IRAN

MAX_DAYS = 400
TEHRAN_MINUTES = 210  # Iran has kept UTC+03:30 all year since 2022


Stats = dict[tuple[str, str], dict[str, Any]]  # ("all"|"agent"|"day", key) -> count, median, p90


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Period:
    first_day: date  # Gregorian dates of Tehran days, both included
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), IRAN).astimezone(UTC)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last_day + timedelta(days=1), time(0), IRAN).astimezone(UTC)


def parse_day(text: str) -> date:
    """``1405-09-01``, ``۱۴۰۵/۰۹/۰۱`` (Jalali, years before 1700) or ``2026-11-22`` (Gregorian)."""
    parts = to_ascii_digits(text.strip()).replace("/", "-").split("-")
    try:
        year, month, day = (int(p) for p in parts)
        if year < 1700:
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except ValueError:
        raise PeriodError(f"«{text}» تاریخ معتبری نیست؛ مثل ۱۴۰۵/۰۹/۰۱ بنویسید.") from None


def make_period(first: str | None, last: str | None, *, today: date | None = None) -> Period:
    """The range asked for; by default the last 30 Tehran days up to today."""
    today = today or datetime.now(IRAN).date()
    last_day = parse_day(last) if last else today
    first_day = parse_day(first) if first else last_day - timedelta(days=29)
    if first_day > last_day:
        raise PeriodError("تاریخ شروع بعد از تاریخ پایان است.")
    if (last_day - first_day).days >= MAX_DAYS:
        raise PeriodError(f"بازه بیش از {MAX_DAYS} روز است.")
    return Period(first_day, last_day)


def jalali(day: date) -> str:
    return jdatetime.date.fromgregorian(date=day).strftime("%Y-%m-%d")


# -- dialect-specific expressions ---------------------------------------------------------------------


def _day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The Tehran calendar day of a UTC timestamp (a date on PostgreSQL, ``YYYY-MM-DD`` text on SQLite).
    A fixed +03:30 on both: cheaper per row than a time-zone lookup, and exact since Iran dropped DST."""
    if session.get_bind().dialect.name == "postgresql":
        shifted = column + literal_column(f"INTERVAL '{TEHRAN_MINUTES} minutes'")
        return cast(func.timezone("UTC", shifted), Date)
    return func.date(column, f"+{TEHRAN_MINUTES} minutes")


def _seconds(session: AsyncSession, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_part("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


# -- queries ------------------------------------------------------------------------------------------


async def _started(session: AsyncSession, period: Period) -> list[Any]:
    """Conversations started in the range: (channel, day, handoff reason or None, count)."""
    day = _day(session, Conversation.created_at)
    handed = case((Conversation.handoff_at.is_not(None), func.coalesce(Conversation.handoff_reason, "?")))
    query = (
        select(Conversation.channel, day.label("day"), handed.label("reason"), func.count().label("n"))
        .where(Conversation.created_at >= period.start, Conversation.created_at < period.end)
        .group_by(Conversation.channel, day, handed)
    )
    return list((await session.execute(query)).all())


async def _percentiles(session: AsyncSession, durations: Any) -> Stats:
    """Count, median and p90 (nearest rank) of ``durations`` (agent_id, day, seconds) overall, per agent
    and per day, in one statement: {("all"|"agent"|"day", key): {...}}. ``durations`` is a CTE, so it
    is computed once for the three groupings."""
    parts = []
    for kind, key in (
        ("all", literal("all")),
        ("agent", cast(durations.c.agent_id, Integer)),
        ("day", durations.c.day),
    ):
        window = {"partition_by": key} if kind != "all" else {}
        ranked = select(
            key.label("key"),
            durations.c.seconds,
            func.row_number().over(order_by=durations.c.seconds, **window).label("rn"),
            func.count().over(**window).label("n"),
        ).subquery()
        n, rn = ranked.c.n, ranked.c.rn
        parts.append(
            select(
                literal(kind).label("kind"),
                func.coalesce(cast(ranked.c.key, String), "").label("key"),
                func.max(n).label("n"),
                func.max(case((rn == (n + 1) // 2, ranked.c.seconds))).label("median"),
                func.max(case((rn == (9 * n + 9) // 10, ranked.c.seconds))).label("p90"),
            ).group_by(ranked.c.key)
        )
    rows = (await session.execute(union_all(*parts))).all()
    return {
        (kind, key): {"count": int(n), "median_s": _round(median), "p90_s": _round(p90)}
        for kind, key, n, median, p90 in rows
    }


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _first_responses(session: AsyncSession, period: Period) -> Any:
    """First agent reply after each conversation's latest handoff, for handoffs in the range."""
    return (
        select(
            FirstResponse.agent_id.label("agent_id"),
            _day(session, FirstResponse.handoff_at).label("day"),
            _seconds(session, FirstResponse.responded_at, FirstResponse.handoff_at).label("seconds"),
        )
        .join(
            Conversation,
            and_(
                Conversation.id == FirstResponse.conversation_id,
                Conversation.handoff_at == FirstResponse.handoff_at,
            ),
        )
        # Both sides filtered on the range (they are equal), so each side can use its handoff_at index.
        .where(FirstResponse.handoff_at >= period.start, FirstResponse.handoff_at < period.end)
        .where(Conversation.handoff_at >= period.start, Conversation.handoff_at < period.end)
        .cte("first_responses_in_range")
    )


def _resolutions(session: AsyncSession, period: Period) -> Any:
    """Handed-over conversations resolved in the range: from the latest handoff to resolving."""
    return (
        select(
            Conversation.assignee_id.label("agent_id"),
            _day(session, Conversation.resolved_at).label("day"),
            _seconds(session, Conversation.resolved_at, Conversation.handoff_at).label("seconds"),
        )
        .where(
            Conversation.resolved_at >= period.start,
            Conversation.resolved_at < period.end,
            Conversation.handoff_at.is_not(None),
        )
        .cte("resolutions_in_range")
    )


async def _csat(session: AsyncSession, period: Period) -> list[Any]:
    day = _day(session, CsatResponse.created_at)
    query = (
        select(
            CsatResponse.agent_id,
            day.label("day"),
            func.count().label("n"),
            func.sum(case((CsatResponse.score >= 4, 1), else_=0)).label("satisfied"),
            func.sum(CsatResponse.score).label("total"),
        )
        .where(CsatResponse.created_at >= period.start, CsatResponse.created_at < period.end)
        .group_by(CsatResponse.agent_id, day)
    )
    return list((await session.execute(query)).all())


# -- the report ---------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _times(stats: Stats, kind: str, key: str) -> dict[str, Any]:
    return stats.get((kind, key), {"count": 0, "median_s": None, "p90_s": None})


def _csat_figures(count: int, satisfied: int, total: int) -> dict[str, Any]:
    return {
        "count": count,
        "satisfied": satisfied,
        "share": _share(satisfied, count),
        "average": round(total / count, 2) if count else None,
    }


async def summary(session: AsyncSession, period: Period) -> dict[str, Any]:
    """The whole report for ``period``: a handful of grouped queries, assembled here."""
    channels, days, reasons = _volume(await _started(session, period))
    first = await _percentiles(session, _first_responses(session, period))
    resolved = await _percentiles(session, _resolutions(session, period))
    csat_by_agent, csat_by_day = _csat_buckets(await _csat(session, period))
    total = sum(c["conversations"] for c in channels.values())
    handed = sum(c["handed_over"] for c in channels.values())
    csat_total = [sum(v[i] for v in csat_by_day.values()) for i in range(3)]
    return {
        "period": {
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
            "from_jalali": jalali(period.first_day),
            "to_jalali": jalali(period.last_day),
        },
        "totals": {
            "conversations": total,
            "contained": total - handed,
            "containment_rate": _share(total - handed, total),
            "handed_over": handed,
            "handoff_rate": _share(handed, total),
            "first_response": _times(first, "all", "all"),
            "resolution": _times(resolved, "all", "all"),
            "csat": _csat_figures(*csat_total),
        },
        "by_channel": [
            {
                "channel": channel,
                **figures,
                "handoff_rate": _share(figures["handed_over"], figures["conversations"]),
            }
            for channel, figures in sorted(channels.items(), key=lambda item: -item[1]["conversations"])
        ],
        "handoff_reasons": [
            {"reason": reason, "count": n, "share": _share(n, handed)}
            for reason, n in sorted(reasons.items(), key=lambda item: -item[1])
        ],
        "per_agent": await _per_agent(session, first, resolved, csat_by_agent),
        "per_day": _per_day(period, days, first, resolved, csat_by_day),
    }


def _volume(
    started: list[Any],
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[str, int]]:
    """Conversations and handoffs per channel and per day, and handoffs per reason."""
    channels: dict[str, dict[str, int]] = defaultdict(lambda: {"conversations": 0, "handed_over": 0})
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"conversations": 0, "handed_over": 0})
    reasons: dict[str, int] = defaultdict(int)
    for channel, day, reason, n in started:
        for bucket in (channels[channel], days[str(day)]):  # str(): a date on PostgreSQL, text on SQLite
            bucket["conversations"] += n
            bucket["handed_over"] += n if reason is not None else 0
        if reason is not None:
            reasons[reason] += n
    return channels, days, reasons


def _csat_buckets(rows: list[Any]) -> tuple[dict[int | None, list[int]], dict[str, list[int]]]:
    """[answers, satisfied, score sum] per agent and per day."""
    by_agent: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_day: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for agent_id, day, n, satisfied, score_total in rows:
        for bucket in (by_agent[agent_id], by_day[str(day)]):
            bucket[0] += n
            bucket[1] += int(satisfied or 0)
            bucket[2] += int(score_total or 0)
    return by_agent, by_day


async def _per_agent(
    session: AsyncSession, first: Stats, resolved: Stats, csat: dict[int | None, list[int]]
) -> list[dict[str, Any]]:
    ids = {int(key) for kind, key in (*first, *resolved) if kind == "agent" and key}
    ids |= {a for a in csat if a is not None}
    names = dict((await session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(ids)))).all())
    rows = [
        {
            "agent_id": agent_id,
            "name": names.get(agent_id, "?"),
            "first_response": _times(first, "agent", str(agent_id)),
            "resolution": _times(resolved, "agent", str(agent_id)),
            "csat": _csat_figures(*csat.get(agent_id, [0, 0, 0])),
        }
        for agent_id in ids
    ]
    return sorted(rows, key=lambda row: row["name"])


def _per_day(
    period: Period, days: dict[str, dict[str, int]], first: Stats, resolved: Stats, csat: dict[str, list[int]]
) -> list[dict[str, Any]]:
    every_day = [
        period.first_day + timedelta(days=i) for i in range((period.last_day - period.first_day).days + 1)
    ]
    return [
        {
            "day": day.isoformat(),
            "day_jalali": jalali(day),
            **days.get(day.isoformat(), {"conversations": 0, "handed_over": 0}),
            "first_response": _times(first, "day", day.isoformat()),
            "resolution": _times(resolved, "day", day.isoformat()),
            "csat": _csat_figures(*csat.get(day.isoformat(), [0, 0, 0])),
        }
        for day in every_day
    ]
