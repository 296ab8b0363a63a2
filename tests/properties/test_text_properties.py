"""Properties that must hold for any text a customer can type, not only the examples we thought of."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.text.digits import to_ascii_digits, to_persian_digits
from bot.text.entities import extract_entities
from bot.text.normalize import normalize
from bot.text.phone import InvalidPhone, normalize_phone

PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیئآ"
ARABIC = "يكةأإؤ"
DIGITS = "0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"
MARKS = "\u200c\u200e\u200f\u0640\u064b\u064e\u0650 ،؟!.#@+-_"
customer_text = st.text(alphabet=PERSIAN + ARABIC + DIGITS + MARKS + "abcxyzSN", max_size=120)
anything = st.text(max_size=200)
# derandomize: CI runs the same examples every time (a failure is reproducible, never a fluke)
fast = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@fast
@given(anything)
def test_normalisation_never_fails_and_maps_back_inside_the_original(text: str) -> None:
    result = normalize(text)
    assert result.original == text
    for i in range(len(result.text)):
        start, end = result.original_span(i, i + 1)
        assert 0 <= start < end <= len(text)


@fast
@given(customer_text)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


@fast
@given(customer_text)
def test_entities_point_into_the_original_and_carry_normalised_values(text: str) -> None:
    for entity in extract_entities(text):
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        value = entity["value"]
        if entity["entity"] == "order_id":
            assert re.fullmatch(r"\d{5,9}", value)
            # the digits of the span the entity points at, whatever marks were typed between them
            assert re.sub(r"\D", "", to_ascii_digits(text[entity["start"] : entity["end"]])) == value
        elif entity["entity"] == "phone":
            assert re.fullmatch(r"09\d{9}|\+\d{8,15}", value)
        elif entity["entity"] == "serial_number":
            assert value == value.upper() and re.search(r"\d", value) and re.search(r"[A-Z]", value)
        elif entity["entity"] == "email":
            assert value == value.lower() and "@" in value


@fast
@given(
    st.from_regex(r"9[0-9]{9}", fullmatch=True),
    st.sampled_from(["0{n}", "+98{n}", "0098{n}", "98{n}", "{n}"]),
    st.sampled_from(["", " ", "-"]),
    st.booleans(),
)
def test_every_way_of_writing_a_mobile_is_the_same_number(
    national: str, form: str, separator: str, persian: bool
) -> None:
    written = form.format(n=separator.join([national[:3], national[3:6], national[6:]]))
    if persian:
        written = to_persian_digits(written)
    assert normalize_phone(written) == "0" + national


@fast
@given(anything)
def test_phone_normalisation_either_succeeds_idempotently_or_says_why(text: str) -> None:
    try:
        phone = normalize_phone(text)
    except InvalidPhone as exc:
        assert str(exc)
    else:
        assert normalize_phone(phone) == phone


@fast
@given(st.integers(min_value=0, max_value=10**12))
def test_digit_scripts_round_trip(number: int) -> None:
    assert to_ascii_digits(to_persian_digits(number)) == str(number)
