from pathlib import Path

import pytest

from bot.nlu.annotation import parse_annotated
from bot.nlu.data import load_training_data
from bot.nlu.errors import DataError


def write(tmp_path: Path, text: str, name: str = "nlu.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("annotated", "plain", "entities"),
    [
        ("سفارش [12345](order_id) کجاست", "سفارش 12345 کجاست", [("order_id", "12345", "12345")]),
        ("با [پست پیشتاز](carrier:post)", "با پست پیشتاز", [("carrier", "پست پیشتاز", "post")]),
        (
            '[تهران]{"entity": "geo.city", "value": "tehran", "role": "to"}',
            "تهران",
            [("geo.city", "تهران", "tehran")],
        ),
        (
            '[قم][{"entity": "city"}, {"entity": "origin_city"}]',
            "قم",
            [("city", "قم", "قم"), ("origin_city", "قم", "قم")],
        ),
        ("[a](x) و [b](y_z.w)", "a و b", [("x", "a", "a"), ("y_z.w", "b", "b")]),
        ("بدون موجودیت", "بدون موجودیت", []),
    ],
)
def test_every_rasa_annotation_form(annotated, plain, entities):
    text, spans = parse_annotated(annotated)
    assert text == plain
    assert [(s.entity, text[s.start : s.end], s.value) for s in spans] == entities


def test_block_and_list_examples_synonyms_regexes_lookups(tmp_path):
    path = write(
        tmp_path,
        """version: "3.1"
nlu:
- intent: faq/ask-price.v2
  metadata: {owner: support}
  examples: |
    - قیمت چنده
    - [گوشی](product.kind) چند؟
- intent: ask+help
  examples:
  - text: کمک میخوام
    metadata: {sentiment: neutral}
  - text: |
      راهنمایی کنید
- synonym: phone
  examples: |
    - گوشی
    - موبایل
- regex: zip_code
  examples: |
    - \\d{10}
- lookup: product.kind
  examples: |
    - گوشی
    - تبلت
""",
    )
    data = load_training_data(path)
    assert data.intents == ["ask+help", "faq/ask-price.v2"]
    assert [e.text for e in data.examples] == ["قیمت چنده", "گوشی چند؟", "کمک میخوام", "راهنمایی کنید"]
    assert data.examples[1].entities[0].entity == "product.kind"
    assert data.examples[1].source == f"{path}:7"
    assert data.synonyms == {"گوشی": "phone", "موبایل": "phone"}
    assert data.regexes == {"zip_code": [r"\d{10}"]}
    assert data.lookups == {"product.kind": ["گوشی", "تبلت"]}


def test_a_directory_skips_files_without_nlu(tmp_path):
    write(tmp_path, 'version: "3.1"\nintents: [greet]\nresponses: {}\n', "domain.yml")
    write(
        tmp_path,
        'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - x\n- intent: b\n  examples: |\n    - y\n',
    )
    assert load_training_data(tmp_path).intents == ["a", "b"]


def test_a_repeated_example_in_one_intent_counts_once(tmp_path):
    path = write(
        tmp_path, "nlu:\n- intent: a\n  examples: |\n    - x\n    - x\n- intent: b\n  examples: |\n    - y\n"
    )
    assert [e.text for e in load_training_data(path).examples] == ["x", "y"]


ERRORS = [
    ("nlu:\n- intent: a\n  examples: |\n    - x\n  - bad: [\n", r"nlu\.yml:\d+: invalid YAML"),
    ("nlu:\n- intent: a\n  exampels: |\n    - x\n", r"nlu\.yml:2: unknown key 'exampels' in intent 'a'"),
    ("nlu:\n- intent: a\n", r"nlu\.yml:2: intent 'a' has no examples"),
    ("nlu:\n- intnt: a\n  examples: |\n    - x\n", r"nlu\.yml:2: an nlu item needs exactly one of"),
    (
        "nlu:\n- intent: a\n  examples: |\n    - x\n    y\n- intent: b\n  examples: |\n    - z\n",
        r"nlu\.yml:5: intent 'a': example lines must start with '- '",
    ),
    ('nlu:\n- intent: a\n  examples: |\n    - [x]{"entity": }\n', r"nlu\.yml:4: intent 'a': invalid JSON"),
    ("nlu:\n- regex: r\n  examples: |\n    - (unclosed\n", r"nlu\.yml:4: regex 'r': invalid pattern"),
    ('version: "4.0"\nnlu: []\n', r"nlu\.yml:1: training data format 4\.0 is newer"),
    ("nlu:\n- intent: a\n  examples: |\n    - x\n", r"found 1 intent\(s\); training needs at least 2"),
    ("intents: [a]\n", r"not Rasa NLU training data"),
    (
        "nlu:\n- intent: a\n  examples: |\n    - سلام\n- intent: b\n  examples: |\n    - سلام\n",
        r"nlu\.yml:7: example 'سلام' is in intent 'b' and in intent 'a' \(.*nlu\.yml:4\)",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_bad_data_is_refused_naming_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as caught:
        load_training_data(path)
    assert "\n" not in str(caught.value)


def test_missing_path_and_bad_encoding(tmp_path):
    with pytest.raises(DataError, match="no such file or directory"):
        load_training_data(tmp_path / "nope.yml")
    (tmp_path / "latin1.yml").write_bytes("nlu:\n- intent: caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_training_data(tmp_path / "latin1.yml")


def test_the_fingerprint_ignores_file_order(tmp_path):
    one = write(
        tmp_path, "nlu:\n- intent: a\n  examples: |\n    - x\n- intent: b\n  examples: |\n    - y\n", "1.yml"
    )
    two = write(
        tmp_path, "nlu:\n- intent: b\n  examples: |\n    - y\n- intent: a\n  examples: |\n    - x\n", "2.yml"
    )
    assert load_training_data(one).fingerprint() == load_training_data(two).fingerprint()
