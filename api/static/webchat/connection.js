// The widget's WebSocket: hello, resume after the last message id, reconnect with exponential
// backoff (and at once when the browser comes back online), and a heartbeat that notices dead links.

const BASE_DELAY = 1000;
const MAX_DELAY = 30000;
const PING_EVERY = 25000;
const SILENCE_LIMIT = 60000;

export class Connection {
  // hello(): the hello frame; lastId(): the last message id shown (null before the first sync);
  // onFrame(frame), onState("connecting" | "online" | "offline", detail).
  constructor(url, { hello, lastId, onFrame, onState }) {
    this.url = url;
    this.hello = hello;
    this.lastId = lastId;
    this.onFrame = onFrame;
    this.onState = onState;
    this.ws = null;
    this.attempt = 0;
    this.synced = false;
    this.wanted = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.heardAt = 0;
    window.addEventListener("online", () => { if (this.wanted) this.reconnectNow(); });
    window.addEventListener("offline", () => this.drop());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.wanted && !this.ws) this.reconnectNow();
    });
  }

  start() {
    this.wanted = true;
    if (!this.ws && !this.retryTimer) this.open();
  }

  get ready() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.synced);
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.synced = false;
    this.onState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.heardAt = Date.now();
      ws.send(JSON.stringify(this.hello()));
      this.pingTimer = setInterval(() => this.heartbeat(ws), PING_EVERY);
    };
    ws.onmessage = (event) => {
      this.heardAt = Date.now();
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "session") {
        this.onFrame(frame);
        ws.send(JSON.stringify({ type: "resume", after_id: this.lastId() }));
        return;
      }
      if (frame.type === "synced") {
        this.synced = true;
        this.attempt = 0;
        this.onState("online");
      }
      if (frame.type !== "pong") this.onFrame(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.cleanup();
      this.onState("offline", event.code);
      if (this.wanted) this.retry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  heartbeat(ws) {
    if (Date.now() - this.heardAt > SILENCE_LIMIT) {
      ws.close(4000, "silent");  // a half-open link: start over
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
  }

  cleanup() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.ws = null;
    this.synced = false;
  }

  // Exponential backoff with jitter: about 1, 2, 4, 8, 16, then 30 seconds.
  retry() {
    if (this.retryTimer) return;
    const delay = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.onState("offline", Math.round(delay / 1000));
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.open(); }, delay);
  }

  reconnectNow() {
    this.attempt = 0;
    if (this.ws) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  // The browser went offline: close now, so the server stops writing into a dead link.
  drop() {
    if (!this.ws) return;
    const ws = this.ws;
    this.cleanup();
    ws.close();
    this.onState("offline");
    if (this.wanted && navigator.onLine) this.retry();
  }
}
