// BoardConnection: the ONE owner of the meeting's websocket.
//
// It connects, reconnects with exponential backoff and jitter, resumes with `?since=<last seq>`, applies the
// server's sequence rules (each event exactly once, a gap means resync), keeps the ops the server has not yet
// acknowledged in memory (never in browser storage: a family tablet is shared) and resends them with the SAME
// op_id after a reconnect so the server deduplicates them, and pings every 20 s to notice a dead link.
//
// Everything else (the board, the views) hears about it through the handlers given to the constructor:
//   status({state, message, pending})   state: connecting | connected | reconnecting | offline | ended | stopped
//   hello(frame)                        after a (re)connect; frame.board is null when missed events follow
//   event(frame)                        one accepted op, in seq order, never twice
//   ack(frame, pendingOp)               the server committed one of our ops
//   error(frame, pendingOp|null)        a refusal or problem, in plain words (frame.message)
//   presence(frame)                     who is here
//   pending(list)                       the ops still waiting, after any change to that list

export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  abnormal: 1006,
  tooBig: 1009,
  sessionEnded: 4401,
  forbidden: 4403,
  tooSlow: 4408,
  tooManyErrors: 4429,
};

// Close codes this client uses itself (4000-4099 is free for applications).
const CLIENT_CLOSE = { resync: 4000, noAnswer: 4001, suspended: 4002, stopped: 4003 };

const SESSION_ENDED_MESSAGE = "Your session has ended. Ask the chair for a new link.";

// Op refusals after which a resend could succeed: keep the op and send it again later.
const RETRYABLE_CODES = new Set(["rate_limited", "internal"]);

