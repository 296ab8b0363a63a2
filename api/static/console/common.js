// Shared by every console page: the JSON API client (CSRF header on changes), Persian formatting,
// a DOM builder that only ever sets text (never HTML, so customer text cannot inject markup), toasts,
// and the live event stream. No framework, no CDN.
"use strict";

const P = (() => {
  const DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  const CHANNELS = {
    telegram: "تلگرام", instagram: "اینستاگرام", webchat: "گفتگوی سایت", rest: "REST", bale: "بله",
    phone: "تلفن", email: "ایمیل", shop: "حساب فروشگاه", loyalty: "کارت باشگاه",
  };
  const REASONS = {
    requested: "درخواست مشتری", complaint: "شکایت", fallback: "دو بار نامفهوم", action_error: "خطای سامانه",
    not_eligible: "خارج از قوانین", agent: "برداشت کارشناس",
  };
  const STATUS = { bot: "با ربات", pending: "در صف", open: "باز", resolved: "بسته" };
  const DATE_TIME = new Intl.DateTimeFormat("fa-IR-u-ca-persian", {
    timeZone: "Asia/Tehran", year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
  const DATE = new Intl.DateTimeFormat("fa-IR-u-ca-persian", {
    timeZone: "Asia/Tehran", year: "numeric", month: "long", day: "numeric",
  });
  const TIME = new Intl.DateTimeFormat("fa-IR", { timeZone: "Asia/Tehran", hour: "2-digit", minute: "2-digit" });

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function api(method, url, body) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") options.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    if (response.status === 401 && document.body.dataset.page !== "login") {
      location.href = "/console/login?next=" + encodeURIComponent(location.pathname);
      throw new Error("نشست شما تمام شده است.");
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : null;
    if (!response.ok) {
      const error = new Error((data && data.detail) || "خطا (" + fa(response.status) + ")");
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function fa(value) {
    return String(value).replace(/[0-9]/g, (d) => DIGITS[d]);
  }

  function percent(share) {
    return share === null || share === undefined ? "—" : fa(Math.round(share * 1000) / 10) + "٪";
  }

  function when(iso) {
    return iso ? DATE_TIME.format(new Date(iso)) : "—";
  }

  function day(iso) {
    return iso ? DATE.format(new Date(iso)) : "—";
  }

  function clock(iso) {
    return iso ? TIME.format(new Date(iso)) : "";
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return fa(s) + " ثانیه";
    const minutes = Math.round(s / 60);
    if (minutes < 60) return fa(minutes) + " دقیقه";
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return fa(hours) + " ساعت" + (minutes % 60 ? " و " + fa(minutes % 60) + " دقیقه" : "");
    return fa(Math.floor(hours / 24)) + " روز" + (hours % 24 ? " و " + fa(hours % 24) + " ساعت" : "");
  }

  function since(iso) {
    return iso ? duration((Date.now() - new Date(iso).getTime()) / 1000) : "—";
  }

  // el("td", {class: "x", dataset: {id: 1}, onclick: f}, "text", childNode, ...)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(node, ...children) {
    node.replaceChildren();
    return append(node, children);
  }

  function channelBadge(channel) {
    return el("span", { class: "badge channel ch-" + channel }, CHANNELS[channel] || channel);
  }

  function reason(value) {
    return value ? REASONS[value] || value : "—";
  }

  let toastTimer = null;
  function toast(text, kind) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.dataset.kind = kind || "info";
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  // Calls `handler(event)` for each console event; the stream reconnects by itself after a drop,
  // and `onReconnect` lets the page catch up on what it missed meanwhile.
  function live(handler, onReconnect) {
    const badge = document.getElementById("live");
    if (badge) badge.hidden = false; // only pages that listen show the badge
    const source = new EventSource("/api/v1/events");
    let dropped = false;
    source.onopen = () => {
      if (badge) badge.dataset.state = "on";
      if (dropped && onReconnect) onReconnect();
      dropped = false;
    };
    source.onerror = () => {
      dropped = true;
      if (badge) badge.dataset.state = "off";
    };
    source.addEventListener("conversation.updated", (e) => handler(JSON.parse(e.data)));
    source.addEventListener("session.ended", () => { location.href = "/console/login"; });
    return source;
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function setupLogout() {
    const button = document.getElementById("logout");
    if (!button) return;
    button.addEventListener("click", async () => {
      try {
        await api("POST", "/api/v1/auth/logout");
      } finally {
        location.href = "/console/login";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", setupLogout);

  return {
    api, fa, percent, when, day, clock, duration, since, el, fill, append, channelBadge, reason, toast, live,
    debounce, CHANNELS, REASONS, STATUS,
  };
})();
