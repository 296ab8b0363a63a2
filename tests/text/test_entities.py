import pytest

from bot.text.entities import extract_entities

TATWEEL, RLM = "\u0640", "\u200f"


def found(text: str) -> list[tuple[str, object, str]]:
    """(entity, value, the original text it points at) for every entity."""
    return [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in extract_entities(text)]


ORDER_IDS = [
    ("سفارش 12345678 کجاست", "12345678", "12345678"),
    ("سفارش ۱۲۳۴۵۶۷۸ کجاست", "12345678", "۱۲۳۴۵۶۷۸"),
    ("سفارش ١٢٣٤٥٦٧٨ کجاست", "12345678", "١٢٣٤٥٦٧٨"),
    ("سفارش ۱2٣4۵6۷8", "12345678", "۱2٣4۵6۷8"),  # mixed scripts in one number
    ("#۳۴۵۶۷ چی شد", "34567", "#۳۴۵۶۷"),  # '#' is in the span, not in the value
    ("سفارش#987654321", "987654321", "#987654321"),
    ("سفارش12345", "12345", "12345"),  # no space after a Persian word
    (f"{RLM}سفارش {RLM}۵۵۵۶۶۶۷", "5556667", "۵۵۵۶۶۶۷"),  # invisible marks before it
    (f"سـ{TATWEEL}فارش   ۱۲۳۴۵۶", "123456", "۱۲۳۴۵۶"),  # dropped and collapsed characters before it
    ("سلامممممم سفارش 7654321", "7654321", "7654321"),  # a folded repeat before it
]


@pytest.mark.parametrize(("text", "value", "span"), ORDER_IDS)
def test_order_ids_in_every_digit_script(text, value, span):
    assert found(text) == [("order_id", value, span)]


@pytest.mark.parametrize(
    "text",
    [
        "کد 1234",  # 4 digits: too short
        "کد رهگیری 1234567890123",  # 13 digits: a tracking code, not an order
        "ali12345@gmail.com",  # digits inside an email
        "digikala.com/product/dkp-1234567",  # digits inside a link
        "https://shop.ir/orders/1234567",
        "قیمتش 1250000 تومان بود",  # a price
        "12.34567",
    ],
)
def test_numbers_that_are_not_order_ids(text):
    assert [f for f in found(text) if f[0] == "order_id"] == []


PHONES = [
    "09123456789",
    "۰۹۱۲۳۴۵۶۷۸۹",
    "٠٩١٢٣٤٥٦٧٨٩",
    "0912 345 6789",
    "۰۹۱۲-۳۴۵-۶۷۸۹",
    "0912 345 67 89",
    "(0912) 345 6789",
    "+989123456789",
    "+98 912 345 6789",
    "+98-912-345-6789",
    "00989123456789",
    "۰۰۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹",
    "989123456789",
    "9123456789",
    "+98 0912 345 6789",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phones_in_every_written_form_normalise_to_09(phone):
    text = f"شماره من {phone} هست"
    assert found(text) == [("phone", "09123456789", phone)]


@pytest.mark.parametrize("text", ["02188776655", "0812345678", "091234567", "+1 415 555 0100"])
def test_landlines_and_short_numbers_are_not_mobiles(text):
    assert [f for f in found(text) if f[0] == "phone"] == []


def test_a_phone_is_not_also_an_order_id():
    assert [f[0] for f in found("سفارش 1234567 موبایل 09121234567")] == ["order_id", "phone"]


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("ایمیلم Ali.Reza@Gmail.COM هست", "ali.reza@gmail.com", "Ali.Reza@Gmail.COM"),
        ("ایمیل:sara_99+shop@mail.co.ir", "sara_99+shop@mail.co.ir", "sara_99+shop@mail.co.ir"),
        ("reza1370@yahoo.com.", "reza1370@yahoo.com", "reza1370@yahoo.com"),
    ],
)
def test_emails_are_lower_cased(text, value, span):
    assert found(text) == [("email", value, span)]


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("سریال گوشی SN4829XK7 هست", "SN4829XK7", "SN4829XK7"),
        ("سریال ab12cd34", "AB12CD34", "ab12cd34"),
        ("سریال SN۴۸۲۹۳۷", "SN482937", "SN۴۸۲۹۳۷"),  # Persian digits inside
        ("سریالXK99120Z", "XK99120Z", "XK99120Z"),
        ("serial G7T2-K9XQ", "G7T2-K9XQ", "G7T2-K9XQ"),
    ],
)
def test_serial_numbers_are_upper_cased(text, value, span):
    assert found(text) == [("serial_number", value, span)]


@pytest.mark.parametrize(
    "text",
    ["abc12", "A1B2C3D4E5F6G7H8I9J0K", "salamati", "کد 123456789012", "ali99x@gmail.com", "www.abc123.ir"],
)
def test_not_serial_numbers(text):
    assert [f for f in found(text) if f[0] == "serial_number"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("مبلغ ۱٬۲۵۰٬۰۰۰ تومان", 1_250_000),
        ("۲۵۰ هزار تومن", 250_000),
        ("1.5 میلیون", 1_500_000),
        ("12500000 ریال", 1_250_000),
        ("99000 toman", 99_000),
    ],
)
def test_amounts_are_whole_toman(text, value):
    assert [(f[0], f[1]) for f in found(text)] == [("amount", value)]


def test_entities_are_rasa_shaped():
    (entity,) = extract_entities("سفارش ۱۲۳۴۵")
    assert entity == {
        "entity": "order_id",
        "value": "12345",
        "start": 6,
        "end": 11,
        "confidence": 1.0,
        "extractor": "PatternEntityExtractor",
    }


def test_several_entities_in_text_order():
    text = "سفارش #۱۲۳۴۵۶ با ایمیل a@b.com و شماره ۰۹۱۲۱۲۳۴۵۶۷ سریال AB123456"
    assert [f[0] for f in found(text)] == ["order_id", "email", "phone", "serial_number"]
