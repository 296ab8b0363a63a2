"""Run every benchmark, print a table, write var/bench/results.json. Loopback only, bounded in time."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.servers import ROOT

MODULES = ["orders", "nlu", "dialogue", "instagram", "telegram", "console", "load"]


def _flatten(prefix: str, value: Any, rows: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, rows)
    else:
        rows.append((prefix, value))


def main(selected: list[str]) -> int:
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name in selected or MODULES:
        module = importlib.import_module(f"tests.bench.{name}")
        print(f"… {name}", file=sys.stderr, flush=True)
        outcome = module.run()
        results[name] = asyncio.run(outcome) if inspect.isawaitable(outcome) else outcome
    rows: list[tuple[str, Any]] = []
    _flatten("", {k: v for k, v in results.items() if k not in ("machine", "started_at")}, rows)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    out = Path(ROOT) / "var" / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
