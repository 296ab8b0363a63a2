"""A generated Rasa NLU dataset unlike ours: dozens of intents with punctuation in their names, entity
names with dots and underscores, a CRF-only entity, thousands of examples."""

from __future__ import annotations

import random
from pathlib import Path

SUBJECTS = [
    "سفارش",
    "بسته",
    "کالا",
    "فاکتور",
    "حساب",
    "کارت",
    "آدرس",
    "پیک",
    "تخفیف",
    "کد",
    "قسط",
    "سبد",
    "اشتراک",
    "هدیه",
    "امتیاز",
    "رسید",
    "پرداخت",
    "کیف",
    "ارسال",
    "تحویل",
]
VERBS = ["تغییر بدم", "ببینم", "لغو کنم", "فعال کنم", "پیگیری کنم", "حذف کنم", "اضافه کنم", "تمدید کنم"]
CITIES = ["تهران", "مشهد", "اصفهان", "شیراز", "تبریز", "کرج", "قم", "اهواز", "رشت", "یزد", "کرمان", "ساری"]
FRAMES = [
    "میخوام {s} رو {v}",
    "چطوری {s} رو {v}؟",
    "لطفا {s} منو {v}",
    "{s} رو میشه {v}",
    "سلام، {s} رو {v} لطفا",
    "کمک کنید {s} رو {v}",
    "{s}م رو چطور {v}",
    "میشه بگید {s} رو چطور {v}",
]


def write_dataset(path: Path, *, seed: int = 7, per_intent: int = 60) -> Path:
    """40 intents (name.v2/faq-style) × ``per_intent`` examples, with a ``geo.city`` entity."""
    rng = random.Random(seed)
    lines = ['version: "3.1"', "nlu:"]
    for index, (subject, verb) in enumerate((s, v) for s in SUBJECTS for v in VERBS[:2]):
        name = f"faq/{subject}-{index:02d}.v2" if index % 3 else f"ask_{index:02d}+help"
        lines += [f"- intent: {name}", "  examples: |"]
        examples = set()
        while len(examples) < per_intent:
            frame = rng.choice(FRAMES).format(s=subject, v=verb)
            city = rng.choice(CITIES)
            examples.add(
                f"{frame} [{city}](geo.city_name) {rng.randint(1, 99999)}"
                if rng.random() < 0.3
                else f"{frame} {rng.choice(['', 'فوری', 'امروز', 'الان', 'ممنون'])} {rng.randint(1, 9999)}"
            )
        lines += [f"    - {e}" for e in sorted(examples)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
