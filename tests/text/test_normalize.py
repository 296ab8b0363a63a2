import itertools

import pytest

from bot.text.normalize import ZWNJ, normalize, normalize_text

TATWEEL, RLM, LRM, BOM, NBSP = "\u0640", "\u200f", "\u200e", "\ufeff", "\xa0"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Arabic letters and variants → Persian
        ("علي كجاست", "علی کجاست"),
        ("مدرسة", "مدرسه"),
        ("أحمد إيران", "احمد ایران"),
        ("مؤسسه", "موسسه"),
        ("ىک", "یک"),
        ("ﻻ ﷲ", "لا الله"),  # presentation-form ligatures expand
        ("ﺳﻼﻡ", "سلام"),  # presentation forms
        ("آب مسئول", "آب مسئول"),  # آ and ئ are Persian letters: kept
        # digits of every script → ASCII, Persian punctuation → ASCII, Latin → lower case
        ("۱۲۳ ٤٥٦ ７８９", "123 456 789"),
        ("کجاست؟ بله، نه؛", "کجاست? بله, نه;"),
        ("۱۲٬۵۰۰٫۵", "12,500.5"),
        ("Ali@GMAIL.com", "ali@gmail.com"),
        ("«سلام»", '"سلام"'),
        # dropped: tatweel, diacritics, invisible and bidi marks
        (f"سـ{TATWEEL}ـلام", "سلام"),
        ("مَنْ کِتابٌ", "من کتاب"),
        (f"{RLM}سلام{LRM}{BOM}", "سلام"),
        ("👍🏽", "👍"),  # skin-tone modifier
        ("❤️", "❤"),  # variation selector
        # spaces
        (f"سلام{NBSP}\t\n  خوبی\u2009\u3000؟", "سلام خوبی ?"),
        ("   ", ""),
        # repeats: folded to one (Persian, punctuation, emoji), to two in Latin words; doubles and digits kept
        ("سلاممممم", "سلام"),
        ("خیییییلی ممنونننن", "خیلی ممنون"),
        ("ممنون الله", "ممنون الله"),
        ("!!!???", "!?"),
        ("😂😂😂😂", "😂"),
        ("salaaaaam merciiii", "salaam mercii"),
        ("1111111 و 000000", "1111111 و 000000"),
        ("aaa@bbb.com wwww.site.com", "aaa@bbb.com wwww.site.com"),
        # ZWNJ: kept between letters, runs collapsed, dropped at word edges and next to spaces
        (f"می{ZWNJ}خوام", f"می{ZWNJ}خوام"),
        (f"می{ZWNJ}{ZWNJ}خوام", f"می{ZWNJ}خوام"),
        (f"{ZWNJ}سلام{ZWNJ} {ZWNJ}خوبی{ZWNJ}", "سلام خوبی"),
        ("می\u200bخوام", f"می{ZWNJ}خوام"),  # a zero-width space is a mistyped half-space
    ],
)
def test_normalised_copy(raw, expected):
    assert normalize_text(raw) == expected


MESSY = [
    f"{RLM}سـلام   سفارش  ۱۲۳۴۵۶۷۸ كجاست؟؟؟",
    "مَن ﻻ سلاممممم  😂😂😂 pleeeease",
    f"{BOM}  خیلــی ممنونننن{ZWNJ}{ZWNJ} ٠٩١٢ ۳۴۵ ۶۷۸۹  ",
    "ﷲ ﻻ Ali@Mail.COM ۱۲٬۵۰۰ تومان",
]


@pytest.mark.parametrize("raw", MESSY)
def test_every_normalised_character_maps_back_to_its_source(raw):
    normalized = normalize(raw)
    for i, char in enumerate(normalized.text):
        start, end = normalized.original_span(i, i + 1)
        assert 0 <= start < end <= len(raw)
        if char != " ":
            assert char in normalize_text(raw[start:end]), (i, char, raw[start:end])


@pytest.mark.parametrize("raw", MESSY)
def test_spans_are_ordered_and_cover_the_folded_run(raw):
    normalized = normalize(raw)
    spans = [normalized.original_span(i, i + 1) for i in range(len(normalized.text))]
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in itertools.pairwise(spans))


def test_a_folded_run_is_one_character_spanning_the_whole_run():
    normalized = normalize("سلاممممم!")
    assert normalized.text == "سلام!"
    assert normalized.original_span(3, 4) == (3, 8)
    assert normalized.original_span(0, 4) == (0, 8)


def test_clean_text_keeps_identity_offsets_cheaply():
    normalized = normalize("سلام خوبی")
    assert normalized.starts is None
    assert normalized.original_span(5, 9) == (5, 9)


def test_hazm_normalizer_adds_nothing_after_ours():
    """DESIGN §5.3's hazm Normalizer flags, run after our normaliser, change nothing (so parsing needs no hazm)."""
    hazm = pytest.importorskip("hazm")
    hazm_normalizer = hazm.Normalizer(correct_spacing=False, persian_numbers=False, persian_style=False)
    for raw in [*MESSY, "اِعلاممممم کَرد", "نمیدانم چه میگفت", "ﷲ ﷼ ﻵ", "ي ك ة ۀ ؤ إ أ ٱ"]:
        ours = normalize_text(raw)
        assert hazm_normalizer.normalize(ours).replace(ZWNJ, "") == ours.replace(ZWNJ, ""), raw
