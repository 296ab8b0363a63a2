"""The agent console's JSON API, mounted under /api/v1 (pages under /console use it)."""

from __future__ import annotations

from fastapi import APIRouter

from api.v1 import admin, agents, auth, canned, conversations, events, handoffs, reports

router = APIRouter()
for module in (auth, handoffs, conversations, canned, agents, admin, reports, events):
    router.include_router(module.router)
