// A conversation: one timeline of every message on every channel of the customer (with the bot's
// understanding and each reply's delivery state), the handoff reason, and the agent's actions.
"use strict";

(() => {
  const { api, el, fill, fa, when, clock, channelBadge, reason, toast } = P;
  const root = document.getElementById("conversation");
  const id = Number(root.dataset.conversationId);
  const me = Number(document.body.dataset.agentId);
  const admin = document.body.dataset.role === "admin";
  const DELIVERY = { pending: "در صف ارسال", sent: "✓ ارسال شد", failed: "✗ ارسال نشد", received: "" };
  const SENDERS = { customer: "مشتری", bot: "ربات", system: "سامانه" };
  let detail = null;
  let agentNames = {};
  let pollTimer = null;

  // The first read opens the page (audited); later ones (after events and actions) only refresh it.
  async function loadDetail() {
    try {
      detail = await api("GET", "/api/v1/conversations/" + id + (detail ? "?refresh=1" : ""));
    } catch (e) {
      if (e.status === 403 || e.status === 404) {
        toast(e.message, "error");
        setTimeout(() => { location.href = "/console"; }, 1500);
        return false;
      }
      throw e;
    }
    renderHead();
    Customer360.render(detail.customer);
    return true;
  }

  function renderHead() {
    const c = detail.conversation;
    const profile = detail.customer.profile;
    document.getElementById("customer-name").textContent = profile.name || "مشتری بی‌نام";
    document.title = (profile.name || "گفتگو") + " — پیشخوان";
    const holder = c.assignee_id ? (c.assignee_id === me ? "شما" : agentNames[c.assignee_id] || "همکار") : null;
    fill(document.getElementById("thread-meta"),
      channelBadge(c.channel), " ",
      el("span", { class: "badge status st-" + c.status, id: "status" }, P.STATUS[c.status] || c.status),
      holder ? el("span", { class: "muted" }, " · با " + holder) : null,
      el("span", { class: "muted" }, " · شروع " + when(c.created_at)));
    const banner = document.getElementById("handoff-banner");
    banner.hidden = !c.handoff_at;
    if (c.handoff_at) {
      banner.textContent = "دلیل واگذاری: " + reason(c.handoff_reason) + " — " + when(c.handoff_at);
    }
    const mine = c.status === "open" && c.assignee_id === me;
    const owner = mine || (admin && c.status === "open");
    document.getElementById("claim").hidden = !(c.status === "pending" || (admin && c.status === "bot"));
    document.getElementById("transfer-form").hidden = !owner || !detail.agents.length;
    document.getElementById("release").hidden = !(owner || (admin && c.status === "pending"));
    document.getElementById("resolve").hidden = !(owner || (admin && c.status === "pending"));
    document.getElementById("reply-form").hidden = !detail.can_reply;
    const closed = document.getElementById("reply-closed");
    closed.hidden = detail.can_reply;
    closed.textContent = c.status === "resolved" ? "این گفتگو بسته شده و پرسش رضایت برای مشتری فرستاده شده است."
      : c.status === "pending" ? "برای پاسخ دادن، گفتگو را بردارید."
        : c.status === "open" ? "این گفتگو با همکار دیگری است." : "این گفتگو با ربات است.";
    fill(document.getElementById("transfer-to"),
      detail.agents.map((a) => el("option", { value: a.id }, a.name + (a.role === "admin" ? " (مدیر)" : ""))));
  }

  function messageItem(m) {
    const out = m.direction === "out";
    const who = m.sender === "agent" ? (m.agent_id === me ? "شما" : agentNames[m.agent_id] || "کارشناس")
      : SENDERS[m.sender] || m.sender;
    const buttons = m.payload && Array.isArray(m.payload.buttons) ? m.payload.buttons : [];
    const understood = !out && m.intent
      ? el("div", { class: "nlu", title: "برداشت ربات از این پیام" }, "برداشت ربات: ",
        el("code", { dir: "ltr" }, m.intent),
        m.confidence !== null ? " · " + fa(Math.round(m.confidence * 100)) + "٪" : "")
      : null;
    const delivery = out && DELIVERY[m.delivery_status]
      ? el("div", { class: "delivery d-" + m.delivery_status, title: m.delivery_error || "" },
        DELIVERY[m.delivery_status], m.delivery_error ? ": " + m.delivery_error : "")
      : null;
    return el("li", {
      class: ["msg", out ? "out" : "in", "s-" + m.sender, m.conversation_id === id ? "" : "other-thread"].join(" "),
      dataset: { messageId: m.id, channel: m.channel },
    },
    el("div", { class: "msg-head" }, channelBadge(m.channel), " ", el("strong", {}, who),
      el("time", { datetime: m.created_at, title: when(m.created_at) }, clock(m.created_at))),
    m.text ? el("div", { class: "msg-text", dir: "auto" }, m.text) : null, // Finglish or a payload reads LTR
    buttons.length ? el("div", { class: "chips" }, buttons.map((b) => el("span", { class: "chip" }, b.title))) : null,
    understood, delivery);
  }

  function markers(messages) {
    const first = messages.length ? messages[0].created_at : null;
    return detail.customer.conversations
      .filter((c) => c.handoff_at && (!first || c.handoff_at >= first))
      .map((c) => ({ at: c.handoff_at, node: el("li", { class: "marker" },
        channelBadge(c.channel), " واگذاری به کارشناس — " + reason(c.handoff_reason) + " — " + when(c.handoff_at)) }));
  }

  async function loadTimeline() {
    if (!detail) return;
    const box = document.getElementById("timeline");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80 || !box.childElementCount;
    const data = await api("GET", "/api/v1/customers/" + detail.conversation.customer_id + "/timeline?limit=500");
    const items = data.messages.map((m) => ({ at: m.created_at, node: messageItem(m) }))
      .concat(markers(data.messages))
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    fill(box, items.length ? items.map((i) => i.node) : el("li", { class: "muted" }, "پیامی نیست."));
    if (atBottom) box.scrollTop = box.scrollHeight;
    // Delivery states change in the outbox sender; look again shortly while a reply is on its way.
    clearTimeout(pollTimer);
    if (data.messages.some((m) => m.direction === "out" && m.delivery_status === "pending")) {
      pollTimer = setTimeout(loadTimeline, 3000);
    }
  }

  async function loadCanned() {
    const list = await api("GET", "/api/v1/canned-responses?conversation_id=" + id);
    const select = document.getElementById("canned");
    fill(select, el("option", { value: "" }, list.length ? "— انتخاب —" : "— پاسخ آماده‌ای نیست —"),
      list.map((c) => el("option", { value: c.filled || c.text }, c.title + " (" + c.shortcut + ")")));
  }

  async function refresh() {
    try {
      if (await loadDetail()) await loadTimeline();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  async function act(button, method, url, body, done) {
    if (button) button.disabled = true;
    try {
      const result = await api(method, url, body);
      if (done) done(result);
      await refresh();
    } catch (e) {
      toast(e.message, "error");
      await refresh();
    } finally {
      if (button) button.disabled = false;
    }
  }

  function wire() {
    const base = "/api/v1/conversations/" + id;
    document.getElementById("claim").addEventListener("click", (e) =>
      act(e.currentTarget, "POST", "/api/v1/handoffs/" + id + "/claim", undefined,
        () => toast("گفتگو را برداشتید.")));
    document.getElementById("release").addEventListener("click", (e) => {
      if (!confirm("گفتگو به ربات برگردد؟")) return;
      act(e.currentTarget, "POST", base + "/release", undefined, () => {
        toast("گفتگو به ربات برگشت.");
        setTimeout(() => { location.href = "/console"; }, 1200);
      });
    });
    document.getElementById("resolve").addEventListener("click", (e) => {
      if (!confirm("گفتگو بسته شود و پرسش رضایت برای مشتری فرستاده شود؟")) return;
      act(e.currentTarget, "POST", base + "/resolve", undefined,
        () => toast("گفتگو بسته شد و پرسش رضایت فرستاده شد."));
    });
    document.getElementById("transfer-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const to = Number(document.getElementById("transfer-to").value);
      act(e.submitter, "POST", base + "/transfer", { agent_id: to },
        () => toast("گفتگو به " + (agentNames[to] || "همکار") + " سپرده شد."));
    });
    const reply = document.getElementById("reply-form");
    const text = document.getElementById("reply-text");
    reply.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!text.value.trim()) return;
      act(reply.querySelector("button"), "POST", base + "/messages", { text: text.value }, () => { text.value = ""; });
    });
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) reply.requestSubmit();
    });
    document.getElementById("canned").addEventListener("change", (e) => {
      if (!e.target.value) return;
      text.value = text.value ? text.value + "\n" + e.target.value : e.target.value;
      e.target.value = "";
      text.focus();
    });
    const note = document.getElementById("note-form");
    note.addEventListener("submit", (e) => {
      e.preventDefault();
      const field = document.getElementById("note-text");
      if (!field.value.trim()) return;
      act(note.querySelector("button"), "POST", base + "/notes", { text: field.value }, () => { field.value = ""; });
    });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    wire();
    try {
      const agents = await api("GET", "/api/v1/agents");
      agentNames = Object.fromEntries(agents.map((a) => [a.id, a.name]));
    } catch (e) {
      toast(e.message, "error");
    }
    await refresh();
    loadCanned().catch((e) => toast(e.message, "error"));
    const later = P.debounce(refresh, 200);
    P.live((event) => {
      if (event.conversation_id === id || (detail && event.customer_id === detail.conversation.customer_id)) later();
    }, refresh);
  });
})();
