/* Pishkhan web chat: the loader a shop puts on its pages with one tag,
 *   <script src="https://support.example.com/widget.js" defer
 *           data-title="پشتیبانی فروشگاه" data-position="left"
 *           data-shop-user="u1001" data-identity-hash="<HMAC-SHA256 hex>"></script>
 * It draws a launcher button and a panel holding the chat in an iframe, both inside a shadow
 * root, so nothing in the shop's CSS or scripts can reach them. window.Pishkhan.open() / .close()
 * / .toggle() let the page drive it. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.Pishkhan) return;

  var base = new URL(script.src, location.href);
  var data = script.dataset;
  var pageDir = (document.documentElement.getAttribute("dir") || "").toLowerCase();
  var pageLang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  var side = data.position === "right" || data.position === "left" ? data.position
    : (pageDir === "rtl" || pageLang.indexOf("fa") === 0 ? "left" : "right");
  var STORE = "pishkhan.widget.tokens";
  var storeKey = data.shopUser ? "u:" + data.shopUser : "anon";

  function readTokens() {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  }
  function writeToken(key, token) {
    try {
      var tokens = readTokens();
      if (token) tokens[key] = token; else delete tokens[key];
      localStorage.setItem(STORE, JSON.stringify(tokens));
    } catch (e) { /* storage blocked: the iframe keeps its own copy */ }
  }

  var config = new URLSearchParams();
  config.set("origin", location.origin);
  config.set("key", storeKey);
  if (data.title) config.set("title", data.title);
  if (data.shopUser) config.set("shop_user", data.shopUser);
  if (data.identityHash) config.set("identity_hash", data.identityHash);
  var saved = readTokens();
  if (saved[storeKey]) config.set("token", saved[storeKey]);
  if (data.shopUser && saved.anon) config.set("anon_token", saved.anon);
  var frameUrl = new URL("widget/", base);
  frameUrl.hash = config.toString();

  var CHAT_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" fill="currentColor"/></svg>';
  var CLOSE_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/></svg>';
  var CSS = [
    ":host{all:initial}",
    ".launcher{position:fixed;bottom:20px;" + side + ":20px;width:60px;height:60px;border:0;border-radius:50%;",
    "background:#0f766e;color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);padding:16px;",
    "display:flex;align-items:center;justify-content:center;transition:transform .15s}",
    ".launcher:hover{transform:scale(1.06)}",
    ".launcher:focus-visible{outline:3px solid #f59e0b;outline-offset:3px}",
    ".launcher svg{width:28px;height:28px;display:block}",
    ".badge{position:absolute;top:-4px;" + (side === "left" ? "right" : "left") + ":-4px;min-width:22px;height:22px;",
    "border-radius:11px;background:#dc2626;color:#fff;font:700 13px/22px Tahoma,sans-serif;text-align:center;padding:0 5px;box-sizing:border-box}",
    ".badge[hidden]{display:none}",
    ".panel{position:fixed;bottom:92px;" + side + ":20px;width:380px;height:min(640px,calc(100vh - 116px));",
    "border-radius:16px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.28);background:#fff}",
    ".panel[hidden]{display:none}",
    "iframe{border:0;width:100%;height:100%;display:block;color-scheme:light}",
    "@media (max-width:480px){.panel{inset:0;width:100%;height:100%;border-radius:0}",
    ".open .launcher{display:none}}"
  ].join("");

  var host = document.createElement("div");
  host.setAttribute("data-pishkhan-widget", "");
  host.style.setProperty("all", "initial", "important");
  host.style.setProperty("display", "block", "important");
  host.style.setProperty("position", "fixed", "important");
  host.style.setProperty("z-index", "2147483000", "important");
  var root = host.attachShadow({ mode: "open" });
  // A constructed sheet is CSSOM, so a shop's Content-Security-Policy without 'unsafe-inline' allows it.
  var styleTag = "";
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    styleTag = "<style>" + CSS + "</style>";
  }
  root.innerHTML = styleTag +
    '<div class="wrap"><div class="panel" id="panel" hidden></div>' +
    '<button class="launcher" type="button" aria-expanded="false" aria-controls="panel"></button></div>';
  var wrap = root.querySelector(".wrap");
  var panel = root.querySelector(".panel");
  var launcher = root.querySelector(".launcher");
  var badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  var title = data.title || "پشتیبانی آنلاین";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);

  var frame = document.createElement("iframe");
  frame.title = title;
  frame.src = frameUrl.href;
  frame.setAttribute("allow", "clipboard-write");
  panel.appendChild(frame);

  function drawLauncher(open) {
    launcher.innerHTML = open ? CLOSE_ICON : CHAT_ICON;
    launcher.appendChild(badge);
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    launcher.setAttribute("aria-label", open ? "بستن گفتگو" : "گفتگو با پشتیبانی" + (badge.hidden ? "" : " (" + badge.textContent + " پیام تازه)"));
  }
  function post(event) {
    if (frame.contentWindow) frame.contentWindow.postMessage({ pishkhan: event }, base.origin);
  }
  function open() {
    if (!panel.hidden) return;
    panel.hidden = false;
    wrap.classList.add("open");
    drawLauncher(true);
    post("open");
  }
  function close(returnFocus) {
    if (panel.hidden) return;
    panel.hidden = true;
    wrap.classList.remove("open");
    drawLauncher(false);
    post("close");
    if (returnFocus) launcher.focus();
  }
  function setUnread(count) {
    badge.hidden = !count;
    badge.textContent = count ? Number(count).toLocaleString("fa-IR") : "";
    drawLauncher(!panel.hidden);
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(false); });
  window.addEventListener("message", function (event) {
    if (event.origin !== base.origin || event.source !== frame.contentWindow) return;
    var message = event.data || {};
    if (message.pishkhan === "close") close(true);
    else if (message.pishkhan === "unread") setUnread(message.count || 0);
    else if (message.pishkhan === "token" && typeof message.key === "string") {
      writeToken(message.key, message.token);
      if (message.forget === "anon") writeToken("anon", null);
    } else if (message.pishkhan === "ready" && !panel.hidden) post("open");
  });

  drawLauncher(false);
  (document.body || document.documentElement).appendChild(host);
  window.Pishkhan = {
    open: open,
    close: function () { close(false); },
    toggle: function () { if (panel.hidden) open(); else close(false); }
  };
})();
