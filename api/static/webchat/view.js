// What the visitor sees: bubbles in message-id order, day separators, choice chips, CSAT stars.
import { day, dayKey, digits, full, richText, time } from "./format.js";

const STAR = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 2.6l2.9 6 6.6.8-4.9 4.5 1.3 6.5L12 17.1l-5.9 3.3 1.3-6.5-4.9-4.5 6.6-.8z"/></svg>';
const SCORE = /"score"\s*:\s*"?([1-5])/;

export class View {
  constructor(doc, { onChoose }) {
    this.doc = doc;
    this.log = doc.getElementById("log");
    this.welcome = doc.getElementById("welcome");
    this.typingEl = doc.getElementById("typing");
    this.banner = doc.getElementById("banner");
    this.presence = doc.getElementById("presence");
    this.presenceText = doc.getElementById("presence-text");
    this.onChoose = onChoose;
    this.byId = new Map();
    this.pending = new Map(); // client_id -> bubble not stored yet
    this.typingTimer = null;
  }

  // A stored message; false when it was shown already.
  message(frame) {
    if (this.byId.has(frame.id)) return false;
    const stick = this.nearBottom();
    let el = frame.client_id ? this.pending.get(frame.client_id) : null;
    if (el) {
      this.pending.delete(frame.client_id);
      el.classList.remove("pending", "failed");
      el.classList.add("sent");
      this.stamp(el, frame);
    } else {
      el = this.build(frame);
    }
    this.byId.set(frame.id, el);
    this.place(el, frame.id);
    this.refresh();
    if (stick || frame.direction === "in") this.scrollDown();
    return true;
  }

  // The customer's own message, before the server has stored it.
  outgoing(clientId, text, createdAt = new Date()) {
    if (this.pending.has(clientId)) return;
    const el = this.build({ direction: "in", sender: "customer", text, buttons: [], created_at: createdAt.toISOString() });
    el.classList.add("pending");
    el.dataset.client = clientId;
    this.pending.set(clientId, el);
    this.log.append(el);
    this.refresh();
    this.scrollDown();
  }

  acked(clientId, id) {
    const el = this.pending.get(clientId);
    if (!el) return;
    el.classList.remove("pending", "failed");
    el.classList.add("sent");
    if (id != null) {
      this.pending.delete(clientId);
      el.dataset.id = id;
      this.byId.set(id, el);
      this.place(el, id);
    }
  }

  failed(clientId) {
    const el = this.pending.get(clientId);
    if (el) {
      el.classList.remove("pending");
      el.classList.add("failed");
    }
  }

  forget(clientId) {
    const el = this.pending.get(clientId);
    if (el) el.remove();
    this.pending.delete(clientId);
    this.refresh();
  }

  note(text, alert = false) {
    const el = this.build({ direction: "out", sender: "system", text, buttons: [], created_at: new Date().toISOString() });
    el.classList.add("local");
    if (alert) el.setAttribute("role", "alert");
    this.log.append(el);
    this.refresh();
    this.scrollDown();
  }

  typing(on) {
    clearTimeout(this.typingTimer);
    this.typingEl.hidden = !on;
    if (on) {
      this.typingTimer = setTimeout(() => { this.typingEl.hidden = true; }, 30000);
      if (this.nearBottom(120)) this.scrollDown();
    }
  }

  setBanner(text) {
    this.banner.hidden = !text;
    this.banner.textContent = text || "";
  }

  setPresence(text, state) {
    this.presenceText.textContent = text;
    this.presenceText.title = text;
    this.presence.className = "presence " + (state || "");
  }

  // -- building ------------------------------------------------------------------------------------

  build(frame) {
    const el = this.doc.createElement("div");
    const who = frame.direction === "in" ? "in" : "out";
    el.className = `msg ${who} ${frame.sender || ""}`;
    if (frame.id != null) el.dataset.id = frame.id;
    if (frame.sender === "agent") {
      const label = this.doc.createElement("div");
      label.className = "label";
      label.textContent = frame.agent ? `${frame.agent} · همکار پشتیبانی` : "همکار پشتیبانی";
      el.append(label);
    }
    if (frame.text) {
      const bubble = this.doc.createElement("div");
      bubble.className = "bubble";
      bubble.dir = "auto";
      bubble.append(richText(frame.text));
      el.append(bubble);
    }
    if (frame.csat) el.append(...this.stars(frame.buttons || []));
    else if (frame.buttons && frame.buttons.length) el.append(this.chips(frame.buttons));
    const meta = this.doc.createElement("div");
    meta.className = "meta";
    meta.append(this.doc.createElement("time"));
    if (who === "in") {
      const state = this.doc.createElement("span");
      state.className = "state";
      meta.append(state);
    }
    el.append(meta);
    this.stamp(el, frame);
    return el;
  }

