"""``rasa test nlu`` for our models: intent and entity reports in Rasa's file formats, and cross-validation.

Files written to ``out_dir`` (rasa/nlu/test.py, Rasa 3.x):

* ``intent_report.json`` — sklearn's ``classification_report`` over the target intents, each with
  ``confused_with`` (its top-3 wrong predictions with counts), plus ``accuracy``, ``micro avg``,
  ``macro avg`` and ``weighted avg``. Predictions include ``nlu_fallback``, as with Rasa's
  FallbackClassifier in the pipeline, so a fallback counts as a miss.
* ``intent_errors.json`` — ``[{"text", "intent", "intent_prediction": {"name", "confidence"}}]``.
* ``intent_confusion_matrix.png``.
* ``<Extractor>_report.json`` and ``<Extractor>_errors.json`` per entity extractor, scored per token as
  Rasa does. Unlike Rasa, each extractor is scored only on the entity types it can produce (the
  pattern extractor on order_id/phone/email/serial_number/amount, the CRF on the types it learned), so
  a report is not filled with zeros for types another extractor owns.

Cross-validation uses ``StratifiedKFold(folds, shuffle=True)`` with a fixed seed and reports the test
folds together (Rasa also reports train folds; we do not).
"""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.data import Example, TrainingData, load_training_data
from bot.nlu.model import NluModel
from bot.nlu.pipeline import DEFAULT, FALLBACK_INTENT, PipelineConfig
from bot.nlu.tokens import tokenize
from bot.text.entities import PATTERN_ENTITIES
from bot.text.normalize import normalize

log = logging.getLogger(__name__)
NO_ENTITY = "no_entity"


def evaluate(
    model: NluModel, data_path: str | Path | TrainingData, out_dir: str | Path | None = None
) -> dict:
    data = data_path if isinstance(data_path, TrainingData) else load_training_data(data_path, min_intents=1)
    predictions = model.parse_batch([e.text for e in data.examples])
    return report(data.examples, predictions, _extractor_types(model), out_dir)


def cross_validate(
    data_path: str | Path,
    *,
    folds: int = 5,
    out_dir: str | Path | None = None,
    config: PipelineConfig = DEFAULT,
    seed: int = 0,
) -> dict:
    from bot.nlu.training import fit_in_memory

    data = load_training_data(data_path)
    predictions: list[dict | None] = [None] * len(data.examples)
    extractor_types: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="pishkhan-cv-") as scratch:
        for fold, (train_rows, test_rows) in enumerate(_folds(data, folds, seed)):
            model = fit_in_memory(data.subset(train_rows), config, Path(scratch) / f"fold{fold}")
            for row, result in zip(
                test_rows, model.parse_batch([data.examples[i].text for i in test_rows]), strict=True
            ):
                predictions[row] = result
            for name, types in _extractor_types(model).items():
                extractor_types.setdefault(name, set()).update(types)
    return report(data.examples, predictions, extractor_types, out_dir)


def _folds(data: TrainingData, folds: int, seed: int):
    from sklearn.model_selection import StratifiedKFold

    labels = np.array([e.intent for e in data.examples])
    smallest = min(np.unique(labels, return_counts=True)[1])
    if smallest < folds:
        log.warning(
            "an intent has only %d examples, fewer than %d folds; its folds are uneven", smallest, folds
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(labels, labels))
    return splits


def _extractor_types(model: NluModel) -> dict[str, set[str]]:
    types = {"PatternEntityExtractor": set(PATTERN_ENTITIES)}
    if model.tables.entity_names:
        types["RegexEntityExtractor"] = set(model.tables.entity_names)
    if model.crf is not None:
        types["CRFEntityExtractor"] = set(model.crf.labels)
    return types


def report(
    examples: list[Example],
    predictions: list[dict],
    extractor_types: dict[str, set[str]],
    out_dir: str | Path | None,
) -> dict:
    """Build (and with ``out_dir`` write) the intent and entity reports; return a summary."""
    intents = intent_evaluation(examples, predictions)
    entities = {
        name: entity_evaluation(examples, predictions, name, types) for name, types in extractor_types.items()
    }
    if out_dir is not None:
        _write_reports(Path(out_dir), intents, entities)
    summary = {k: v for k, v in intents.items() if k not in ("report", "errors", "matrix", "labels")}
    summary["report"] = intents["report"]
    summary["entities"] = {
        name: {k: v for k, v in e.items() if k != "errors"} for name, e in entities.items()
    }
    return summary


def intent_evaluation(examples: list[Example], predictions: list[dict]) -> dict:
    from sklearn import metrics
    from sklearn.utils.multiclass import unique_labels

    targets = [e.intent for e in examples]
    predicted = [p["intent"]["name"] or "" for p in predictions]
    labels = sorted(set(targets))
    report_ = metrics.classification_report(
        targets, predicted, labels=labels, output_dict=True, zero_division=0
    )
    accuracy = metrics.accuracy_score(targets, predicted)
    report_ = _complete(report_, accuracy)
    all_labels = list(unique_labels(targets, predicted))
    matrix = metrics.confusion_matrix(targets, predicted, labels=all_labels)
    _add_confused_with(report_, matrix, all_labels)
    errors = [
        {
            "text": e.text,
            "intent": e.intent,
            "intent_prediction": {"name": p["intent"]["name"], "confidence": p["intent"]["confidence"]},
        }
        for e, p in zip(examples, predictions, strict=True)
        if p["intent"]["name"] != e.intent
    ]
    return {
        "accuracy": accuracy,
        "macro_f1": report_["macro avg"]["f1-score"],
        "weighted_f1": report_["weighted avg"]["f1-score"],
        "precision": report_["weighted avg"]["precision"],
        "accuracy_without_fallback": _accuracy_without_fallback(targets, predictions),
        "fallback_rate": predicted.count(FALLBACK_INTENT) / max(len(predicted), 1),
        "examples": len(examples),
        "report": report_,
        "errors": errors,
        "matrix": matrix,
        "labels": all_labels,
    }


