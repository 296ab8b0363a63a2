import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot.nlu.cli import nlu_app
from tests.nlu.conftest import REPO, SAMPLE

runner = CliRunner()


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_train_then_parse_one_json_line_per_input_line(tmp_path):
    model = tmp_path / "model"
    trained = runner.invoke(nlu_app, ["train", "--data", str(SAMPLE), "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    assert trained.stdout == "" and "trained 5 intents" in trained.stderr
    lines = ["سلام", "", "سفارش ۱۲۳۴۵۶۷۸ کجاست؟", "😀", "مرسی"]
    parsed = runner.invoke(nlu_app, ["parse", "--model", str(model)], input="\n".join(lines) + "\n")
    assert parsed.exit_code == 0, parsed.output
    results = [json.loads(line) for line in parsed.stdout.splitlines()]
    assert [r["text"] for r in results] == lines
    assert results[0]["intent"]["name"] == "greet"
    assert results[1]["intent"]["name"] is None
    assert results[2]["entities"][0]["value"] == "12345678"


def test_test_writes_reports(sample_model_dir, tmp_path):
    result = runner.invoke(
        nlu_app, ["test", "--data", str(SAMPLE), "--model", str(sample_model_dir), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert {
        "intent_report.json",
        "intent_errors.json",
        "intent_confusion_matrix.png",
        "PatternEntityExtractor_report.json",
    } <= {p.name for p in tmp_path.iterdir()}


def test_cross_validation_needs_no_model(tmp_path):
    result = runner.invoke(
        nlu_app, ["test", "--data", str(SAMPLE), "--out", str(tmp_path), "--cross-validation", "--folds", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "intent accuracy" in result.stderr
    assert (
        json.loads((tmp_path / "intent_report.json").read_text(encoding="utf-8"))["macro avg"]["support"]
        == 49
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["parse", "--model", "{tmp}/missing"], "not an NLU model: no such directory"),
        (
            ["test", "--data", str(SAMPLE), "--model", "{tmp}/missing", "--out", "{tmp}/out"],
            "not an NLU model",
        ),
        (["test", "--data", str(SAMPLE), "--out", "{tmp}/out"], "--model is required"),
        (["train", "--data", "{tmp}/missing.yml", "--out", "{tmp}/m"], "no such file or directory"),
        (["train", "--data", "{tmp}/bad.yml", "--out", "{tmp}/m"], "bad.yml:4: invalid YAML"),
        (["train", "--data", "{tmp}/dup.yml", "--out", "{tmp}/m"], "is in intent 'b' and in intent 'a'"),
    ],
)
def test_errors_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "bad.yml").write_text("nlu:\n- intent: a\n  examples: [\n", encoding="utf-8")
    (tmp_path / "dup.yml").write_text(
        "nlu:\n- intent: a\n  examples: |\n    - x\n- intent: b\n  examples: |\n    - x\n", encoding="utf-8"
    )
    result = runner.invoke(nlu_app, [a.format(tmp=tmp_path) for a in args], input="سلام\n")
    assert message in one_line_error(result)


def test_a_model_of_another_format_version_is_refused(sample_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(sample_model_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    (copy / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}), encoding="utf-8")
    line = one_line_error(runner.invoke(nlu_app, ["parse", "--model", str(copy)], input="x\n"))
    assert "model format version 99" in line and "retrain" in line


def test_a_corrupt_model_is_refused(sample_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "corrupt"
    shutil.copytree(sample_model_dir, copy)
    (copy / "weights.npz").write_bytes(b"not numpy")
    assert "weights.npz does not match its checksum" in one_line_error(
        runner.invoke(nlu_app, ["parse", "--model", str(copy)], input="x\n")
    )


def test_module_entry_point_keeps_stdout_clean(sample_model_dir):
    done = subprocess.run(
        [sys.executable, "-m", "bot.nlu.cli", "parse", "--model", str(sample_model_dir)],
        input="سلام\nنامعتبر \udcff\n".encode("utf-8", "surrogateescape"),
        capture_output=True,
        cwd=REPO,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["intent"]["name"] == "greet"
    missing = subprocess.run(
        [sys.executable, "-m", "bot.nlu.cli", "parse", "--model", "/nonexistent/model"],
        capture_output=True,
        cwd=REPO,
        check=False,
        timeout=60,
        input=b"",
    )
    assert missing.returncode == 2 and missing.stdout == b""
    assert missing.stderr.decode().count("\n") == 1
