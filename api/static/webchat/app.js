// The chat panel: ties the socket to the view, keeps the visitor token and unsent messages across
// page loads, and talks to the loader on the shop's page (open, close, unread count, token copy).
import { Connection } from "./connection.js";
import { View } from "./view.js";

const params = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, "", location.pathname + location.search); // the token stays out of the URL
const config = {
  origin: params.get("origin") || "",
  key: params.get("key") || "anon",
  title: params.get("title"),
  shopUser: params.get("shop_user"),
  identityHash: params.get("identity_hash"),
  token: params.get("token"),
  anonToken: params.get("anon_token"),
};
const embedded = window.parent !== window;
const doc = document;
const input = doc.getElementById("input");
const form = doc.getElementById("composer");
const closeButton = doc.getElementById("close");
let isOpen = !embedded;
let unread = 0;
let firstSync = true;
let sentToken = null;
let lastTypingAt = 0;

// -- storage (localStorage in the iframe; the loader keeps a first-party copy of the token) ----------
const store = {
  get(name) { try { return localStorage.getItem(`pishkhan.${name}`); } catch (e) { return null; } },
  set(name, value) {
    try {
      if (value == null) localStorage.removeItem(`pishkhan.${name}`);
      else localStorage.setItem(`pishkhan.${name}`, value);
    } catch (e) { /* blocked storage: this page load still works */ }
  },
};
const outbox = new Map(JSON.parse(store.get(`outbox.${config.key}`) || "[]"));
function saveOutbox() {
  store.set(`outbox.${config.key}`, outbox.size ? JSON.stringify([...outbox]) : null);
}
function anonToken() {
  return store.get("token.anon") || config.anonToken;
}
function currentToken() {
  return store.get(`token.${config.key}`) || config.token || (config.shopUser ? anonToken() : null);
}
function toParent(message) {
  if (embedded && config.origin) window.parent.postMessage(message, config.origin);
}

// -- the view and the socket ---------------------------------------------------------------------------
const view = new View(doc, { onChoose: (button) => submit(button.payload, button.title) });
if (config.title) doc.getElementById("title").textContent = config.title;

const connection = new Connection(new URL("ws", location.href).href.replace(/^http/, "ws"), {
  hello: () => {
    sentToken = currentToken();
    return { type: "hello", token: sentToken, shop_user: config.shopUser, identity_hash: config.identityHash };
  },
  lastId: () => (firstSync ? null : view.lastId() ?? 0),
  onFrame: handle,
  onState: (state, detail) => {
    doc.body.dataset.state = state;
    if (state === "online") view.setBanner("");
    else if (state === "offline") {
      view.setBanner(navigator.onLine ? "اتصال قطع شد؛ دوباره وصل می‌شویم…" : "اینترنت در دسترس نیست؛ پس از اتصال، پیام‌ها می‌رسند.");
      view.typing(false);
    }
  },
});

function handle(frame) {
  switch (frame.type) {
    case "session": return onSession(frame);
    case "message": return onMessage(frame);
    case "ack":
      outbox.delete(frame.client_id);
      saveOutbox();
      return view.acked(frame.client_id, frame.id);
    case "received": return view.acked(frame.client_id, null);
    case "typing": return view.typing(frame.on);
    case "status": return presence(frame.status);
    case "synced": return onSynced();
    case "error": return onError(frame);
    default: return undefined;
  }
}

let session = null;
function onSession(frame) {
  if (frame.new && sentToken) {  // the server started a new visitor (logged out, or another user)
    outbox.clear();
    saveOutbox();
  }
  session = frame;
  store.set(`token.${config.key}`, frame.token);
  toParent({ pishkhan: "token", key: config.key, token: frame.token });
  if (config.shopUser && frame.verified && !frame.new && sentToken && sentToken === anonToken()) {
    store.set("token.anon", null);  // the anonymous chat is this customer's now
    toParent({ pishkhan: "token", key: config.key, token: frame.token, forget: "anon" });
  }
  presence(frame.status);
}

function presence(status) {
  if (!session) return;
  if (status === "pending" || status === "open") {
    view.setPresence(status === "open" ? "یکی از همکاران پشتیبانی پاسخ می‌دهد" : "در انتظار همکار پشتیبانی…", "online");
    return;
  }
  const state = session.online ? "online" : "away";
  if (session.verified) view.setPresence(`حساب شما شناخته شد · ${session.online ? "آنلاین" : "پاسخ خودکار"}`, state);
  else view.setPresence(session.online ? "همکاران پشتیبانی آنلاین‌اند" : "پاسخ خودکار؛ همکاران در ساعت کاری", state);
}

function onMessage(frame) {
  if (frame.client_id && outbox.delete(frame.client_id)) saveOutbox();
  const added = view.message(frame);
  if (added && !firstSync && frame.direction === "out" && !isOpen) {
    unread += 1;
    toParent({ pishkhan: "unread", count: unread });
  }
}

function onSynced() {
  firstSync = false;
  for (const [clientId, entry] of outbox) {  // sent while offline, or never acknowledged: send again
    view.outgoing(clientId, entry.title || entry.text, new Date(entry.at));
    connection.send({ type: "message", client_id: clientId, text: entry.text, title: entry.title || undefined });
  }
}

function onError(frame) {
  if (frame.client_id) {
    outbox.delete(frame.client_id);
    saveOutbox();
    view.failed(frame.client_id);
  }
  view.note(frame.text || "خطایی رخ داد.", true);
}

// -- sending -----------------------------------------------------------------------------------------
function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "c" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function submit(text, title) {
  const clean = text.trim();
  if (!clean) return;
  const clientId = newClientId();
  outbox.set(clientId, { text: clean, title: title || null, at: Date.now() });
  saveOutbox();
  view.outgoing(clientId, title || clean);
  if (connection.ready) connection.send({ type: "message", client_id: clientId, text: clean, title: title || undefined });
  else connection.start();  // sent once the socket has synced
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  grow();
  submit(text);
  input.focus();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
input.addEventListener("input", () => {
  grow();
  const now = Date.now();
  if (connection.ready && input.value.trim() && now - lastTypingAt > 2000) {
    lastTypingAt = now;
    connection.send({ type: "typing", on: true });
  }
});
function grow() {
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
}

// -- the loader on the shop's page ---------------------------------------------------------------------
function opened() {
  isOpen = true;
  unread = 0;
  toParent({ pishkhan: "unread", count: 0 });
  connection.start();
  setTimeout(() => input.focus({ preventScroll: true }), 30);
}
window.addEventListener("message", (event) => {
  if (!embedded || event.source !== window.parent || (config.origin && event.origin !== config.origin)) return;
  const what = event.data && event.data.pishkhan;
  if (what === "open") opened();
  else if (what === "close") isOpen = false;
});
doc.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && embedded) toParent({ pishkhan: "close" });
});
if (embedded) {
  closeButton.hidden = false;
  closeButton.addEventListener("click", () => toParent({ pishkhan: "close" }));
}

doc.body.dataset.state = "idle";
if (!embedded || currentToken() || outbox.size) connection.start();  // a returning visitor: show history, count unread
if (!embedded) opened();
toParent({ pishkhan: "ready" });
