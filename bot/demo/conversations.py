"""Past conversations, scripted turn by turn: what the customer wrote and what the bot answered from
the customer's real orders (their carrier, tracking code, delivery date, warranty)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.demo import texts as t
from bot.demo.orders import ItemPlan, OrderPlan
from bot.demo.shipping import REGISTERED
from bot.demo.transcript import Chat, ReturnPlan, WarrantyPlan, warranty_until
from bot.services.handoff import HandoffReason
from bot.storage.models import ReturnStatus, WarrantyStatus

SHOP_URL = "https://shop.example.ir"


def _ask(chat: Chat, options: tuple[str, ...], intent: str, order: OrderPlan, **extra: str) -> None:
    typed = t.typed_number(order.number, chat.rng)
    text = t.pick(chat.rng, options, n=typed, **extra)
    entities = [("order_id", order.number, typed.removeprefix("#"))] if typed in text else []
    if "serial" in extra:
        entities.append(("serial_number", extra["serial"], extra["serial"]))
    chat.says(text, intent, entities=tuple(entities))


def track(chat: Chat, order: OrderPlan) -> None:
    _ask(chat, t.TRACK, "track_order", order, short=order.items[0].product.short)
    if not chat.gate():
        return
    s, n = order.shipment, t.fa(order.number)
    event = None if s is None else s.last_event_before(chat.clock)
    if s is None or event is None:
        chat.replies(
            f"سفارش {n} پرداخت شده و در انبار در حال آماده‌سازی است 📦 معمولاً ظرف ۲۴ تا ۴۸ ساعت کاری "
            "تحویل شرکت حمل می‌شود و کد رهگیری برایتان پیامک می‌شود."
        )
    else:
        if event.status == REGISTERED:
            lines = [f"برچسب ارسال سفارش {n} صادر شده و به‌زودی تحویل {s.carrier} می‌شود 📦"]
        else:
            lines = [f"سفارش {n} با {s.carrier} ارسال شده است 🚚"]
        if s.tracking_code:
            lines.append(f"کد رهگیری: {s.tracking_code}")
        lines.append(f"آخرین وضعیت: {event.description} ({t.jalali(event.at)} ساعت {t.clock(event.at)})")
        if eta := s.delivered_at or s.expected_at:
            lines.append(f"زمان تقریبی تحویل: {t.jalali(eta, weekday=True)}")
        chat.replies("\n".join(lines))
    chat.thank()


def ask_return(chat: Chat, order: OrderPlan, item: ItemPlan, reason: str, status: ReturnStatus) -> None:
    label, comments = t.RETURN_REASONS[reason]
    why = chat.rng.choice(comments)
    _ask(chat, t.RETURN_ASK, "return_request", order, short=item.product.short, why=why)
    chat.gate()
    assert order.delivered_at is not None
    deadline = order.delivered_at + timedelta(days=t.RETURN_DAYS)
    window = f"سفارش {t.fa(order.number)} تا {t.jalali(deadline)} مهلت مرجوعی دارد."
    if len(order.items) > 1:
        buttons = [
            {"title": i.product.title, "payload": _choose("item_id", i.product.sku)} for i in order.items
        ]
        chat.replies(f"{window} کدام کالا را برمی‌گردانید؟", {"buttons": buttons})
        chat.clicks(item.product.title, _choose("item_id", item.product.sku))
        window = ""
    buttons = [
        {"title": title, "payload": _choose("return_reason", code)}
        for code, (title, _) in t.RETURN_REASONS.items()
    ]
    chat.replies(f"{window} دلیل مرجوع کردن چیست؟".strip(), {"buttons": buttons})
    chat.clicks(label, _choose("return_reason", reason))
    chat.replies(
        f"درخواست مرجوعی «{item.product.title}» از سفارش {t.fa(order.number)} به دلیل «{label}» ثبت شود؟",
        {"buttons": [{"title": "بله، ثبت شود", "payload": "/affirm"}]},
    )
    chat.clicks("بله، ثبت شود", "/affirm")
    plan = ReturnPlan(order, item, reason, why, status, chat.clock.replace(microsecond=0))
    refund = t.toman(item.unit_price * item.quantity)
    chat.replies(
        f"درخواست مرجوعی شما با کد پیگیری {plan.reference} ثبت شد ✅\nپیک ما ظرف دو روز کاری برای تحویل کالا "
        f"با شما تماس می‌گیرد و پس از بررسی، مبلغ {refund} به حساب شما برمی‌گردد."
    )
    chat.plan.return_request = plan
    chat.thank()


def _choose(entity: str, value: str) -> str:
    return "/choose" + json.dumps({entity: value}, ensure_ascii=False, separators=(",", ":"))


def ask_return_window(chat: Chat, order: OrderPlan, item: ItemPlan) -> None:
    text = f"سلام، اگه بخوام {item.product.short} رو پس بدم تا کی وقت دارم؟ سفارش {order.number}"
    chat.says(text, "return_policy", entities=(("order_id", order.number, order.number),))
    chat.gate()
    assert order.delivered_at is not None
    deadline = order.delivered_at + timedelta(days=t.RETURN_DAYS)
    chat.replies(
        f"سفارش {t.fa(order.number)} در {t.jalali(order.delivered_at)} تحویل شده و تا {t.jalali(deadline, weekday=True)} "
        "می‌توانید آن را مرجوع کنید. هر وقت خواستید، بنویسید «مرجوعی» تا درخواستتان را ثبت کنم."
    )
    chat.thank()


def ask_warranty(chat: Chat, order: OrderPlan, item: ItemPlan, now: datetime) -> None:
    assert item.serial_number is not None and item.warranty_months is not None
    template, intent = chat.rng.choice(t.WARRANTY_ASK)
    _ask(chat, (template,), intent, order, short=item.product.short, serial=item.serial_number)
    chat.gate()
    until = warranty_until(order, item)
    assert until is not None
    months = t.fa(item.warranty_months)
    if chat.clock >= until:
        chat.replies(
            f"متأسفانه گارانتی {months} ماهه «{item.product.title}» در {t.jalali(until)} به پایان رسیده است. "
            "می‌توانید از خدمات تعمیر پس از گارانتی استفاده کنید؛ هزینه پس از بررسی اعلام می‌شود."
        )
        chat.thank()
        return
    chat.replies(
        f"«{item.product.title}» با شماره سریال {item.serial_number} تا {t.jalali(until)} گارانتی {months} ماهه دارد ✅\n"
        "لطفاً مشکل کالا را کوتاه توضیح دهید."
    )
    chat.says(chat.rng.choice(t.FAULTS), "inform")
    age = now - chat.clock
    if age > timedelta(days=20):
        status = chat.rng.choice((WarrantyStatus.REPAIRED, WarrantyStatus.REPAIRED, WarrantyStatus.REPLACED))
    else:
        status = WarrantyStatus.IN_REPAIR if age > timedelta(days=3) else WarrantyStatus.SUBMITTED
    claim = WarrantyPlan(
        order, item, chat.plan.messages[-1].text or "", status, chat.clock.replace(microsecond=0)
    )
    chat.replies(t.FAULT_REGISTERED.format(ref=claim.reference))
    chat.plan.warranty_claim = claim
    chat.thank()


def ask_invoice(chat: Chat, order: OrderPlan) -> None:
    _ask(chat, t.INVOICE_ASK, "invoice_request", order)
    chat.gate()
    assert chat.customer is not None
    head = f"فاکتور رسمی سفارش {t.fa(order.number)} به مبلغ {t.toman(order.total)}"
    if chat.customer.email:
        chat.replies(f"{head} به ایمیل {t.mask_email(chat.customer.email)} ارسال شد 📄")
    else:
        chat.replies(f"{head} آماده است 📄\nدریافت فایل: {SHOP_URL}/invoice/{order.number}")
    chat.thank()


def ask_cancel(chat: Chat, order: OrderPlan) -> None:
    _ask(chat, t.CANCEL_ASK, "cancel_order", order)
    chat.gate()
    buttons = {
        "buttons": [{"title": "بله، لغو شود", "payload": "/affirm"}, {"title": "خیر", "payload": "/deny"}]
    }
    chat.replies(
        f"سفارش {t.fa(order.number)} به مبلغ {t.toman(order.total)} هنوز ارسال نشده. از لغو آن مطمئن هستید؟",
        buttons,
    )
    chat.says(chat.rng.choice(t.AFFIRM), "affirm")
    chat.replies(
        f"سفارش {t.fa(order.number)} لغو شد. اگر مبلغی پرداخت کرده باشید، ظرف ۷۲ ساعت کاری به حساب شما برمی‌گردد."
    )
    order.settled_at = chat.clock.replace(microsecond=0)
    chat.thank()


def complain(chat: Chat, order: OrderPlan) -> None:
    _ask(chat, t.COMPLAINT, "complaint", order)
    chat.gate()
    chat.hand_off(
        HandoffReason.COMPLAINT,
        "بابت این تأخیر واقعاً متأسفیم 🙏 گفتگو را به همکارانم در پشتیبانی می‌سپارم تا سفارش شما را پیگیری کنند. "
        "زمان تقریبی انتظار: ۱۵ دقیقه.",
    )


def ask_human(chat: Chat) -> None:
    chat.says(chat.rng.choice(t.HUMAN), "human_handoff", sure=(0.9, 0.99))
    chat.gate()
    chat.hand_off(
        HandoffReason.REQUESTED,
        "حتماً. گفتگو را به یکی از همکارانم می‌سپارم؛ زمان تقریبی انتظار ۱۰ دقیقه است 🙏",
    )


def fall_back(chat: Chat) -> None:
    first, second = chat.rng.choice(t.FALLBACK)
    chat.says(first, "nlu_fallback", sure=(0.18, 0.41))
    chat.replies("ببخشید، متوجه منظورتان نشدم 🤔 می‌توانید بیشتر توضیح دهید؟ مثلاً «سفارشم کجاست؟»")
    chat.says(second, "nlu_fallback", sure=(0.15, 0.38))
    chat.hand_off(
        HandoffReason.FALLBACK,
        "ببخشید که نتوانستم کمک کنم. گفتگو را به همکارانم در پشتیبانی می‌سپارم؛ به‌زودی پاسخ می‌دهند.",
    )


def chit_chat(chat: Chat) -> None:
    rng = chat.rng
    chat.says(rng.choice(t.GREET), "greet", sure=(0.9, 0.99))
    chat.replies("سلام! به پشتیبانی فروشگاه خوش آمدید 👋 چطور می‌توانم کمکتان کنم؟")
    if rng.random() < 0.5:
        chat.says(rng.choice(t.BOT_CHALLENGE), "bot_challenge")
        chat.replies(
            "من دستیار خودکار فروشگاه هستم 🤖 در پیگیری سفارش، مرجوعی، گارانتی و فاکتور کمکتان می‌کنم. "
            "هر وقت خواستید «اپراتور» را بنویسید تا به همکارانم وصل شوید."
        )
    chat.says(rng.choice(t.OUT_OF_SCOPE), "out_of_scope", sure=(0.55, 0.85))
    chat.replies(
        "درباره موجودی، قیمت و ساعت کاری فعلاً اطلاعی ندارم؛ لطفاً صفحه کالا را در سایت ببینید "
        f"({SHOP_URL}) یا «اپراتور» را بنویسید."
    )
    chat.says(rng.choice(t.GOODBYE), "goodbye")
    chat.replies("خداحافظ 👋")
