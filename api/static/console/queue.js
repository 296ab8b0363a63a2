// The queue: conversations waiting for a person (oldest first), live through the event stream, and
// the agent's own open conversations. Claiming opens the conversation; losing a race says who won.
"use strict";

(() => {
  const { api, el, fill, fa, since, when, channelBadge, reason, toast } = P;
  const admin = document.body.dataset.role === "admin";

  function row(item, pending) {
    const open = el("a", { href: "/console/conversations/" + item.conversation_id }, "باز کردن");
    const action = pending
      ? el("button", { type: "button", class: "primary small", onclick: () => claim(item.conversation_id) },
        "برداشتن")
      : open;
    return el("tr", { dataset: { conversationId: item.conversation_id, handoffAt: item.handoff_at || "" } },
      el("td", {}, channelBadge(item.channel)),
      el("td", { class: "name" }, item.customer_name || "مشتری بی‌نام"),
      el("td", {}, reason(item.reason)),
      el("td", { class: "snippet", title: item.last_customer_message || "" },
        item.last_customer_message ? el("bdi", { dir: "auto" }, item.last_customer_message) : "—"),
      el("td", { class: pending ? "waiting" : "nowrap" },
        pending ? since(item.handoff_at) : when(item.last_customer_at)),
      el("td", { class: "nowrap" }, action));
  }

  async function load() {
    try {
      const [pending, open] = await Promise.all([
        api("GET", "/api/v1/handoffs"),
        api("GET", "/api/v1/handoffs?status=open"),
      ]);
      fill(document.querySelector("#pending tbody"), pending.map((item) => row(item, true)));
      fill(document.querySelector("#open tbody"), open.map((item) => row(item, false)));
      document.getElementById("pending-count").textContent = fa(pending.length);
      document.getElementById("pending-empty").hidden = pending.length > 0;
      document.getElementById("open-empty").hidden = open.length > 0;
      document.title = (pending.length ? "(" + fa(pending.length) + ") " : "") + "صف گفتگوها — پیشخوان";
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function claim(id) {
    try {
      await api("POST", "/api/v1/handoffs/" + id + "/claim");
      location.href = "/console/conversations/" + id;
    } catch (e) {
      toast(e.message, "error");
      load();
    }
  }

  // Waiting times tick locally; the data itself changes only on events.
  function tick() {
    for (const tr of document.querySelectorAll("#pending tbody tr")) {
      const cell = tr.querySelector(".waiting");
      if (cell && tr.dataset.handoffAt) cell.textContent = since(tr.dataset.handoffAt);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (admin) document.getElementById("open-title").textContent = "گفتگوهای باز (همهٔ کارشناسان)";
    load();
    const refresh = P.debounce(load, 250);
    P.live(refresh, load);
    setInterval(tick, 30000);
    setInterval(load, 120000); // a safety net should an event be lost
  });
})();
