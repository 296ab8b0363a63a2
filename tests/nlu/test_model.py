import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from bot.nlu import load_model
from bot.nlu.pipeline import FALLBACK_INTENT

ENTITY_KEYS = {"entity", "value", "start", "end", "confidence", "extractor"}


def check_shape(result: dict, text: str) -> None:
    assert set(result) == {"text", "intent", "entities", "intent_ranking"}
    assert result["text"] == text
    assert set(result["intent"]) == {"name", "confidence"}
    assert len(result["intent_ranking"]) <= 10
    confidences = [r["confidence"] for r in result["intent_ranking"]]
    assert all(set(r) == {"name", "confidence"} for r in result["intent_ranking"])
    for entity in result["entities"]:
        assert set(entity) == ENTITY_KEYS
        assert 0 <= entity["start"] < entity["end"] <= len(text)
    if result["intent"]["name"] != FALLBACK_INTENT:
        assert confidences == sorted(confidences, reverse=True)
    json.dumps(result)  # serialisable as is


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("سلامممم", "greet"),
        ("خیلی ممنونم", "thanks"),
        ("سفارشم کی میرسه", "track_order"),
        ("سفارشمو کنسل کنید", "cancel_order"),
        ("۰۹۱۲۱۲۳۴۵۶۷", "inform"),
    ],
)
def test_train_and_parse_round_trip(sample_model, text, intent):
    result = sample_model.parse(text)
    check_shape(result, text)
    assert result["intent"]["name"] == intent


def test_entities_point_into_the_original_text(sample_model):
    text = "\u200fسـلام، سفارش #۱۲۳۴۵۶۷۸ رو با تیپاکس فرستادید؟ ایمیلم Ali@Mail.com"
    result = sample_model.parse(text)
    check_shape(result, text)
    spans = {e["entity"]: (text[e["start"] : e["end"]], e["value"]) for e in result["entities"]}
    assert spans["order_id"] == ("#۱۲۳۴۵۶۷۸", "12345678")
    assert spans["email"] == ("Ali@Mail.com", "ali@mail.com")
    assert spans["carrier"] == ("تیپاکس", "تیپاکس")


def test_synonyms_map_entity_values(sample_model):
    (carrier,) = [
        e for e in sample_model.parse("با پست پیشتاز فرستادم")["entities"] if e["entity"] == "carrier"
    ]
    assert carrier["value"] == "post"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u200c", "\u200f\ufeff", "ـــ"])
def test_empty_text_has_no_intent_like_rasa(sample_model, text):
    assert sample_model.parse(text) == {
        "text": text,
        "intent": {"name": None, "confidence": 0.0},
        "entities": [],
        "intent_ranking": [],
    }


@pytest.mark.parametrize("text", ["😀", "😀😀😀👍🏽", "؟؟؟", "....", "a", "\x00", "\ud800"])
def test_odd_messages_still_parse(sample_model, text):
    result = sample_model.parse(text)
    check_shape(result, text)


def test_a_huge_message_parses_with_entities_at_the_end(sample_model):
    text = "سلام " * 2500 + "سفارش ۱۲۳۴۵۶۷۸"
    assert len(text) > 10_000
    result = sample_model.parse(text)
    check_shape(result, text)
    (entity,) = result["entities"]
    assert text[entity["start"] : entity["end"]] == "۱۲۳۴۵۶۷۸"


def test_non_strings_never_raise(sample_model):
    assert sample_model.parse(None)["intent"]["name"] is None
    assert sample_model.parse(12345678)["entities"][0]["value"] == "12345678"


def test_batch_gives_the_same_results_in_order(sample_model):
    texts = ["سلام", "", "سفارش ۱۲۳۴۵ کجاست", "مرسی", "😀", "لغو"]
    assert sample_model.parse_batch(texts) == [sample_model.parse(t) for t in texts]


def test_below_the_threshold_the_intent_is_nlu_fallback(sample_model_dir):
    model = load_model(sample_model_dir)
    model.config = dataclasses.replace(model.config, fallback_threshold=0.999999)
    result = model.parse("یه چیزی")
    assert result["intent"] == {"name": FALLBACK_INTENT, "confidence": 0.999999}
    assert result["intent_ranking"][0] == result["intent"]
    assert result["intent_ranking"][1]["name"] != FALLBACK_INTENT


def test_probabilities_sum_to_one(sample_model):
    result = sample_model.parse("سفارشم کجاست")
    assert sum(r["confidence"] for r in result["intent_ranking"]) == pytest.approx(1.0, abs=1e-3)


def test_the_crf_learns_entities_patterns_do_not_cover(synthetic_training):
    result = synthetic_training.model.parse("لطفا سبد منو لغو کنم یزد 4412")
    cities = [e for e in result["entities"] if e["entity"] == "geo.city_name"]
    assert [(c["value"], c["extractor"]) for c in cities] == [("یزد", "CRFEntityExtractor")]
    assert 0 < cities[0]["confidence"] <= 1


def test_any_rasa_data_trains_dozens_of_intents(synthetic_training):
    model = synthetic_training.model
    assert len(model.intents) == 40 and synthetic_training.examples == 2400
    assert "ask_00+help" in model.intents and any(name.startswith("faq/") for name in model.intents)
    assert model.parse("میخوام کارت رو تغییر بدم")["intent"]["name"].startswith(("faq/کارت", "ask_"))


def test_parsing_needs_neither_sklearn_nor_hazm(sample_model_dir):
    code = (
        "import sys, json; from bot.nlu import load_model; m = load_model(sys.argv[1]); m.parse('سلام');"
        "print(json.dumps(sorted(k for k in ('sklearn', 'hazm', 'nltk', 'scipy') if k in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(sample_model_dir)], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []


def test_the_model_directory_is_self_describing_and_pickle_free(sample_model_dir):
    files = {p.name for p in sample_model_dir.iterdir()}
    assert files == {"manifest.json", "features.json", "weights.npz", "tables.json", "crf.crfsuite"}
    manifest = json.loads((sample_model_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "pishkhan-nlu" and manifest["format_version"] == 1
    assert manifest["intents"] == ["cancel_order", "greet", "inform", "thanks", "track_order"]
    assert manifest["pipeline"]["fallback_threshold"] == 0.4
    assert len(manifest["training_data"]["sha256"]) == 64 and manifest["training_data"]["examples"] == 49
    assert {"numpy", "scikit-learn", "python-crfsuite"} <= set(manifest["libraries"])
    assert set(manifest["files"]) == files - {"manifest.json"}
    with np.load(sample_model_dir / "weights.npz", allow_pickle=False) as arrays:
        assert arrays["weights"].shape[1] == 5


@pytest.mark.parametrize("broken", ["missing_file", "bad_json", "not_a_model"])
def test_damaged_models_raise_model_error(sample_model_dir, tmp_path, broken):
    import shutil

    from bot.nlu import ModelError

    copy = tmp_path / "model"
    shutil.copytree(sample_model_dir, copy)
    if broken == "missing_file":
        (copy / "tables.json").unlink()
    elif broken == "bad_json":
        (copy / "manifest.json").write_text("{", encoding="utf-8")
    else:
        (copy / "manifest.json").write_text('{"format": "rasa"}', encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(copy)
    assert str(copy) in str(caught.value) and "\n" not in str(caught.value)


def test_retraining_replaces_a_model_in_place(sample_model_dir, tmp_path):
    from bot.nlu import train
    from tests.nlu.conftest import SAMPLE

    out = tmp_path / "model"
    train(SAMPLE, out)
    first = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["created_at"]
    train(SAMPLE, out)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["created_at"] >= first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no staging directories left behind
