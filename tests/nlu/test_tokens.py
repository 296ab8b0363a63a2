import pytest

from bot.nlu.features import FeatureConfig, count_features, feature_words
from bot.nlu.tokens import tokenize
from bot.text.entities import find_pattern_entities
from bot.text.normalize import normalize

ZWNJ = "\u200c"


def features(text: str):
    normalized = normalize(text)
    config = FeatureConfig()
    return count_features(feature_words(normalized.text, find_pattern_entities(normalized), config), config)


@pytest.mark.parametrize(
    "forms",
    [
        (
            f"می{ZWNJ}خوام سفارشمو ببینم",
            "میخوام سفارشمو ببینم",
            "می خوام سفارشمو ببینم",
            "مي‌خوام سفارشمو ببينم",
        ),
        (f"نمی{ZWNJ}خوام", "نمیخوام", "نمی خوام"),
        (f"سفارش{ZWNJ}ها کجان", "سفارشها کجان", "سفارش ها کجان"),
        (f"خریده{ZWNJ}ام", "خریده ام", "خریدهام"),
        ("سلام سفارش ۱۲۳۴۵۶۷۸", "سلام سفارش 87654321", "سلام   سفارش #٥٥٥٥٥"),  # any order number
    ],
)
def test_joined_spaced_and_zwnj_forms_featurise_identically(forms):
    first = features(forms[0])
    for form in forms[1:]:
        assert features(form) == first, form


def test_tokens_keep_offsets_into_the_normalised_text():
    text = normalize("سلام، سفارش 12.5 کیلو ۱۴:۳۰ می رسه؟ 😀").text
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["سلام", ",", "سفارش", "12.5", "کیلو", "14:30", "میرسه", "?", "😀"]
    assert all(text[t.start : t.end].replace(" ", "").replace(ZWNJ, "") == t.text for t in tokens)


def test_me_is_not_glued_to_latin_or_digits():
    assert [t.text for t in tokenize("می 123 و می abc")] == ["می", "123", "و", "می", "abc"]
