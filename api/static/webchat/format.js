// Persian formatting for the chat: Jalali dates and times with Persian digits, and safe links.

const TIME = new Intl.DateTimeFormat("fa-IR-u-ca-persian", { hour: "2-digit", minute: "2-digit" });
const DAY = new Intl.DateTimeFormat("fa-IR-u-ca-persian", {
  weekday: "long", day: "numeric", month: "long", year: "numeric",
});
const FULL = new Intl.DateTimeFormat("fa-IR-u-ca-persian", { dateStyle: "full", timeStyle: "short" });
const DAY_KEY = new Intl.DateTimeFormat("en-CA-u-ca-persian", { year: "numeric", month: "2-digit", day: "2-digit" });

export function time(date) {
  return TIME.format(date);
}

export function day(date) {
  const today = dayKey(new Date());
  const yesterday = dayKey(new Date(Date.now() - 86400000));
  const key = dayKey(date);
  if (key === today) return "امروز";
  if (key === yesterday) return "دیروز";
  return DAY.format(date);
}

export function full(date) {
  return FULL.format(date);
}

export function dayKey(date) {
  return DAY_KEY.format(date);
}

export function digits(value) {
  return Number(value).toLocaleString("fa-IR");
}

const LINK = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]،؛؟»]/g;

// The text as DOM nodes: plain text, with http(s) links made clickable. Never parsed as HTML.
export function richText(text) {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    if (match.index > last) out.append(text.slice(last, match.index));
    const a = document.createElement("a");
    a.href = match[0];
    a.textContent = match[0];
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.dir = "ltr";
    out.append(a);
    last = match.index + match[0].length;
  }
  if (last < text.length) out.append(text.slice(last));
  return out;
}
