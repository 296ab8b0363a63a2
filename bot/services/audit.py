"""The audit log: who saw or changed what (DESIGN §9). Rows are only added, never changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AuditLog


def record(
    session: AsyncSession,
    *,
    action: str,
    subject_type: str,
    subject_id: object,
    actor_type: str = "system",
    actor_id: object = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor_type=actor_type,
        actor_id=None if actor_id is None else str(actor_id),
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=detail,
    )
    session.add(entry)
    return entry
