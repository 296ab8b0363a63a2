"""Compare candidate pipelines by k-fold cross-validation (the table in bot/nlu/README.md).

python -m bot.nlu.compare nlu_data --folds 5 [--only tfidf-svm tfidf-logreg]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from bot.nlu.evaluation import cross_validate
from bot.nlu.pipeline import CANDIDATES, PipelineConfig


def compare(data_path: str | Path, candidates: dict[str, PipelineConfig], *, folds: int = 5) -> list[dict]:
    rows = []
    for name, config in candidates.items():
        started = time.perf_counter()
        summary = cross_validate(data_path, folds=folds, config=config)
        rows.append(
            {
                "pipeline": name,
                "accuracy": summary["accuracy"],
                "macro_f1": summary["macro_f1"],
                "top1_accuracy": summary["accuracy_without_fallback"],
                "fallback_rate": summary["fallback_rate"],
                "seconds": time.perf_counter() - started,
            }
        )
    return rows


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| pipeline | accuracy | macro F1 | top-1 (no fallback) | fallback rate | CV time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['pipeline']} | {row['accuracy']:.4f} | {row['macro_f1']:.4f} | "
            f"{row['top1_accuracy']:.4f} | {row['fallback_rate']:.4f} | {row['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    chosen = {k: v for k, v in CANDIDATES.items() if not args.only or k in args.only}
    print(markdown_table(compare(args.data, chosen, folds=args.folds)))


if __name__ == "__main__":
    main()
