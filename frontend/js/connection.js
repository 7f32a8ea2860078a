// BoardConnection: the ONE owner of the meeting's websocket.
//
// It connects, reconnects with exponential backoff and jitter, resumes with `?since=<last seq>`, applies the
// server's sequence rules (each event exactly once, a gap means resync), keeps the ops the server has not yet
// acknowledged in memory (never in browser storage: a family tablet is shared) and resends them with the SAME
// op_id after a reconnect so the server deduplicates them, and tells the truth about the link: a socket that has
// heard nothing for 2.5 s is dead, and the page says "Offline" (see the heartbeat below).
//
// Everything else (the board, the views) hears about it through the handlers given to the constructor:
//   status({state, message, pending})   state: connecting | connected | reconnecting | offline | ended | stopped
//   hello(frame)                        after a (re)connect; frame.board is null when missed events follow
//   event(frame)                        one accepted op, in seq order, never twice
//   ack(frame, pendingOp)               the server committed one of our ops
//   error(frame, pendingOp|null)        a refusal or problem, in plain words (frame.message)
//   presence(frame)                     who is here (and, where the server sends it, what each is editing)
//   pending(list)                       the ops still waiting, after any change to that list
//
// Besides ops it sends two small frames: `ping` (the heartbeat) and `editing` (soft presence: which card this
// screen has open for editing, never a lock). A server that does not know `editing` yet answers `unknown_type`
// without an op_id: that answer is dropped here, and the frame is not sent again on this page.

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

/** How long a ping must have been out, unanswered, before the silence counts as a dead link. */
const PING_GRACE_MS = 500;

const SESSION_ENDED_MESSAGE = "Your session has ended. Ask the chair for a new link.";

