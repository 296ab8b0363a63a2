// The customer 360 beside a conversation: profile, identities per channel, orders with shipments,
// returns and warranty claims, CSAT history and private notes. Rendering only; conversation.js loads.
"use strict";

const Customer360 = (() => {
  const { el, fill, fa, day, when, channelBadge } = P;
  const MONEY = new Intl.NumberFormat("fa-IR");
  const ORDER_STATUS = {
    pending_payment: "در انتظار پرداخت", paid: "پرداخت‌شده", processing: "در حال آماده‌سازی",
    shipped: "ارسال‌شده", delivered: "تحویل‌شده", cancelled: "لغوشده", returned: "مرجوع‌شده",
  };
  const RETURN_STATUS = {
    requested: "ثبت‌شده", approved: "تأییدشده", rejected: "ردشده", received: "دریافت‌شده", refunded: "بازپرداخت‌شده",
  };
  const WARRANTY_STATUS = {
    submitted: "ثبت‌شده", in_repair: "در تعمیر", repaired: "تعمیرشده", replaced: "تعویض‌شده", rejected: "ردشده",
  };
  const METHODS = {
    telegram_contact: "شمارهٔ تلگرام", sms_otp: "کد پیامکی", shop_token: "ورود در سایت", order_phone: "سفارش و تلفن",
    agent: "کارشناس", shop_data: "دادهٔ فروشگاه",
  };

  function fact(label, value, ltr) {
    if (!value) return [];
    return [el("dt", {}, label), el("dd", {}, ltr ? el("bdi", { dir: "auto" }, value) : value)];
  }

  function profile(view) {
    const p = view.profile;
    const box = document.getElementById("profile");
    if (p.erased_at) {
      fill(box, el("dt", {}, "وضعیت"), el("dd", {}, "داده‌های این مشتری پاک شده است"));
      return;
    }
    fill(box,
      fact("نام", p.name || "ثبت نشده"),
      fact("تلفن", p.phone && fa(p.phone), true),
      fact("ایمیل", p.email, true),
      fact("کارت باشگاه", p.loyalty_card && fa(p.loyalty_card), true),
      fact("کانال ترجیحی", p.preferred_channel && (P.CHANNELS[p.preferred_channel] || p.preferred_channel)),
      fact("مشتری از", day(p.created_at)),
      fact("شناسه", fa(p.id)));
  }

  function identities(view) {
    fill(document.getElementById("identities"), view.identities.map((i) => el("li", {},
      channelBadge(i.channel), " ",
      el("bdi", { class: "ident", dir: "auto" }, i.channel === "phone" ? fa(i.external_id) : i.display_name || i.external_id), " ",
      i.verified
        ? el("span", { class: "ok", title: METHODS[i.method] || i.method || "" }, "✓ تأییدشده")
        : el("span", { class: "muted" }, "تأییدنشده"))));
  }

  function shipment(s) {
    if (!s) return null;
    const last = s.events.length ? s.events[s.events.length - 1] : null;
    return el("div", { class: "shipment" },
      s.carrier, s.tracking_code ? [" · کد رهگیری ", el("bdi", { dir: "auto" }, fa(s.tracking_code))] : null,
      last ? el("div", { class: "muted" }, (last.description || last.status) + " — " + when(last.at)) : null);
  }

  function orders(view) {
    const box = document.getElementById("orders");
    if (!view.orders.length) {
      fill(box, el("p", { class: "muted" }, "سفارشی ندارد."));
      return;
    }
    fill(box, view.orders.map((o) => el("details", { class: "order" },
      el("summary", {},
        el("strong", {}, "سفارش " + fa(o.number)), " · ", ORDER_STATUS[o.status] || o.status,
        el("span", { class: "muted" }, " · " + day(o.placed_at))),
      el("div", {}, "مبلغ: " + MONEY.format(o.total) + " تومان"),
      el("ul", { class: "plain items" }, o.items.map((i) => el("li", {},
        i.title + " × " + fa(i.quantity),
        i.serial_number ? el("div", { class: "muted" }, "سریال: ", el("bdi", { dir: "auto" }, i.serial_number)) : null))),
      shipment(o.shipment))));
    const first = box.querySelector("details");
    if (first) first.open = true;
  }

  function cases(view) {
    const items = [
      ...view.returns.map((r) => el("li", {}, "مرجوعی " + fa(r.reference) + " · سفارش " + fa(r.order_number) +
        " · " + r.item_title + " · " + (RETURN_STATUS[r.status] || r.status))),
      ...view.warranty_claims.map((w) => el("li", {}, "گارانتی " + fa(w.reference) + " · " + w.item_title +
        " · " + (WARRANTY_STATUS[w.status] || w.status))),
    ];
    fill(document.getElementById("cases"), items.length ? items : el("li", { class: "muted" }, "موردی نیست."));
  }

  function csat(view) {
    fill(document.getElementById("csat"), view.csat.length
      ? view.csat.map((c) => el("li", {}, el("span", { class: "stars" }, "★".repeat(c.score) + "☆".repeat(5 - c.score)),
        " " + fa(c.score) + " از ۵ · " + day(c.created_at), c.comment ? el("div", { class: "muted" }, c.comment) : null))
      : el("li", { class: "muted" }, "هنوز امتیازی نداده است."));
  }

  function notes(view) {
    fill(document.getElementById("notes"), view.notes.length
      ? view.notes.map((n) => el("li", {}, el("div", { class: "note-text", dir: "auto" }, n.text),
        el("div", { class: "muted" }, n.agent_name + " · " + when(n.created_at))))
      : el("li", { class: "muted" }, "یادداشتی نیست."));
  }

  function render(view) {
    profile(view);
    identities(view);
    orders(view);
    cases(view);
    csat(view);
    notes(view);
  }

  return { render };
})();