  stamp(el, frame) {
    const at = new Date(frame.created_at);
    const t = el.querySelector(".meta time");
    t.dateTime = frame.created_at;
    t.textContent = time(at);
    t.title = full(at);
    el.dataset.day = dayKey(at);
    el.dataset.dayLabel = day(at);
    if (frame.id != null) el.dataset.id = frame.id;
  }

  chips(buttons) {
    const box = this.doc.createElement("div");
    box.className = "chips";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "گزینه‌ها");
    for (const button of buttons) {
      const chip = this.doc.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.dir = "auto";
      chip.textContent = button.title;
      chip.addEventListener("click", () => {
        chip.classList.add("chosen");
        this.onChoose(button);
      });
      box.append(chip);
    }
    return box;
  }

  stars(buttons) {
    const box = this.doc.createElement("div");
    box.className = "chips stars";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "امتیاز شما از ۱ تا ۵");
    const hint = this.doc.createElement("p");
    hint.className = "stars-hint";
    hint.textContent = "از ۱ تا ۵ ستاره امتیاز دهید";
    const byScore = new Map();
    for (const b of buttons) {
      const m = SCORE.exec(b.payload || "");
      if (m) byScore.set(Number(m[1]), b);
    }
    const stars = [];
    const light = (n) => stars.forEach((s, i) => s.classList.toggle("lit", i < n));
    for (let score = 1; score <= 5; score++) {
      const button = byScore.get(score) || { title: `${digits(score)} ستاره`, payload: `/csat{"score":"${score}"}` };
      const star = this.doc.createElement("button");
      star.type = "button";
      star.className = "star";
      star.innerHTML = STAR;
      star.setAttribute("aria-label", `${digits(score)} از ۵ — ${button.title}`);
      star.title = button.title;
      star.addEventListener("mouseenter", () => light(score));
      star.addEventListener("focus", () => light(score));
      star.addEventListener("click", () => {
        box.dataset.score = score;
        light(score);
        hint.textContent = `امتیاز شما: ${digits(score)} از ۵`;
        this.onChoose({ title: `${"★".repeat(score)} ${button.title}`, payload: button.payload });
      });
      stars.push(star);
      box.append(star);
    }
    box.addEventListener("mouseleave", () => light(Number(box.dataset.score || 0)));
    return [box, hint];
  }

  // -- order and state -----------------------------------------------------------------------------

  // Keep stored messages in id order, before the bubbles still being sent.
  place(el, id) {
    let before = null;
    for (const other of this.log.querySelectorAll(".msg")) {
      if (other === el) continue;
      const otherId = other.dataset.id ? Number(other.dataset.id) : Infinity;
      if (otherId > id) { before = other; break; }
    }
    if (before) this.log.insertBefore(el, before);
    else if (el.parentNode !== this.log || el.nextElementSibling) this.log.append(el);
  }

  // Day separators, and choices that can be used: only those after the customer's last message.
  refresh() {
    this.log.querySelectorAll(".day").forEach((d) => d.remove());
    const all = [...this.log.querySelectorAll(".msg")];
    this.welcome.hidden = all.length > 0;
    let previous = null;
    let lastIn = -1;
    all.forEach((el, index) => {
      if (el.dataset.day && el.dataset.day !== previous) {
        const sep = this.doc.createElement("div");
        sep.className = "day";
        sep.setAttribute("role", "separator");
        sep.textContent = el.dataset.dayLabel;
        this.log.insertBefore(sep, el);
        previous = el.dataset.day;
      }
      if (el.classList.contains("in")) lastIn = index;
    });
    // Only the newest set of choices, and only while the customer has not written since.
    let live = -1;
    all.forEach((el, index) => { if (index > lastIn && el.querySelector(".chip, .star")) live = index; });
    all.forEach((el, index) => {
      el.querySelectorAll(".chip, .star").forEach((b) => { b.disabled = index !== live; });
    });
  }

  lastId() {
    let max = null;
    for (const id of this.byId.keys()) if (max === null || id > max) max = id;
    return max;
  }

  nearBottom(slack = 80) {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < slack;
  }

  scrollDown() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