// Op refusals after which a resend could succeed: keep the op and send it again later.
const RETRYABLE_CODES = new Set(["rate_limited", "busy", "internal"]);

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
    pingIntervalMs = 1_000,
    silenceMs = 2_500,
    helloTimeoutMs = 15_000,
    backoffBaseMs = 500,
    backoffMaxMs = 10_000,
    random = Math.random,
    isOnline = () => (globalThis.navigator ? globalThis.navigator.onLine !== false : true),
  }) {
    this.meetingId = meetingId;
    this.handlers = handlers;
    this.checkSession = checkSession;
    this.WebSocketImpl = WebSocketImpl;
    this.location = location;
    this.pingIntervalMs = pingIntervalMs;
    this.silenceMs = silenceMs;
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
    this.timers = { reconnect: null, ping: null, silence: null, hello: null, retry: null };
    this.finished = false; // ended or stopped: never reconnect again
    this.suspended = false;
    /** The link went silent (or the browser said it is offline): say "offline" until a hello arrives. */
    this.linkLost = false;
    /** Date.now() of the last frame heard on the current socket, and whether a ping is waiting for its answer. */
    this.lastHeard = 0;
    this.pingInFlight = false;
    this.pingSentAt = 0;
    /** What this screen has open for editing: {entity, item_id} or null; sent again after each reconnect. */
    this.editing = null;
    this.editingKnown = true; // false once the server has said it does not know `editing` frames

    this._onOnline = () => {
      if (!this.finished && !this.suspended && !this.socket) this._connectNow();
    };
    this._onOffline = () => {
      // The browser knows there is no network at all: no socket can work, so say so now, not in 2.5 s.
      this.linkLost = true;
      if (this.socket) this._socketGone(this.socket, CLIENT_CLOSE.noAnswer);
      else if (!this.finished && !this.suspended) this._setState("offline");
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
    // While an earlier op waits to be sent again (the server said busy, rate_limited or internal), this one waits
    // behind it and goes with it, in order: sent now, it could be taken first, and the person's own earlier change
    // would then meet it as someone else's (a conflict with themselves); and a server past its capacity would only
    // be sent more to refuse.
    if (this.ready && !this.timers.retry) this._transmit(this.pending.get(opId));
    return opId;
  }

  /** Soft presence: this screen has this item open for editing (entity null: nothing). Sent at once when
   * connected, and again after a reconnect; never a lock. */
  setEditing(entity, itemId = null) {
    const next = entity ? { entity, item_id: itemId } : null;
    const same = JSON.stringify(next) === JSON.stringify(this.editing);
    this.editing = next;
    if (!same) this._sendEditing();
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
    if (this.state !== "connecting") this._setState(this._downState());
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

    this._setState(this._downState());
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

  /** While the link is down: "offline" once it went silent or the browser says so, else "reconnecting". */
  _downState() {
    return this.linkLost || !this.isOnline() ? "offline" : "reconnecting";
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
    // Any frame proves the link is alive, so a busy room needs no pings at all.
    this.lastHeard = Date.now();
    this.pingInFlight = false;
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
        return undefined; // heard: lastHeard is already up to date
      default:
        return;
    }
  }

  _onHello(frame) {
    this._clearTimer("hello");
    this.ready = true;
    this.linkLost = false;
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
    if (this.editing) this._sendEditing();
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
    if (!frame.op_id && frame.code === "unknown_type") {
      // Only the `editing` frame can be unknown (ops carry an op_id, pings are known): a server without soft
      // presence. Nothing was lost; stop sending it.
      this.editingKnown = false;
      return;
    }
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

  /**
   * The app's own heartbeat, so "Connected" is never a lie: every second, if nothing has been heard for a second
   * and no ping is already waiting, send one `{"type":"ping"}` (the server answers `pong`). Any frame counts as an
   * answer. 2.5 s without a single frame (with a ping out and unanswered) and the socket is given up as dead: the
   * page says "Offline" at once, keeps every unsent op, and reconnects (resending them with the same op_ids). One
   * ping in flight at most, and none at all while events are flowing, keeps the server's load small.
   */
  _startHeartbeat() {
    this._clearTimer("ping");
    this._clearTimer("silence");
    const socket = this.socket;
    this.lastHeard = Date.now();
    this.pingInFlight = false;
    this.timers.ping = setInterval(() => {
      if (socket !== this.socket || !this.ready || this.pingInFlight) return;
      if (Date.now() - this.lastHeard < this.pingIntervalMs * 0.9) return;
      this._ping(socket);
    }, this.pingIntervalMs);
    this._watchSilence(socket);
  }

  /** Wakes when the socket would have been silent for `silenceMs`; sleeps again if something was heard since.
   * Dead means: silent that long, with a ping out for at least half a second and unanswered. (A browser that
   * throttles the timers of a hidden tab can wake this late, with no ping sent in between: then it pings first
   * and waits for the answer, rather than calling a quiet but healthy link dead.) */
  _watchSilence(socket) {
    const due = Math.max(this.lastHeard + this.silenceMs, this.pingInFlight ? this.pingSentAt + PING_GRACE_MS : 0);
    this._setTimer("silence", Math.max(0, due - Date.now()), () => {
      if (socket !== this.socket || !this.ready) return;
      const now = Date.now();
      if (now - this.lastHeard < this.silenceMs) return this._watchSilence(socket);
      if (!this.pingInFlight) {
        this._ping(socket);
        return this._watchSilence(socket);
      }
      if (now - this.pingSentAt < PING_GRACE_MS) return this._watchSilence(socket);
      this.linkLost = true;
      this._socketGone(socket, CLIENT_CLOSE.noAnswer);
    });
  }

  _ping(socket) {
    try {
      socket.send(JSON.stringify({ type: "ping" }));
      this.pingInFlight = true;
      this.pingSentAt = Date.now();
    } catch {
      this.linkLost = true;
      this._socketGone(socket, CLIENT_CLOSE.noAnswer);
    }
  }

  _sendEditing() {
    if (!this.editingKnown || !this.socket || !this.ready) return;
    const frame = this.editing
      ? { type: "editing", entity: this.editing.entity, item_id: this.editing.item_id }
      : { type: "editing", entity: null };
    try {
      this.socket.send(JSON.stringify(frame));
    } catch {
      // the heartbeat notices a dead socket; this frame is sent again after the reconnect
    }
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