export function newOpId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === "function") {
    return globalThis.crypto.randomUUID().replaceAll("-", "");
  }
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class BoardConnection {
  /**
   * @param {object} options
   * @param {string} options.meetingId
   * @param {object} options.handlers            see the top of this file
   * @param {() => Promise<"ok"|"ended"|"unknown">} options.checkSession  asked after a connect fails
   */
  constructor({
    meetingId,
    handlers = {},
    checkSession = async () => "unknown",
    WebSocketImpl = globalThis.WebSocket,
    location = globalThis.location,
    pingIntervalMs = 20_000,
    pongTimeoutMs = 10_000,
    helloTimeoutMs = 15_000,
    backoffBaseMs = 500,
    backoffMaxMs = 30_000,
    random = Math.random,
    isOnline = () => (globalThis.navigator ? globalThis.navigator.onLine !== false : true),
  }) {
    this.meetingId = meetingId;
    this.handlers = handlers;
    this.checkSession = checkSession;
    this.WebSocketImpl = WebSocketImpl;
    this.location = location;
    this.pingIntervalMs = pingIntervalMs;
    this.pongTimeoutMs = pongTimeoutMs;
    this.helloTimeoutMs = helloTimeoutMs;
    this.backoffBaseMs = backoffBaseMs;
    this.backoffMaxMs = backoffMaxMs;
    this.random = random;
    this.isOnline = isOnline;

    /** Sequence number of the last event applied; null until the first hello. */
    this.lastSeq = null;
    /** op_id -> {opId, op, frame, sent}: ops not yet acknowledged, in the order they were made. */
    this.pending = new Map();
    /** op_id -> {opId, op, seq}: acknowledged, but the event that shows its effect has not arrived yet.
     *  The server acks before it broadcasts; keeping these on screen until then avoids a flicker. */
    this.acked = new Map();
    this.state = "connecting";
    this.message = "";
    this.socket = null;
    this.ready = false; // a hello has arrived on the current socket
    this.attempt = 0;
    this.gapsInARow = 0;
    this.limits = {};
    this.timers = { reconnect: null, ping: null, pong: null, hello: null, retry: null };
    this.finished = false; // ended or stopped: never reconnect again
    this.suspended = false;

    this._onOnline = () => {
      if (!this.finished && !this.suspended && !this.socket) this._connectNow();
    };
    this._onOffline = () => {
      if (!this.ready) this._setState("offline");
    };
  }

  // ---- public -----------------------------------------------------------------------------------------

  start() {
    if (typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("online", this._onOnline);
      globalThis.addEventListener("offline", this._onOffline);
    }
    this._open();
  }

  /** Queue an op (add_card, edit_card, ...) and send it when connected. Returns its op_id. */
  send(op) {
    const opId = newOpId();
    const frame = JSON.stringify({ type: "op", op_id: opId, op });
    const maxBytes = Number(this.limits.max_frame_bytes) || 0;
    if (maxBytes && new TextEncoder().encode(frame).length > maxBytes) {
      const refusal = { type: "error", code: "too_big", message: "That change is too large to send. Please shorten it." };
      this._call("error", refusal, { opId, op, frame, sent: false });
      return opId;
    }
    this.pending.set(opId, { opId, op, frame, sent: false });
    this._emitPending();
    if (this.ready) this._transmit(this.pending.get(opId));
    return opId;
  }

  /** The ops whose effect is not on the board yet (acknowledged ones first), oldest first, for display. */
  pendingOps() {
    const list = [];
    for (const { opId, op } of this.acked.values()) list.push({ opId, op });
    for (const { opId, op } of this.pending.values()) list.push({ opId, op });
    return list;
  }

  /** Stop for good (the page is leaving the meeting). Pending ops are dropped with the connection. */
  stop() {
    this.finished = true;
    this._teardown(CLIENT_CLOSE.stopped, "stopped");
    this._removeListeners();
    this._setState("stopped");
  }

  /** Close the link and stay offline until resume(): what a dropped network looks like to the page. */
  suspend() {
    if (this.finished) return;
    this.suspended = true;
    this._teardown(CLIENT_CLOSE.suspended, "suspended");
    this._setState("offline");
  }

  resume() {
    if (this.finished || !this.suspended) return;
    this.suspended = false;
    this._connectNow();
  }

  /** Drop the current socket as if the link had died; the usual reconnect follows. */
  dropSocket() {
    if (this.socket) this._socketGone(this.socket, CLIENT_CLOSE.noAnswer);
  }

  // ---- socket lifecycle ---------------------------------------------------------------------------------

  _url() {
    const scheme = this.location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.lastSeq === null ? "" : `?since=${this.lastSeq}`;
    return `${scheme}//${this.location.host}/ws/meetings/${encodeURIComponent(this.meetingId)}${since}`;
  }

  _open() {
    if (this.finished || this.suspended) return;
    this._clearTimer("reconnect");
    if (this.state !== "connecting") {
      this._setState(this.isOnline() ? "reconnecting" : "offline");
    }
    let socket;
    try {
      socket = new this.WebSocketImpl(this._url());
    } catch {
      this._scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.ready = false;
    socket.onmessage = (message) => this._onMessage(socket, message);
    socket.onclose = (event) => this._socketGone(socket, event.code);
    socket.onerror = () => {}; // a close event always follows
    this._setTimer("hello", this.helloTimeoutMs, () => this._socketGone(socket, CLIENT_CLOSE.noAnswer));
  }

  _connectNow() {
    this.attempt = 0;
    this._open();
  }

  /** Close and forget the current socket without scheduling anything. */
  _teardown(code, reason) {
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    for (const name of Object.keys(this.timers)) this._clearTimer(name);
    if (socket) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
      try {
        socket.close(code, reason);
      } catch {
        // already closed
      }
    }
    for (const entry of this.pending.values()) entry.sent = false;
  }

  async _socketGone(socket, code) {
    if (socket !== this.socket) return; // an old socket we already gave up on
    const wasReady = this.ready;
    this._teardown(code >= 4000 && code < 4100 ? code : CLIENT_CLOSE.noAnswer, "closing");
    if (this.finished || this.suspended) return;

    if (code === CLOSE.sessionEnded) return this._end(SESSION_ENDED_MESSAGE);
    if (code === CLOSE.forbidden) {
      return this._end("This screen is not allowed into this meeting. Ask the chair for a new link.");
    }
    if (code === CLOSE.tooBig) this._dropLargestPending();
    if (code === CLOSE.tooManyErrors) this.attempt = Math.max(this.attempt, 3);
    if (code === CLIENT_CLOSE.resync) return this._open(); // a gap: catch up at once

    this._setState(this.isOnline() ? "reconnecting" : "offline");
    if (!wasReady || code === CLOSE.abnormal) {
      // A refused handshake looks like 1006 to a browser: ask over HTTP whether the session still exists.
      let verdict = "unknown";
      try {
        verdict = await this.checkSession();
      } catch {
        verdict = "unknown";
      }
      if (this.finished || this.suspended || this.socket) return;
      if (verdict === "ended") return this._end(SESSION_ENDED_MESSAGE);
    }
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    if (this.finished || this.suspended) return;
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** this.attempt);
    // "Equal jitter": never less than half the ceiling, so a room of tablets does not reconnect in step.
    const delay = ceiling / 2 + this.random() * (ceiling / 2);
    this.attempt += 1;
    this._setTimer("reconnect", delay, () => this._open());
  }

  _end(message) {
    this.finished = true;
    this._teardown(CLIENT_CLOSE.stopped, "ended");
    this._removeListeners();
    this._setState("ended", message);
  }

  _removeListeners() {
    if (typeof globalThis.removeEventListener === "function") {
      globalThis.removeEventListener("online", this._onOnline);
      globalThis.removeEventListener("offline", this._onOffline);
    }
  }

  // ---- frames -------------------------------------------------------------------------------------------

  _onMessage(socket, message) {
    if (socket !== this.socket) return;
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    switch (frame.type) {
      case "hello":
        return this._onHello(frame);
      case "event":
        if (this.ready) this._onEvent(frame);
        return;
      case "ack":
        return this._onAck(frame);
      case "error":
        return this._onError(frame);
      case "presence":
        return this._call("presence", frame);
      case "pong":
        return this._clearTimer("pong");
      default:
        return;
    }
  }

  _onHello(frame) {
    this._clearTimer("hello");
    this.ready = true;
    this.attempt = 0;
    this.limits = frame.limits || {};
    if (frame.board) {
      this.lastSeq = typeof frame.board.seq === "number" ? frame.board.seq : frame.seq;
      this.gapsInARow = 0;
      this._dropApplied();
      this._call("hello", frame);
    } else {
      this._call("hello", frame);
      for (const event of frame.missed || []) {
        if (!this._onEvent(event)) return; // a gap: already resyncing
      }
      if (this.lastSeq !== null && frame.seq > this.lastSeq) return this._resync();
      this.gapsInARow = 0;
    }
    this._setState("connected");
    this._startHeartbeat();
    for (const entry of this.pending.values()) this._transmit(entry);
  }

  /** Apply one event exactly once. Returns false when a gap was found (and a resync started). */
  _onEvent(event) {
    if (typeof event.seq !== "number") return true;
    if (this.lastSeq !== null && event.seq <= this.lastSeq) return true; // seen already
    if (this.lastSeq !== null && event.seq > this.lastSeq + 1) {
      this._resync();
      return false;
    }
    this.lastSeq = event.seq;
    this.gapsInARow = 0;
    const mine = event.op_id ? this.pending.get(event.op_id) : undefined;
    if (mine) this.pending.delete(event.op_id);
    if (mine || this.acked.size) {
      this._dropApplied();
      this._emitPending();
    }
    this._call("event", event);
    return true;
  }

  /** Forget acknowledged ops whose event is now applied. */
  _dropApplied() {
    for (const [opId, entry] of this.acked) {
      if (this.lastSeq !== null && entry.seq <= this.lastSeq) this.acked.delete(opId);
    }
  }

  _resync() {
    this.gapsInARow += 1;
    // Twice in a row the missed events did not line up: ask for the whole board instead.
    if (this.gapsInARow > 1) this.lastSeq = null;
    const socket = this.socket;
    if (socket) this._socketGone(socket, CLIENT_CLOSE.resync);
  }

  _onAck(frame) {
    const entry = this.pending.get(frame.op_id);
    if (entry) {
      this.pending.delete(frame.op_id);
      // Committed: never resent. It stays on screen until its event arrives (or a snapshot covers it).
      if (this.lastSeq === null || frame.seq > this.lastSeq) {
        this.acked.set(frame.op_id, { opId: entry.opId, op: entry.op, seq: frame.seq });
      }
      this._emitPending();
    }
    this._call("ack", frame, entry || null);
  }

  _onError(frame) {
    const entry = frame.op_id ? this.pending.get(frame.op_id) : undefined;
    if (entry && RETRYABLE_CODES.has(frame.code)) {
      // Nothing was saved and a resend is safe: keep it and send it again shortly.
      entry.sent = false;
      const wait = Math.max(250, Number(frame.retry_after_ms) || 1000);
      this._setTimer("retry", wait, () => this._flushUnsent());
      if (frame.code === "internal") this._call("error", frame, null);
      return;
    }
    if (entry) {
      this.pending.delete(frame.op_id);
      this._emitPending();
    }
    this._call("error", frame, entry || null);
  }

  _flushUnsent() {
    if (!this.ready) return;
    for (const entry of this.pending.values()) if (!entry.sent) this._transmit(entry);
  }

  _transmit(entry) {
    if (!this.socket || !this.ready) return;
    try {
      this.socket.send(entry.frame);
      entry.sent = true;
    } catch {
      entry.sent = false;
    }
  }

  _dropLargestPending() {
    let largest = null;
    for (const entry of this.pending.values()) {
      if (!largest || entry.frame.length > largest.frame.length) largest = entry;
    }
    if (!largest) return;
    this.pending.delete(largest.opId);
    this._emitPending();
    this._call(
      "error",
      { type: "error", code: "too_big", message: "That change was too large to send, so it was not saved." },
      largest,
    );
  }

  // ---- heartbeat ----------------------------------------------------------------------------------------

  _startHeartbeat() {
    this._clearTimer("ping");
    const socket = this.socket;
    this.timers.ping = setInterval(() => {
      if (socket !== this.socket || !this.ready) return;
      try {
        socket.send(JSON.stringify({ type: "ping" }));
      } catch {
        return this._socketGone(socket, CLIENT_CLOSE.noAnswer);
      }
      if (!this.timers.pong) {
        this._setTimer("pong", this.pongTimeoutMs, () => this._socketGone(socket, CLIENT_CLOSE.noAnswer));
      }
    }, this.pingIntervalMs);
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  _setTimer(name, ms, fn) {
    this._clearTimer(name);
    this.timers[name] = setTimeout(() => {
      this.timers[name] = null;
      fn();
    }, ms);
  }

  _clearTimer(name) {
    const id = this.timers[name];
    if (id !== null && id !== undefined) {
      if (name === "ping") clearInterval(id);
      else clearTimeout(id);
    }
    this.timers[name] = null;
  }

  _setState(state, message = "") {
    this.state = state;
    this.message = message;
    this._call("status", { state, message, pending: this.pending.size });
  }

  _emitPending() {
    this._call("pending", this.pendingOps());
    this._call("status", { state: this.state, message: this.message, pending: this.pending.size });
  }

  _call(name, ...args) {
    const handler = this.handlers[name];
    if (typeof handler === "function") handler(...args);
  }
}