def _complete(report_: dict, accuracy: float) -> dict:
    """Rasa's make_classification_report_complete: both ``accuracy`` and ``micro avg``."""
    if "accuracy" in report_ and "micro avg" not in report_:
        value = report_["accuracy"]
        report_["micro avg"] = {
            "precision": value,
            "recall": value,
            "f1-score": value,
            "support": report_["macro avg"]["support"],
        }
    elif "accuracy" not in report_:
        report_["accuracy"] = accuracy
    return report_


def _add_confused_with(
    report_: dict, matrix: np.ndarray, labels: list[str], exclude: str | None = None
) -> None:
    """Rasa's _add_confused_labels_to_report: up to three wrong labels per row, with counts."""
    order = np.argsort(matrix, axis=1, kind="stable")
    for i, label in enumerate(labels):
        if label not in report_ or label == exclude:
            continue
        confused = report_[label]["confused_with"] = {}
        for j in range(min(3, len(labels))):
            other = int(order[i, -(1 + j)])
            if labels[other] not in (label, exclude) and matrix[i, other] > 0:
                confused[labels[other]] = int(matrix[i, other])


def _accuracy_without_fallback(targets: list[str], predictions: list[dict]) -> float:
    """Top-1 accuracy of the classifier itself, ignoring the fallback threshold."""
    hits = 0
    for target, p in zip(targets, predictions, strict=True):
        ranked = [r["name"] for r in p["intent_ranking"] if r["name"] != FALLBACK_INTENT]
        hits += bool(ranked) and ranked[0] == target
    return hits / max(len(targets), 1)


def entity_evaluation(
    examples: list[Example], predictions: list[dict], extractor: str, types: set[str]
) -> dict:
    from sklearn import metrics

    gold_labels, predicted_labels, errors = [], [], []
    for example, prediction in zip(examples, predictions, strict=True):
        gold = [(s.entity, s.start, s.end) for s in example.entities if s.entity in types]
        found = [
            (e["entity"], e["start"], e["end"])
            for e in prediction["entities"]
            if e["extractor"] == extractor and e["entity"] in types
        ]
        spans = _token_spans(example.text)
        row_gold, row_found = _token_labels(spans, gold), _token_labels(spans, found)
        gold_labels += row_gold
        predicted_labels += row_found
        if row_gold != row_found:
            errors.append(
                {
                    "text": example.text,
                    "entities": [_entity_dict(example.text, g) for g in gold],
                    "predicted_entities": [e for e in prediction["entities"] if e["extractor"] == extractor],
                }
            )
    labels = sorted(set(gold_labels) - {NO_ENTITY})
    if not labels:
        return {"report": {}, "precision": 0.0, "f1_score": 0.0, "accuracy": 0.0, "errors": errors}
    report_ = metrics.classification_report(
        gold_labels, predicted_labels, labels=labels, output_dict=True, zero_division=0
    )
    accuracy = metrics.accuracy_score(gold_labels, predicted_labels)
    report_ = _complete(report_, accuracy)
    all_labels = sorted(set(gold_labels) | set(predicted_labels))
    _add_confused_with(
        report_,
        metrics.confusion_matrix(gold_labels, predicted_labels, labels=all_labels),
        all_labels,
        exclude=NO_ENTITY,
    )
    return {
        "report": report_,
        "precision": report_["weighted avg"]["precision"],
        "f1_score": report_["weighted avg"]["f1-score"],
        "accuracy": accuracy,
        "errors": errors,
    }


def _token_spans(text: str) -> list[tuple[int, int]]:
    normalized = normalize(text)
    return [normalized.original_span(t.start, t.end) for t in tokenize(normalized.text)]


def _token_labels(spans: list[tuple[int, int]], entities: list[tuple[str, int, int]]) -> list[str]:
    return [
        next((name for name, s, e in entities if s < end and start < e), NO_ENTITY) for start, end in spans
    ]


def _entity_dict(text: str, entity: tuple[str, int, int]) -> dict:
    name, start, end = entity
    return {"entity": name, "value": text[start:end], "start": start, "end": end}


def _write_reports(out_dir: Path, intents: dict, entities: dict[str, dict]) -> None:
    from bot.nlu.plot import save_confusion_matrix

    out_dir.mkdir(parents=True, exist_ok=True)
    _dump(out_dir / "intent_report.json", intents["report"])
    _dump(out_dir / "intent_errors.json", intents["errors"])
    save_confusion_matrix(
        intents["matrix"],
        intents["labels"],
        out_dir / "intent_confusion_matrix.png",
        title="Intent Confusion matrix",
    )
    for name, evaluation in entities.items():
        _dump(out_dir / f"{name}_report.json", evaluation["report"])
        _dump(out_dir / f"{name}_errors.json", evaluation["errors"])


def _dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
