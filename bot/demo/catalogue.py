"""What the demo shop sells: Persian titles, SKUs, today's prices in Toman, and for electronics the
serial-number shape and the warranties they come with."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

MOBILE = "موبایل"
LAPTOP = "لپ‌تاپ"
AUDIO = "لوازم صوتی"
HOME = "لوازم خانگی"
WATCH = "ساعت هوشمند"
ACCESSORY = "لوازم جانبی موبایل"
CLOTHING = "پوشاک"
SHOES = "کفش"
BOOKS = "کتاب"
BEAUTY = "آرایشی و بهداشتی"
TOYS = "اسباب‌بازی"

# How often an order's main item comes from each category.
CATEGORY_WEIGHTS: tuple[tuple[str, int], ...] = (
    (MOBILE, 9),
    (LAPTOP, 4),
    (AUDIO, 9),
    (HOME, 7),
    (WATCH, 5),
    (ACCESSORY, 6),
    (CLOTHING, 14),
    (SHOES, 8),
    (BOOKS, 11),
    (BEAUTY, 11),
    (TOYS, 6),
)
# Prices rose about a third a year; an order placed a year ago cost about this much less.
YEARLY_INFLATION = 0.33


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    title: str
    category: str
    price: int  # Toman, today
    serial_prefix: str | None = None  # electronics only
    serial_length: int = 0
    warranties: tuple[int, ...] = ()  # months the seller's guarantee may run
    max_quantity: int = 1
    short: str = ""  # how a customer names it in a chat ("گوشیم")

    @property
    def has_serial(self) -> bool:
        return self.serial_prefix is not None


def _e(
    sku: str, title: str, category: str, price: int, prefix: str, length: int, *w: int, short: str
) -> Product:
    return Product(sku, title, category, price, prefix, length, tuple(w), 1, short)


def _p(sku: str, title: str, category: str, price: int, max_quantity: int, short: str) -> Product:
    return Product(sku, title, category, price, None, 0, (), max_quantity, short)


PRODUCTS: tuple[Product, ...] = (
    _e(
        "MOB-SAM-A55-256",
        "گوشی سامسونگ Galaxy A55 ۲۵۶ گیگ",
        MOBILE,
        27_500_000,
        "R5CX",
        11,
        18,
        24,
        short="گوشی",
    ),
    _e(
        "MOB-SAM-A35-128", "گوشی سامسونگ Galaxy A35 ۱۲۸ گیگ", MOBILE, 19_800_000, "R5CW", 11, 18, short="گوشی"
    ),
    _e(
        "MOB-SAM-S24FE-256",
        "گوشی سامسونگ Galaxy S24 FE ۲۵۶ گیگ",
        MOBILE,
        42_000_000,
        "R3CY",
        11,
        18,
        24,
        short="گوشی",
    ),
    _e(
        "MOB-XIA-RN13P-256",
        "گوشی شیائومی Redmi Note 13 Pro ۲۵۶ گیگ",
        MOBILE,
        21_500_000,
        "XR",
        12,
        18,
        short="گوشی",
    ),
    _e("MOB-XIA-X6P-256", "گوشی شیائومی Poco X6 Pro ۲۵۶ گیگ", MOBILE, 24_900_000, "XP", 12, 18, short="گوشی"),
    _e("MOB-APL-IP13-128", "گوشی اپل iPhone 13 ۱۲۸ گیگ", MOBILE, 58_000_000, "F17", 12, 18, short="آیفون"),
    _e("MOB-HON-X8B-256", "گوشی آنر X8b ۲۵۶ گیگ", MOBILE, 18_400_000, "HN", 12, 18, short="گوشی"),
    _e(
        "LAP-LEN-IPS3-I5",
        "لپ‌تاپ لنوو IdeaPad Slim 3 Core i5 ۱۶ گیگ ۵۱۲ SSD",
        LAPTOP,
        46_500_000,
        "PF",
        8,
        24,
        short="لپ‌تاپ",
    ),
    _e(
        "LAP-ASU-X1504-I7",
        "لپ‌تاپ ایسوس VivoBook 15 X1504VA Core i7",
        LAPTOP,
        58_900_000,
        "S1N0",
        12,
        18,
        24,
        short="لپ‌تاپ",
    ),
    _e(
        "LAP-HP-250G10-I3", "لپ‌تاپ اچ‌پی 250 G10 Core i3", LAPTOP, 34_700_000, "5CD", 10, 12, 24, short="لپ‌تاپ"
    ),
    _e(
        "LAP-APL-MBA-M2", "لپ‌تاپ اپل MacBook Air M2 ۲۵۶ گیگ", LAPTOP, 92_000_000, "C02", 12, 18, short="مک‌بوک"
    ),
    _e(
        "LAP-MSI-GF63-4050",
        "لپ‌تاپ گیمینگ ام‌اس‌آی Thin GF63 RTX 4050",
        LAPTOP,
        79_500_000,
        "K23",
        14,
        24,
        short="لپ‌تاپ",
    ),
    _e(
        "AUD-XIA-RB4A",
        "هدفون بی‌سیم شیائومی Redmi Buds 4 Active",
        AUDIO,
        1_350_000,
        "RB4",
        10,
        6,
        12,
        short="هندزفری",
    ),
    _e(
        "AUD-SAM-BUDSFE",
        "هدفون بی‌سیم سامسونگ Galaxy Buds FE",
        AUDIO,
        4_900_000,
        "R9RW",
        11,
        12,
        18,
        short="هندزفری",
    ),
    _e("AUD-SNY-WH1000XM5", "هدفون بی‌سیم سونی WH-1000XM5", AUDIO, 22_800_000, "SN", 9, 12, 18, short="هدفون"),
    _e("AUD-JBL-GO3", "اسپیکر بلوتوثی جی‌بی‌ال Go 3", AUDIO, 2_450_000, "JG3", 12, 12, short="اسپیکر"),
    _e("AUD-ANK-Q20I", "هدفون بی‌سیم انکر Soundcore Q20i", AUDIO, 2_900_000, "AQ2", 10, 12, 18, short="هدفون"),
    _e("AUD-JBL-FLIP6", "اسپیکر بلوتوثی جی‌بی‌ال Flip 6", AUDIO, 7_800_000, "JF6", 12, 12, 18, short="اسپیکر"),
    _e(
        "HOM-XIA-E10",
        "جاروبرقی رباتیک شیائومی Robot Vacuum E10",
        HOME,
        12_900_000,
        "RV",
        12,
        12,
        18,
        short="جاروبرقی",
    ),
    _e("HOM-PHL-HD9252", "سرخ‌کن بدون روغن فیلیپس HD9252", HOME, 7_400_000, "PH", 10, 18, 24, short="سرخ‌کن"),
    _e("HOM-BSH-MFQ3540", "همزن برقی بوش MFQ3540", HOME, 3_600_000, "BM", 10, 18, 24, short="همزن"),
    _e("HOM-PKH-TM3500", "چای‌ساز پارس‌خزر TM-3500SP", HOME, 2_850_000, "PK", 9, 18, 24, short="چای‌ساز"),
    _e(
        "HOM-SNW-SWM84518",
        "ماشین لباسشویی اسنوا ۸ کیلویی SWM-84518",
        HOME,
        38_500_000,
        "SW",
        13,
        24,
        short="لباسشویی",
    ),
    _e("HOM-PHL-GC1742", "اتو بخار فیلیپس GC1742", HOME, 2_300_000, "PG", 10, 18, short="اتو"),
    _e(
        "WAT-XIA-RW3A",
        "ساعت هوشمند شیائومی Redmi Watch 3 Active",
        WATCH,
        2_650_000,
        "RW3",
        11,
        6,
        12,
        short="ساعت",
    ),
    _e(
        "WAT-SAM-GW6-40",
        "ساعت هوشمند سامسونگ Galaxy Watch6 ۴۰ میلی‌متر",
        WATCH,
        11_900_000,
        "R2LW",
        11,
        12,
        18,
        short="ساعت",
    ),
    _e(
        "WAT-APL-SE2-40",
        "ساعت هوشمند اپل Watch SE 2023 ۴۰ میلی‌متر",
        WATCH,
        21_500_000,
        "G99",
        12,
        12,
        short="اپل‌واچ",
    ),
    _e("WAT-AMZ-BIP5", "ساعت هوشمند امیزفیت Bip 5", WATCH, 4_300_000, "AB5", 10, 12, short="ساعت"),
    _e(
        "ACC-ANK-PB10K",
        "پاوربانک انکر ۱۰۰۰۰ میلی‌آمپر PowerCore",
        ACCESSORY,
        1_650_000,
        "APB",
        10,
        12,
        short="پاوربانک",
    ),
    _p("ACC-SAM-A55-CASE", "قاب سیلیکونی اورجینال Galaxy A55", ACCESSORY, 350_000, 1, "قاب"),
    _p("ACC-BAS-USBC-1M", "کابل شارژ USB-C باسئوس ۱ متری", ACCESSORY, 280_000, 2, "کابل"),
    _p("ACC-GLS-FULL", "محافظ صفحه گلس فول‌چسب", ACCESSORY, 150_000, 2, "گلس"),
    _p("CLO-TSH-BASIC", "تی‌شرت نخی یقه‌گرد مردانه", CLOTHING, 350_000, 3, "تی‌شرت"),
    _p("CLO-MNT-LINEN", "مانتو کتان زنانه", CLOTHING, 1_850_000, 1, "مانتو"),
    _p("CLO-JNS-SLIM", "شلوار جین مردانه اسلیم", CLOTHING, 1_250_000, 2, "شلوار"),
    _p("CLO-HOD-FLEECE", "هودی دورس زنانه", CLOTHING, 980_000, 2, "هودی"),
    _p("CLO-SCF-COTTON", "شال نخی زنانه", CLOTHING, 420_000, 3, "شال"),
    _p("CLO-JKT-PUFFER", "کاپشن پافر مردانه", CLOTHING, 3_400_000, 1, "کاپشن"),
    _p("SHO-NK-REV7", "کفش رانینگ نایکی Revolution 7", SHOES, 4_800_000, 1, "کفش"),
    _p("SHO-ADS-GRANDCT", "کتانی آدیداس Grand Court", SHOES, 3_900_000, 1, "کتونی"),
    _p("SHO-WMN-FLAT", "کفش تخت زنانه چرم طبیعی", SHOES, 1_950_000, 1, "کفش"),
    _p("SHO-MEN-BOOT", "نیم‌بوت مردانه چرم", SHOES, 3_200_000, 1, "نیم‌بوت"),
    _p("SHO-SLIPPER", "دمپایی روفرشی", SHOES, 280_000, 2, "دمپایی"),
    _p("BOK-HED-BUFEKUR", "کتاب بوف کور — صادق هدایت", BOOKS, 180_000, 2, "کتاب"),
    _p("BOK-HP-1", "کتاب هری پاتر و سنگ جادو (ترجمه ویدا اسلامیه)", BOOKS, 420_000, 2, "کتاب"),
    _p("BOK-ATOMIC-HABITS", "کتاب عادت‌های اتمی — جیمز کلیر", BOOKS, 265_000, 3, "کتاب"),
    _p("BOK-KELIDAR-SET", "کتاب کلیدر — محمود دولت‌آبادی (دوره ۵ جلدی)", BOOKS, 1_900_000, 1, "کتاب"),
    _p("BOK-HAFEZ-DELUXE", "دیوان حافظ (نفیس، قابدار)", BOOKS, 650_000, 2, "دیوان حافظ"),
    _p("BOK-SUVASHUN", "کتاب سووشون — سیمین دانشور", BOOKS, 230_000, 2, "کتاب"),
    _p("COS-CRV-MOIST-340", "کرم مرطوب‌کننده سراوی ۳۴۰ گرمی", BEAUTY, 1_250_000, 2, "کرم"),
    _p("COS-LOR-HA-SERUM", "سرم هیالورونیک اسید لورآل", BEAUTY, 890_000, 2, "سرم"),
    _p("COS-CNR-SPF50", "کرم ضدآفتاب سینره SPF50", BEAUTY, 460_000, 3, "ضدآفتاب"),
    _p("COS-MBL-LASH", "ریمل حجم‌دهنده میبلین Lash Sensational", BEAUTY, 540_000, 2, "ریمل"),
    _e(
        "COS-ORB-VITPRO",
        "مسواک برقی اورال‌بی Vitality Pro",
        BEAUTY,
        2_100_000,
        "OB",
        10,
        12,
        short="مسواک برقی",
    ),
    _e(
        "COS-PHL-ONEBLADE",
        "ماشین اصلاح فیلیپس OneBlade",
        BEAUTY,
        3_800_000,
        "OBQ",
        11,
        24,
        short="ماشین اصلاح",
    ),
    _p("TOY-LEGO-60320", "لگو سیتی ایستگاه آتش‌نشانی 60320", TOYS, 5_900_000, 1, "لگو"),
    _p("TOY-RUBIK-GAN", "مکعب روبیک ۳×۳ گن", TOYS, 450_000, 2, "روبیک"),
    _p("TOY-RC-OFFROAD", "ماشین کنترلی آفرود شارژی", TOYS, 1_750_000, 1, "ماشین کنترلی"),
    _p("TOY-BARBIE", "عروسک باربی مدل گردش", TOYS, 1_200_000, 1, "عروسک"),
    _p("TOY-BOARD-MENCH", "بازی فکری منچ و مار و پله", TOYS, 180_000, 2, "بازی"),
    _p("TOY-PUZZLE-1000", "پازل ۱۰۰۰ تکه شب پرستاره ونگوگ", TOYS, 520_000, 1, "پازل"),
)
BY_SKU = {product.sku: product for product in PRODUCTS}
BY_CATEGORY: dict[str, tuple[Product, ...]] = {
    category: tuple(p for p in PRODUCTS if p.category == category) for category, _ in CATEGORY_WEIGHTS
}
# What people add to the basket next to a main item of a category.
ADD_ONS: dict[str, tuple[str, ...]] = {
    MOBILE: ("ACC-SAM-A55-CASE", "ACC-GLS-FULL", "ACC-BAS-USBC-1M", "ACC-ANK-PB10K"),
    LAPTOP: ("ACC-BAS-USBC-1M", "AUD-ANK-Q20I"),
    CLOTHING: ("CLO-SCF-COTTON", "CLO-TSH-BASIC", "SHO-SLIPPER"),
    BEAUTY: ("COS-CNR-SPF50", "COS-MBL-LASH"),
    BOOKS: ("BOK-SUVASHUN", "BOK-HED-BUFEKUR", "BOK-ATOMIC-HABITS"),
}

_SERIAL_ALPHABET = string.ascii_uppercase + string.digits


def price_at(product: Product, age_days: float, rng: random.Random) -> int:
    """The product's price ``age_days`` ago: today's price less inflation, a little noise, rounded
    the way shops round (to 10,000 Toman above a million, to 1,000 below)."""
    factor = (1 + YEARLY_INFLATION) ** (-age_days / 365) * rng.uniform(0.97, 1.03)
    step = 10_000 if product.price >= 1_000_000 else 1_000
    return max(step, round(product.price * factor / step) * step)


def serial_number(product: Product, rng: random.Random) -> str:
    """A manufacturer-style serial: the brand prefix, then letters and digits (always at least one digit)."""
    assert product.serial_prefix is not None
    tail = [rng.choice(_SERIAL_ALPHABET) for _ in range(product.serial_length - len(product.serial_prefix))]
    tail[rng.randrange(len(tail))] = rng.choice(string.digits)
    return product.serial_prefix + "".join(tail)
