"""Structured JSON logs with request and conversation ids, scrubbed of personal data, and the
Prometheus metrics every worker exposes at /metrics (DESIGN §9: logs never carry message text,
phones or emails in clear)."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

request_id: ContextVar[str | None] = ContextVar("pishkhan_request_id", default=None)
conversation_id: ContextVar[int | None] = ContextVar("pishkhan_conversation_id", default=None)

_D = "[0-9۰-۹٠-٩]"
# Iranian mobiles as people write them (09…, 9…, +98/0098/98 9…, spaced or dashed), and E.164 numbers.
_PHONE = re.compile(
    rf"(?<!{_D})(?:(?:\+|00)?(?:98|۹۸|٩٨)[\s-]?|[0۰٠])?[9۹٩]{_D}{{2}}[\s-]?{_D}{{3}}[\s-]?{_D}{{4}}(?!{_D})"
    rf"|\+{_D}{{8,15}}(?!{_D})"
)
# Libraries that log SQL parameters, request URLs (a Telegram URL holds the bot token) or payloads at
# DEBUG/INFO: kept at WARNING whatever the level asked for.
QUIET_LOGGERS = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "httpx",
    "httpcore",
    "aiogram",
    "aiohttp.access",
    "websockets",
    "multipart",
    "rasa_sdk.executor",  # one INFO line per registered action at every start: noise, not news
)
_EMAIL = re.compile(r"[^\s@<>()\"']+@[^\s@<>()\"']+\.[^\s@<>()\"']{2,}")


def scrub(text: str) -> str:
    """Mask phone numbers and email addresses wherever they appear in a log line."""
    return _EMAIL.sub("<email>", _PHONE.sub("<phone>", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if (rid := request_id.get()) is not None:
            entry["request_id"] = rid
        if (cid := conversation_id.get()) is not None:
            entry["conversation_id"] = cid
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """One JSON line per record on stderr, for the whole process (uvicorn's own loggers included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    quiet_third_party()


def quiet_third_party() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class Metrics:
    """The process's metrics. Several workers share them through PROMETHEUS_MULTIPROC_DIR when set."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter(
            "pishkhan_turns_total", "Customer messages the bot answered", ["channel"], registry=self.registry
        )
        self.turn_seconds = Histogram(
            "pishkhan_turn_seconds",
            "Time to run one turn",
            ["channel"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.nlu_fallbacks = Counter(
            "pishkhan_nlu_fallback_total",
            "Messages the NLU did not understand",
            ["channel"],
            registry=self.registry,
        )
        self.handoffs = Counter(
            "pishkhan_handoffs_total", "Conversations handed to a person", ["reason"], registry=self.registry
        )
        self.webhook_rejections = Counter(
            "pishkhan_webhook_rejections_total",
            "Webhook requests refused (bad signature, secret or body)",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "pishkhan_delivery_failures_total",
            "Outbox rows that failed",
            ["channel", "final"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "pishkhan_outbox_backlog",
            "Outbox rows waiting, by channel",
            ["channel"],
            registry=self.registry,
            multiprocess_mode="max",
        )

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
