"""KPIs over known conversations: every figure checked by hand, Tehran days, Jalali ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services import identity, reports
from bot.storage.models import Conversation, ConversationStatus, CsatResponse, FirstResponse
from tests.console.conftest import SignIn, Tx
from tests.console.seed import make_agent

D1 = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)  # 1405-09-01, 10:00 in Tehran
D2 = D1 + timedelta(days=1)  # 1405-09-02


async def _known_month(tx: Tx) -> tuple[int, int]:
    """Seven conversations in the range (four on telegram, two on instagram, one on the web chat just
    after Tehran midnight), one the day before; three handed over, two of them resolved and rated."""
    async with tx() as session:
        ali = await make_agent(session, "ali@shop.ir", name="علی")
        bita = await make_agent(session, "bita@shop.ir", name="بیتا")
        who = await identity.resolve_identity(session, channel="telegram", external_id="tg-1")

        def conversation(channel: str, started: datetime, **fields: object) -> Conversation:
            row = Conversation(
                customer_id=who.customer_id,
                identity_id=who.id,
                channel=channel,
                status=fields.pop("status", ConversationStatus.BOT),
                created_at=started,
                last_message_at=started,
                **fields,
            )
            session.add(row)
            return row

        handed = started = D1
        c1 = conversation(
            "telegram",
            started,
            status=ConversationStatus.RESOLVED,
            handoff_reason="requested",
            handoff_at=handed + timedelta(minutes=5),
            resolved_at=handed + timedelta(minutes=15),
            assignee_id=ali.id,
        )
        c2 = conversation(
            "telegram",
            started,
            status=ConversationStatus.RESOLVED,
            handoff_reason="complaint",
            handoff_at=handed + timedelta(minutes=5),
            resolved_at=handed + timedelta(minutes=25),
            assignee_id=ali.id,
        )
        conversation("telegram", started)
        conversation("telegram", started)
        c3 = conversation(
            "instagram",
            D2,
            status=ConversationStatus.OPEN,
            handoff_reason="fallback",
            handoff_at=D2 + timedelta(minutes=1),
            assignee_id=bita.id,
        )
        conversation("instagram", D2)
        conversation("webchat", datetime(2026, 11, 22, 21, 0, tzinfo=UTC))  # 00:30 on 1405-09-02 in Tehran
        conversation("webchat", D1 - timedelta(days=1))  # before the range
        await session.flush()
        for row, agent, seconds in ((c1, ali, 60), (c2, ali, 120), (c3, bita, 300)):
            assert row.handoff_at is not None
            session.add(
                FirstResponse(
                    conversation_id=row.id,
                    agent_id=agent.id,
                    handoff_at=row.handoff_at,
                    responded_at=row.handoff_at + timedelta(seconds=seconds),
                )
            )
        # An earlier handoff of c1, answered slowly: not the latest handoff, so not counted.
        session.add(
            FirstResponse(
                conversation_id=c1.id,
                agent_id=bita.id,
                handoff_at=D1 - timedelta(hours=3),
                responded_at=D1 + timedelta(hours=3),
            )
        )
        for row, score in ((c1, 5), (c2, 2)):
            assert row.resolved_at is not None
            session.add(
                CsatResponse(
                    conversation_id=row.id,
                    customer_id=who.customer_id,
                    agent_id=ali.id,
                    score=score,
                    created_at=row.resolved_at + timedelta(minutes=1),
                )
            )
        return ali.id, bita.id


async def test_the_summary_counts_what_happened_in_the_range(tx: Tx) -> None:
    ali, bita = await _known_month(tx)
    async with tx() as session:
        report = await reports.summary(session, reports.make_period("1405-09-01", "۱۴۰۵/۰۹/۰۲"))
    totals = report["totals"]
    assert (totals["conversations"], totals["handed_over"], totals["contained"]) == (7, 3, 4)
    assert totals["containment_rate"] == round(4 / 7, 4) and totals["handoff_rate"] == round(3 / 7, 4)
    assert totals["first_response"] == {"count": 3, "median_s": 120.0, "p90_s": 300.0}
    assert totals["resolution"] == {"count": 2, "median_s": 600.0, "p90_s": 1200.0}
    assert totals["csat"] == {"count": 2, "satisfied": 1, "share": 0.5, "average": 3.5}
    assert [(c["channel"], c["conversations"], c["handed_over"]) for c in report["by_channel"]] == [
        ("telegram", 4, 2),
        ("instagram", 2, 1),
        ("webchat", 1, 0),
    ]
    assert {r["reason"]: r["count"] for r in report["handoff_reasons"]} == {
        "requested": 1,
        "complaint": 1,
        "fallback": 1,
    }
    by_agent = {a["agent_id"]: a for a in report["per_agent"]}
    assert by_agent[ali]["name"] == "علی"
    assert by_agent[ali]["first_response"] == {"count": 2, "median_s": 60.0, "p90_s": 120.0}
    assert by_agent[ali]["resolution"]["count"] == 2 and by_agent[ali]["csat"]["share"] == 0.5
    assert by_agent[bita]["first_response"] == {"count": 1, "median_s": 300.0, "p90_s": 300.0}
    assert by_agent[bita]["csat"]["count"] == 0
    days = {d["day_jalali"]: d for d in report["per_day"]}
    assert list(days) == ["1405-09-01", "1405-09-02"]
    assert (days["1405-09-01"]["conversations"], days["1405-09-01"]["handed_over"]) == (4, 2)
    assert (days["1405-09-02"]["conversations"], days["1405-09-02"]["handed_over"]) == (3, 1)
    assert days["1405-09-02"]["first_response"]["median_s"] == 300.0
    assert days["1405-09-01"]["csat"]["count"] == 2


async def test_the_reports_api_takes_jalali_or_iso_days_and_refuses_bad_ranges(
    sign_in: SignIn, tx: Tx
) -> None:
    await _known_month(tx)
    agent = await sign_in("sara@shop.ir")
    jalali = await agent.get("/api/v1/reports/summary", params={"from": "۱۴۰۵/۰۹/۰۱", "to": "1405-09-01"})
    iso = await agent.get("/api/v1/reports/summary", params={"from": "2026-11-22", "to": "2026-11-22"})
    assert jalali.status_code == iso.status_code == 200
    assert jalali.json() == iso.json()
    assert jalali.json()["totals"]["conversations"] == 4
    assert jalali.json()["period"] == {
        "from": "2026-11-22",
        "to": "2026-11-22",
        "from_jalali": "1405-09-01",
        "to_jalali": "1405-09-01",
    }
    for params in (
        {"from": "1405-13-01"},
        {"from": "1405-09-05", "to": "1405-09-01"},
        {"from": "x"},
        {"from": "1400-01-01", "to": "1405-01-01"},
    ):
        response = await agent.get("/api/v1/reports/summary", params=params)
        assert response.status_code == 422, params
    default = await agent.get("/api/v1/reports/summary")
    assert default.status_code == 200 and len(default.json()["per_day"]) == 30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1405-09-01", date(2026, 11, 22)),
        ("۱۴۰۵/۰۱/۰۱", date(2026, 3, 21)),
        ("2026-11-22", date(2026, 11, 22)),
    ],
)
def test_days_are_read_in_either_calendar(text: str, expected: date) -> None:
    assert reports.parse_day(text) == expected


def test_a_period_runs_from_tehran_midnight_to_tehran_midnight() -> None:
    period = reports.make_period("1405-09-01", "1405-09-01")
    assert period.start == datetime(2026, 11, 21, 20, 30, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 22, 20, 30, tzinfo=UTC)
