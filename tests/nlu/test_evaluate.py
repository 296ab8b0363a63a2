import json

import pytest
from PIL import Image

from bot.nlu import cross_validate, evaluate

SUMMARY_ROWS = {"accuracy", "micro avg", "macro avg", "weighted avg"}


def check_rasa_report(report: dict, labels: set[str]) -> None:
    assert set(report) == labels | SUMMARY_ROWS
    assert isinstance(report["accuracy"], float)
    for label in labels:
        assert set(report[label]) == {"precision", "recall", "f1-score", "support", "confused_with"}
        assert all(isinstance(n, int) and n > 0 for n in report[label]["confused_with"].values())
        assert label not in report[label]["confused_with"]
    for row in ("micro avg", "macro avg", "weighted avg"):
        assert set(report[row]) == {"precision", "recall", "f1-score", "support"}


def test_evaluation_writes_rasa_reports(sample_model, tmp_path):
    from tests.nlu.conftest import SAMPLE

    summary = evaluate(sample_model, SAMPLE, tmp_path)
    report = json.loads((tmp_path / "intent_report.json").read_text(encoding="utf-8"))
    check_rasa_report(report, set(sample_model.intents))
    assert report["accuracy"] == summary["accuracy"] > 0.9
    errors = json.loads((tmp_path / "intent_errors.json").read_text(encoding="utf-8"))
    assert all(set(e) == {"text", "intent", "intent_prediction"} for e in errors)
    assert all(set(e["intent_prediction"]) == {"name", "confidence"} for e in errors)
    with Image.open(tmp_path / "intent_confusion_matrix.png") as image:
        assert image.format == "PNG" and image.width > 200
    pattern = json.loads((tmp_path / "PatternEntityExtractor_report.json").read_text(encoding="utf-8"))
    assert {"order_id", "phone", "email", "serial_number"} <= set(pattern)
    assert pattern["order_id"]["recall"] == 1.0
    assert (tmp_path / "CRFEntityExtractor_report.json").exists()


def test_confusions_and_errors_are_counted(sample_model, tmp_path):
    path = tmp_path / "mislabelled.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - سلام\n    - مرسی\n'
        "- intent: thanks\n  examples: |\n    - خیلی ممنونم\n",
        encoding="utf-8",
    )
    summary = evaluate(sample_model, path, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "intent_report.json").read_text(encoding="utf-8"))
    assert report["greet"]["confused_with"] == {"thanks": 1}
    assert summary["accuracy"] == pytest.approx(2 / 3)
    errors = json.loads((tmp_path / "out" / "intent_errors.json").read_text(encoding="utf-8"))
    assert [(e["text"], e["intent"], e["intent_prediction"]["name"]) for e in errors] == [
        ("مرسی", "greet", "thanks")
    ]


def test_cross_validation_reports_over_all_folds(synthetic_data, tmp_path):
    summary = cross_validate(synthetic_data, folds=2, out_dir=tmp_path)
    assert summary["examples"] == 2400
    assert summary["accuracy"] > 0.8
    report = json.loads((tmp_path / "intent_report.json").read_text(encoding="utf-8"))
    assert report["macro avg"]["support"] == 2400
    crf = json.loads((tmp_path / "CRFEntityExtractor_report.json").read_text(encoding="utf-8"))
    assert crf["geo.city_name"]["f1-score"] > 0.9
