"""NLU figures for ``make bench`` (issue 4): training, size, load, latency, throughput, memory, accuracy.

``run()`` returns the figures and prints nothing. Load time and memory are measured in a fresh Python
process (imports included), the way a server starts; latency and throughput in this process, one
message at a time and in batches. The held-out set (tests/data/nlu_holdout.yml, written by someone
else and never used for tuning) is only scored here, at the end.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "nlu_data"
HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"
LATENCY_MESSAGES = 5_000
THROUGHPUT_MESSAGES = 20_000
BATCH = 256

_LOAD_PROBE = """
import time
started = time.perf_counter()
import sys
from bot.nlu import load_model
model = load_model(sys.argv[1])
loaded = time.perf_counter() - started
for text in {texts!r}:
    model.parse(text)
rss_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
print(loaded, rss_kb)
"""


def run() -> dict[str, Any]:
    from bot.nlu import cross_validate, train
    from bot.nlu.data import load_training_data

    messages = [e.text for e in load_training_data(DATA).examples]
    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as scratch:
        model_dir = Path(scratch) / "model"
        started = time.perf_counter()
        result = train(DATA, model_dir)
        figures: dict[str, Any] = {
            "train_s": round(time.perf_counter() - started, 2),
            "examples": result.examples,
            "intents": len(result.intents),
            "model_bytes": sum(p.stat().st_size for p in model_dir.iterdir()),
        }
        figures |= _fresh_process(model_dir, messages[:200])
        figures |= _latency(result.model, messages)
        figures |= _throughput(result.model, messages)
        cv = cross_validate(DATA, folds=5)
        figures |= {
            "cv5_accuracy": round(cv["accuracy"], 4),
            "cv5_macro_f1": round(cv["macro_f1"], 4),
            "cv5_top1_accuracy": round(cv["accuracy_without_fallback"], 4),
        }
        figures |= _holdout(result.model)
    return figures


def _fresh_process(model_dir: Path, texts: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_PROBE.format(texts=texts), str(model_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded, rss_kb = done.stdout.split()
    return {"load_s": round(float(loaded), 3), "rss_mb": round(int(rss_kb) / 1024, 1)}


def _latency(model, messages: list[str]) -> dict[str, Any]:
    sample = random.Random(4).choices(messages, k=LATENCY_MESSAGES)
    for text in sample[:200]:
        model.parse(text)  # warm caches
    timings = []
    for text in sample:
        started = time.perf_counter()
        model.parse(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "parse_p50_ms": round(statistics.median(timings), 3),
        "parse_p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "parse_max_ms": round(timings[-1], 3),
    }


def _throughput(model, messages: list[str]) -> dict[str, Any]:
    sample = random.Random(5).choices(messages, k=THROUGHPUT_MESSAGES)
    started = time.perf_counter()
    for i in range(0, len(sample), BATCH):
        model.parse_batch(sample[i : i + BATCH])
    seconds = time.perf_counter() - started
    long_text = "سلام " * 2_000 + "سفارش ۱۲۳۴۵۶۷۸ کجاست"
    started = time.perf_counter()
    model.parse(long_text)
    return {
        "batch_msgs_per_s": round(len(sample) / seconds),
        "parse_10k_chars_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _holdout(model) -> dict[str, Any]:
    if not HOLDOUT.exists():
        return {"holdout_accuracy": None}
    from bot.nlu import DataError, evaluate

    try:
        summary = evaluate(model, HOLDOUT)
    except DataError as exc:
        return {"holdout_accuracy": None, "holdout_error": str(exc)}
    return {
        "holdout_accuracy": round(summary["accuracy"], 4),
        "holdout_macro_f1": round(summary["macro_f1"], 4),
        "holdout_examples": summary["examples"],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
