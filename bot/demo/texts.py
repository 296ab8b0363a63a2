"""How the demo's customers write and how the bot answers: Persian digits, Jalali dates, Toman amounts,
and the many ways people ask the same thing (formal, colloquial, Finglish, mixed digits)."""

from __future__ import annotations

import random
from datetime import datetime

import jdatetime

from bot.demo.shipping import TEHRAN
from bot.text.digits import to_persian_digits

MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
WEEKDAYS = ("شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه")  # jdatetime: Saturday is 0
RETURN_DAYS = 7


def fa(value: object) -> str:
    return to_persian_digits(str(value))


def toman(amount: int) -> str:
    return fa(f"{amount:,}".replace(",", "٬")) + " تومان"


def jalali(moment: datetime, *, weekday: bool = False) -> str:
    """``۱۴ اسفند ۱۴۰۴`` (or ``پنجشنبه ۱۴ اسفند ۱۴۰۴``) in Tehran's calendar day."""
    day = jdatetime.date.fromgregorian(date=moment.astimezone(TEHRAN).date())
    text = fa(f"{day.day} {MONTHS[day.month - 1]} {day.year}")
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def clock(moment: datetime) -> str:
    return fa(moment.astimezone(TEHRAN).strftime("%H:%M"))


def mask_phone(phone: str) -> str:
    return fa(phone[:4] + "***" + phone[-4:])


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[0]}***{local[-1]}@{domain}"


def typed_number(number: str, rng: random.Random) -> str:
    """An order number as a customer types it: Persian or ASCII digits, sometimes with ``#``."""
    return rng.choices((number, fa(number), "#" + number), weights=(5, 4, 1))[0]


def pick(rng: random.Random, options: tuple[str, ...], **fields: str) -> str:
    return rng.choice(options).format(**fields)


GREET = ("سلام", "سلام وقت بخیر", "سلام خسته نباشید", "salam", "درود", "سلام روزتون بخیر")
TRACK = (
    "سلام، سفارش {n} کجاست؟",
    "سلام وقت بخیر. سفارشم با شماره {n} هنوز نرسیده، کی میرسه؟",
    "sefaresh {n} koja ast?",
    "وضعیت سفارش {n} رو میشه بگید؟",
    "کد رهگیری سفارش {n} رو میخواستم",
    "بسته‌ام ارسال شده یا نه؟ شماره سفارش {n}",
    "لطفاً وضعیت سفارش شماره {n} را اعلام بفرمایید.",
    "{short} که سفارش دادم کی به دستم میرسه؟ سفارش {n}",
)
THANKS = ("ممنون", "مرسی 🙏", "خیلی ممنون از راهنماییتون", "merci", "دستتون درد نکنه", "باشه ممنونم 🌹")
BOT_WELCOME = ("خواهش می‌کنم 🌷 اگر سؤال دیگری داشتید همین‌جا بپرسید.", "خواهش می‌کنم! روز خوبی داشته باشید 🌼")
RETURN_ASK = (
    "سلام، {short} که خریدم رو میخوام مرجوع کنم، {why}. سفارش {n}",
    "چطوری میتونم سفارش {n} رو پس بدم؟ {why}",
    "سلام، امکان مرجوعی {short} سفارش {n} هست؟ {why}",
    "marjoo kardan sefaresh {n} chejoorie? {why}",
)
# The reasons and button titles of the dialogue domain (utter_ask_return_reason), with what people add.
RETURN_REASONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "wrong_size": ("سایز مناسب نیست", ("سایزش کوچیکه", "یه سایز بزرگتره، اندازه نیست")),
    "not_as_described": (
        "رنگ یا مدل متفاوت است",
        ("رنگش با عکس سایت فرق داره", "مدلش اون چیزی نیست که تو سایت بود"),
    ),
    "damaged": ("آسیب‌دیده یا معیوب رسید", ("صداش خش داره", "از روز اول درست کار نمیکنه", "جعبه‌ش له شده بود")),
    "changed_mind": ("از خرید منصرف شدم", ("پشیمون شدم، لازمش ندارم", "یکی دیگه برام هدیه آوردن")),
}
WARRANTY_ASK = (  # (text, intent)
    ("سلام، {short} خراب شده. گارانتی داره؟ سریالش {serial} هست", "warranty_status"),
    ("{short}م مشکل پیدا کرده، میخوام بفرستم گارانتی. شماره سریال: {serial}", "warranty_claim"),
    (
        "سلام وقتتون بخیر. {short} که از شما خریدم ({serial}) ایراد داره، گارانتیش هنوز معتبره؟",
        "warranty_status",
    ),
)
FAULTS = (
    "دیگه شارژ نمیشه",
    "صفحه‌ش خط افتاده",
    "خودبه‌خود خاموش میشه",
    "بلوتوثش وصل نمیشه",
    "یه طرفش صدا نمیده",
    "موقع کار خیلی داغ میکنه",
)
INVOICE_ASK = (
    "سلام، فاکتور رسمی سفارش {n} رو لازم دارم",
    "میشه فاکتور سفارش {n} رو برام بفرستید؟ برای شرکت میخوام",
    "faktor sefaresh {n} ro mikhastam",
)
CANCEL_ASK = (
    "سلام، میخوام سفارش {n} رو لغو کنم",
    "سفارش {n} رو اشتباهی ثبت کردم، کنسلش کنید لطفا",
    "لغو سفارش {n}",
)
AFFIRM = ("بله", "آره لطفا", "بله مطمئنم", "ok")
COMPLAINT = (
    "این چه وضعشه؟ چند روزه پول دادم هنوز سفارش {n} نرسیده!",
    "واقعا از خدماتتون ناراضیم، سفارش {n} هنوز تو راهه و هیچکس جواب نمیده",
)
HUMAN = (
    "میخوام با یه آدم واقعی صحبت کنم",
    "لطفا وصلم کنید به اپراتور",
    "اپراتور",
    "با پشتیبانی انسانی کار دارم",
)
FALLBACK = (("اون چیزه که گفتم چی شد", "همون دیگه"), ("سلام اون قضیه", "بابا همونی که دیروز گفتم"))
OUT_OF_SCOPE = (
    "این گوشی رنگ آبی هم دارید؟",
    "ساعت کاری فروشگاه حضوری تا چنده؟",
    "تخفیف دانشجویی دارید؟",
    "کی دوباره Galaxy A55 موجود میشه؟",
)
BOT_CHALLENGE = ("ربات هستی؟", "شما آدمید یا ربات؟", "با ربات دارم حرف میزنم؟")
GOODBYE = ("خداحافظ", "فعلا", "bye")
FAULT_REGISTERED = "درخواست گارانتی شما با کد پیگیری {ref} ثبت شد ✅ پیک ما ظرف دو روز کاری کالا را برای ارسال به مرکز گارانتی تحویل می‌گیرد."
CSAT_QUESTION = "گفتگوی شما بسته شد. چقدر از پاسخ‌گویی راضی بودید؟"  # utter_ask_csat
CSAT_TITLES = {5: "۵ عالی", 4: "۴ خوب", 3: "۳ متوسط", 2: "۲ ضعیف", 1: "۱ خیلی بد"}
CSAT_COMMENTS = {
    5: ("خیلی سریع جواب دادید، ممنون", "عالی بود 👌"),
    4: ("خوب بود", "راضیم"),
    3: ("یه کم طول کشید",),
    2: ("جوابم کامل نبود",),
    1: ("اصلا راضی نبودم",),
}
