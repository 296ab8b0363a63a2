// Admin: agents (add, deactivate), canned responses (add, edit, delete), a customer's data export and
// erasure, and the audit log.
"use strict";

(() => {
  const { api, el, fill, fa, when, toast } = P;
  const ROLES = { agent: "کارشناس", admin: "مدیر" };
  const ACTIONS = {
    "customer.viewed": "دیدن صفحهٔ مشتری", "conversation.claimed": "برداشتن گفتگو",
    "conversation.transferred": "انتقال گفتگو", "conversation.release": "بازگرداندن به ربات",
    "conversation.resolved": "بستن گفتگو", "conversation.handoff": "واگذاری به کارشناس",
    "agent.login": "ورود", "agent.logout": "خروج", "agent.created": "افزودن کارشناس",
    "agent.deactivated": "غیرفعال‌کردن کارشناس", "agent.activated": "فعال‌کردن کارشناس",
    "canned.created": "افزودن پاسخ آماده", "canned.updated": "ویرایش پاسخ آماده", "canned.deleted": "حذف پاسخ آماده",
    "privacy.export.by_agent": "دریافت داده‌های مشتری", "privacy.erased.by_agent": "پاک‌کردن داده‌های مشتری",
  };
  const me = Number(document.body.dataset.agentId);
  let oldestAudit = null;
  let canned = [];

  async function guarded(fn) {
    try {
      await fn();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function loadAgents() {
    const agents = await api("GET", "/api/v1/agents");
    fill(document.getElementById("agents"),
      el("thead", {}, el("tr", {}, ["نام", "ایمیل", "نقش", "آخرین ورود", "وضعیت", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, agents.map((a) => el("tr", {},
        el("td", {}, a.name), el("td", {}, el("bdi", { dir: "auto" }, a.email)), el("td", {}, ROLES[a.role] || a.role),
        el("td", {}, when(a.last_login_at)), el("td", {}, a.active ? "فعال" : "غیرفعال"),
        el("td", {}, a.id === me ? "" : el("button", {
          type: "button", class: "small" + (a.active ? " danger" : ""),
          onclick: () => guarded(async () => {
            await api("POST", "/api/v1/agents/" + a.id + (a.active ? "/deactivate" : "/activate"));
            await loadAgents();
          }),
        }, a.active ? "غیرفعال‌کردن" : "فعال‌کردن"))))));
  }

  async function loadCanned() {
    canned = await api("GET", "/api/v1/canned-responses");
    fill(document.getElementById("canned"),
      el("thead", {}, el("tr", {}, ["میان‌بر", "عنوان", "متن", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, canned.map((c) => el("tr", {},
        el("td", {}, el("bdi", { dir: "auto" }, c.shortcut)), el("td", {}, c.title), el("td", { class: "snippet" }, c.text),
        el("td", { class: "nowrap" },
          el("button", { type: "button", class: "small", onclick: () => editCanned(c) }, "ویرایش"), " ",
          el("button", {
            type: "button", class: "small danger",
            onclick: () => guarded(async () => {
              if (!confirm("پاسخ «" + c.title + "» حذف شود؟")) return;
              await api("DELETE", "/api/v1/canned-responses/" + c.id);
              await loadCanned();
            }),
          }, "حذف"))))));
  }

  function editCanned(c) {
    document.getElementById("canned-id").value = c ? c.id : "";
    document.getElementById("canned-shortcut").value = c ? c.shortcut : "";
    document.getElementById("canned-title").value = c ? c.title : "";
    document.getElementById("canned-text").value = c ? c.text : "";
    document.getElementById("canned-submit").textContent = c ? "ذخیرهٔ تغییرات" : "افزودن پاسخ";
    document.getElementById("canned-cancel").hidden = !c;
  }

  async function loadAudit(more) {
    const query = "/api/v1/audit?limit=50" + (more && oldestAudit ? "&before_id=" + oldestAudit : "");
    const rows = await api("GET", query);
    const table = document.getElementById("audit");
    if (!more || !table.tBodies.length) {
      fill(table, el("thead", {}, el("tr", {}, ["زمان", "کننده", "کار", "موضوع", "جزئیات"].map((h) => el("th", {}, h)))),
        el("tbody"));
    }
    P.append(table.tBodies[0], rows.map((r) => el("tr", {},
      el("td", { class: "nowrap" }, when(r.created_at)),
      el("td", {}, r.actor_type === "agent" ? "کارشناس " + fa(r.actor_id || "") : r.actor_type),
      el("td", {}, ACTIONS[r.action] || r.action),
      el("td", {}, el("bdi", { dir: "auto" }, r.subject_type + " " + (r.subject_id || ""))),
      el("td", { class: "snippet" }, r.detail ? el("bdi", { dir: "auto" }, JSON.stringify(r.detail)) : ""))));
    if (rows.length) oldestAudit = rows[rows.length - 1].id;
    document.getElementById("audit-more").hidden = rows.length < 50;
  }

  function customerId() {
    const raw = document.getElementById("privacy-customer").value.trim().replace(/[۰-۹]/g, (d) => "۰۱۲۳۴۵۶۷۸۹".indexOf(d));
    if (!/^[1-9][0-9]*$/.test(raw)) throw new Error("شناسهٔ مشتری را درست وارد کنید.");
    return raw;
  }

  async function exportCustomer() {
    const id = customerId();
    const response = await fetch("/api/v1/customers/" + id + "/export", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
    });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      throw new Error(data.detail || "دریافت داده‌ها ممکن نشد.");
    }
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "customer-" + id + ".json" });
    document.body.append(link);
    link.click();
    link.remove();
    await loadAudit(false);
  }

  async function eraseCustomer() {
    const id = customerId();
    if (!confirm("همهٔ داده‌های شخصی مشتری " + fa(id) + " برای همیشه پاک شود؟ این کار برگشت‌پذیر نیست.")) return;
    await api("POST", "/api/v1/customers/" + id + "/erase", { confirm: true });
    toast("داده‌های مشتری پاک شد.");
    await loadAudit(false);
  }

  document.addEventListener("DOMContentLoaded", () => {
    guarded(loadAgents);
    guarded(loadCanned);
    guarded(() => loadAudit(false));
    document.getElementById("agent-form").addEventListener("submit", (e) => {
      e.preventDefault();
      guarded(async () => {
        await api("POST", "/api/v1/agents", {
          name: document.getElementById("agent-name").value.trim(),
          email: document.getElementById("agent-email").value.trim(),
          password: document.getElementById("agent-password").value,
          role: document.getElementById("agent-role").value,
        });
        e.target.reset();
        toast("کارشناس افزوده شد.");
        await loadAgents();
      });
    });
    document.getElementById("canned-form").addEventListener("submit", (e) => {
      e.preventDefault();
      guarded(async () => {
        const id = document.getElementById("canned-id").value;
        const body = {
          shortcut: document.getElementById("canned-shortcut").value.trim(),
          title: document.getElementById("canned-title").value.trim(),
          text: document.getElementById("canned-text").value,
        };
        await api(id ? "PUT" : "POST", "/api/v1/canned-responses" + (id ? "/" + id : ""), body);
        editCanned(null);
        await loadCanned();
      });
    });
    document.getElementById("canned-cancel").addEventListener("click", () => editCanned(null));
    document.getElementById("audit-more").addEventListener("click", () => guarded(() => loadAudit(true)));
    document.getElementById("export").addEventListener("click", () => guarded(exportCustomer));
    document.getElementById("erase").addEventListener("click", () => guarded(eraseCustomer));
  });
})();
