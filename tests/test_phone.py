import pytest

from bot.text.phone import InvalidPhone, is_phone, normalize_phone

MOBILE = "09121234567"


@pytest.mark.parametrize(
    "written",
    [
        "09121234567",
        "+989121234567",
        "989121234567",
        "00989121234567",
        "9121234567",
        "+98 912 123 4567",
        "0098 912 123 4567",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123-4567",
        "0912.123.4567",
        " 09121234567 ",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        "۰۰۹۸۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+٩٨ ٩١٢ ١٢٣ ٤٥٦٧",
        "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "0912\u200c123\u200c4567",
        "09۱۲123۴۵۶۷",
        "+98 (0)912 123 4567",
    ],
)
def test_every_written_form_of_an_iranian_mobile_is_one_number(written: str) -> None:
    assert normalize_phone(written) == MOBILE
    assert is_phone(written)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+1-202-555-0143", "+12025550143"),
    ],
)
def test_foreign_numbers_are_stored_as_e164(written: str, stored: str) -> None:
    assert normalize_phone(written) == stored


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0912123456", "10 digits"),
        ("091212345678", "10 digits"),
        ("02112345678", "mobile"),
        ("+982112345678", "mobile"),
        ("0912abc4567", "only digits"),
        ("09121234567#", "only digits"),
        ("+12", "8 to 15"),
        ("12345", "10 digits"),
    ],
)
def test_invalid_phones_are_rejected_with_a_reason(written: str, reason: str) -> None:
    with pytest.raises(InvalidPhone, match=reason):
        normalize_phone(written)
    assert not is_phone(written)


def test_non_string_is_rejected() -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(9121234567)  # type: ignore[arg-type]
