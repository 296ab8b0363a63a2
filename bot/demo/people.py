"""Demo customers: who they are, how to reach them, and the ids they have on each messaging channel."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.demo import names
from bot.text.phone import normalize_phone

TELEGRAM = "telegram"
INSTAGRAM = "instagram"
WEBCHAT = "webchat"
CHANNELS = (TELEGRAM, INSTAGRAM, WEBCHAT)


@dataclass(slots=True)
class CustomerPlan:
    key: int  # position in the plan; the demo customer is 0
    first: str
    last: str
    latin: tuple[str, str]
    phone: str
    city: str
    email: str | None = None
    external_id: str | None = None  # the shop account; guests who checked out without one have none
    channels: dict[str, str] = field(default_factory=dict)  # channel -> external user id

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


class Unique:
    """Draws values until one is new; remembers them only for membership, never iterates them."""

    def __init__(self, *taken: str) -> None:
        self._seen = set(taken)

    def take(self, draw: Callable[[], str]) -> str:
        while True:
            value = draw()
            if value not in self._seen:
                self._seen.add(value)
                return value


def demo_customer() -> CustomerPlan:
    return CustomerPlan(
        key=0,
        first="سارا",
        last="احمدی",
        latin=("sara", "ahmadi"),
        phone=names.DEMO_PHONE,
        city=names.DEMO_CITY,
        email=names.DEMO_EMAIL,
        external_id=names.DEMO_SHOP_ID,
    )


def make_customers(rng: random.Random, count: int) -> list[CustomerPlan]:
    """The demo customer, then ``count`` others with distinct names, phones, emails and shop accounts."""
    customers = [demo_customer()]
    people = [(f, names.FEMALE_NAMES) for f in range(len(names.FEMALE_NAMES))]
    people += [(m, names.MALE_NAMES) for m in range(len(names.MALE_NAMES))]
    pairs = [(first, last) for first in people for last in range(len(names.LAST_NAMES))]
    rng.shuffle(pairs)
    phones = Unique(names.DEMO_PHONE)
    emails = Unique(names.DEMO_EMAIL)
    shop_ids = Unique(names.DEMO_SHOP_ID)
    cities = [c for c, _ in names.CITIES]
    weights = [w for _, w in names.CITIES]
    chosen: list[tuple[tuple[str, str], tuple[str, str]]] = []
    used: dict[str, int] = {}  # a first name at most twice, a family name at most three times
    for (index, table), last_index in pairs:
        first, last = table[index], names.LAST_NAMES[last_index]
        if used.get(first[0], 0) >= 2 or used.get(last[0], 0) >= 3:
            continue
        used[first[0]] = used.get(first[0], 0) + 1
        used[last[0]] = used.get(last[0], 0) + 1
        chosen.append((first, last))
        if len(chosen) == count:
            break
    for key, (first, last) in enumerate(chosen, start=1):
        customer = CustomerPlan(
            key=key,
            first=first[0],
            last=last[0],
            latin=(first[1], last[1]),
            phone=phones.take(lambda: _mobile(rng)),
            city=rng.choices(cities, weights=weights)[0],
        )
        if rng.random() < 0.45:
            customer.email = emails.take(lambda c=customer: _email(c.latin, rng))
        if rng.random() < 0.85:
            customer.external_id = shop_ids.take(lambda: f"u{rng.randint(1002, 48999)}")
        customers.append(customer)
    return customers


def _mobile(rng: random.Random) -> str:
    number = rng.choice(names.MOBILE_PREFIXES) + "".join(rng.choice(string.digits) for _ in range(7))
    return normalize_phone(number)  # raises if a prefix in the table is not a valid mobile


def _email(latin: tuple[str, str], rng: random.Random) -> str:
    first, last = latin
    domain = rng.choices([d for d, _ in names.EMAIL_DOMAINS], weights=[w for _, w in names.EMAIL_DOMAINS])[0]
    local = rng.choice(
        (
            f"{first[0]}.{last}",
            f"{first}.{last}",
            f"{first}{last}{rng.randint(60, 99)}",
            f"{first}_{last[:3]}{rng.randint(1, 999)}",
            f"{last}.{first}",
        )
    )
    return f"{local}@{domain}"


def telegram_id(rng: random.Random) -> str:
    """Telegram user ids: older accounts have 8–9 digits, newer ones 10 (5… to 7…)."""
    return str(rng.choice((rng.randint(60_000_000, 999_999_999), rng.randint(5_000_000_000, 7_999_999_999))))


def instagram_id(rng: random.Random) -> str:
    """Instagram-scoped ids (IGSID) as the Messaging API sends them: 16–17 digit numeric strings."""
    return str(rng.randint(10**15, 10**17 - 1))


def webchat_id(rng: random.Random) -> str:
    """The widget's visitor id: an opaque random token kept in a first-party cookie."""
    return "v_" + "".join(rng.choice("0123456789abcdef") for _ in range(24))


CHANNEL_IDS = {TELEGRAM: telegram_id, INSTAGRAM: instagram_id, WEBCHAT: webchat_id}
