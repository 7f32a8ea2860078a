// The ONE load generator of the side-by-side benchmark (python -m bench.compare): the same shapes, the same
// measuring code, two adapters: `app` (SoS Board's JSON protocol) and `hocuspocus` (a Y.Doc per client through
// @hocuspocus/provider).
//
//     node bench/peer/loadgen.mjs CONFIG.json
//
// CONFIG (written by bench/compare.py):
//   adapter: "app" | "hocuspocus";  mode: "load" | "catchup";  workers: child processes holding the sockets
//   servers: [{http, ws}]           one per server process (the app in pg2 mode has two)
//   meetings: [{name, clients: [{server, token}]}]   client 0 of each meeting is its writer (app: invite tokens,
//                                   signed in here; hocuspocus: `name` is the document, tokens are unused)
//   connect_concurrency, connect_timeout_s, rate (edits/s per writer), seconds, drain_s, text_bytes, phase,
//   deadline_s (the whole run), catchup: {edits, repeats}
//
// It talks to its caller with JSON lines on stdout ({"event": ...}) and takes commands on stdin, one a line:
//   load mode:    -> {"event":"connected",...}   <- "load" | "close"
//                 -> {"event":"load_start"} -> {"event":"load_stop"} -> {"event":"load_result",...}  <- "close"
//                 -> {"event":"closed"}
//   catchup mode: -> {"event":"catchup_result",...}
//
// Timestamps are process.hrtime.bigint() (CLOCK_MONOTONIC, shared by every process of the machine). Each meeting
// lives whole in one child process (its writer and its listeners), so an edit's send time and every receipt of it
// are read in the same process.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { HocuspocusProvider } from "@hocuspocus/provider";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";

const nowNs = () => Number(process.hrtime.bigint());
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function editText(id, bytes) {
  const head = `Bench edit ${id}: Jo said school felt safe today, Mum was on time for contact, and Nan picks up on Fridays.`;
  let text = head;
  while (text.length < bytes) text += " The plan holds; the school nurse checks in weekly.";
  return text.slice(0, bytes);
}

// ---- adapters ---------------------------------------------------------------------------------------------------
// Each client: connect() resolves when it is ready to edit and to receive (app: signed in, socket open, hello
// applied; hocuspocus: socket open and the document synced); onEdit(id) is called once per edit it receives;
// sendEdit(id, text) for writers; close().

// While a shape's load runs, a client whose socket the server closed does what the board page does: it comes back
// after a short random delay (doubling up to 5 s) and picks up where it was; an app writer then resends every edit
// it has no answer for, with the same op_id. Only the close handler of the current socket schedules a try.
function closedUnexpectedly(client, socket, code) {
  if (socket === client.socket) client.open = false;
  if (client.closing || socket !== client.socket) return;
  client.closes += 1;
  client.unexpectedClose = code;
  client.lastCloseCode = code;
  if (!client.autoReconnect || client.retryTimer) return;
  const delay = Math.min(5000, 250 * 2 ** client.attempts) * (0.5 + Math.random());
  client.attempts += 1;
  client.retryTimer = setTimeout(async () => {
    client.retryTimer = null;
    if (!client.autoReconnect) return;
    try {
      await client.reconnect();
      client.reconnects += 1;
      client.attempts = 0;
      client.unexpectedClose = null;
      if (client.onReconnected) client.onReconnected();
    } catch {
      if (client.socket) client.socket.terminate(); // its close schedules the next try
    }
  }, delay);
}

function editIdOf(card) {
  const match = /^Bench edit ([A-Za-z0-9_-]+):/.exec(card.text ?? "");
  return match ? match[1] : null;
}

class AppClient {
  constructor(server, meetingId, token, config) {
    this.server = server;
    this.meetingId = meetingId;
    this.token = token;
    this.config = config;
    this.cookie = null;
    this.socket = null;
    this.seq = 0;
    this.cards = new Map(); // the client's copy: what a screen applies from events
    this.onEdit = null;
    this.onAck = null;
    this.onRefused = null; // (opId, code, retryAfterMs)
    this.unexpectedClose = null;
    this.closing = false;
    this.helloBytes = 0;
    this.helloKind = null;
    this.autoReconnect = false;
    this.onReconnected = null;
    this.closes = 0;
    this.reconnects = 0;
    this.attempts = 0;
    this.retryTimer = null;
  }

  async signIn() {
    const response = await fetch(`${this.server.http}/api/join`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: this.server.http },
      body: JSON.stringify({ token: this.token }),
      signal: AbortSignal.timeout(this.config.connect_timeout_s * 1000),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`sign-in: HTTP ${response.status}`);
    const name = `sos_${this.meetingId}=`;
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(name));
    if (!cookie) throw new Error("sign-in: no session cookie");
    this.cookie = cookie.split(";", 1)[0];
  }

  async connect(since = null) {
    if (this.cookie === null) await this.signIn();
    const query = since === null ? "" : `?since=${since}`;
    this.closing = false;
    this.unexpectedClose = null;
    const socket = new WebSocket(`${this.server.ws}/ws/meetings/${this.meetingId}${query}`, {
      headers: { Cookie: this.cookie, Origin: this.server.http },
      perMessageDeflate: false,
      maxPayload: 256 * 1024 * 1024,
      handshakeTimeout: this.config.connect_timeout_s * 1000,
    });
    this.socket = socket;
    let helloed;
    const hello = new Promise((resolve, reject) => {
      helloed = { resolve, reject };
    });
    socket.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith('{"type":"event"')) {
        const event = JSON.parse(text);
        this.apply(event);
        if (event.op_id && this.onEdit) this.onEdit(event.op_id);
      } else if (text.startsWith('{"type":"ack"')) {
        if (this.onAck) this.onAck(JSON.parse(text).op_id);
      } else if (text.startsWith('{"type":"error"')) {
        const error = JSON.parse(text);
        if (this.onRefused) this.onRefused(error.op_id, error.code, error.retry_after_ms);
      } else if (text.startsWith('{"type":"hello"')) {
        this.helloBytes = text.length;
        const frame = JSON.parse(text);
        if (frame.board) {
          this.helloKind = "snapshot";
          this.cards.clear();
          for (const column of Object.values(frame.board.columns)) {
            for (const card of column) {
              this.cards.set(card.id, card);
              const id = this.onEdit && editIdOf(card);
              if (id) this.onEdit(id); // counted once per listener: the counter skips what it already has
            }
          }
        } else {
          this.helloKind = `resume of ${frame.missed.length} events`;
          for (const event of frame.missed) {
            this.apply(event);
            if (event.op_id && this.onEdit) this.onEdit(event.op_id);
          }
        }
        this.seq = frame.seq;
        this.open = true;
        helloed.resolve();
      }
    });
    socket.on("error", (error) => helloed.reject(error));
    socket.on("unexpected-response", (_request, response) => {
      helloed.reject(new Error(`upgrade refused: HTTP ${response.statusCode}`));
      socket.terminate();
    });
    socket.on("close", (code) => {
      helloed.reject(new Error(`closed ${code} before the hello`));
      closedUnexpectedly(this, socket, code);
    });
    await withTimeout(hello, this.config.connect_timeout_s * 1000, "hello");
  }

  reconnect() {
    return this.connect(this.seq);
  }

  apply(event) {
    this.seq = event.seq;
    for (const change of event.changes ?? []) {
      if (change.entity !== "card") continue;
      if (change.value === null) this.cards.delete(change.id);
      else this.cards.set(change.id, change.value);
    }
  }

  sendEdit(id, text) {
    this.socket.send(
      JSON.stringify({ type: "op", op_id: id, op: { type: "add_card", column: "worries", kind: "harm", text } }),
    );
  }

  resend(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame); // else: resent after the reconnect
  }

  ping() {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send('{"type":"ping"}');
  }

  close() {
    this.closing = true;
    this.autoReconnect = false;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000);
  }
}

class HocuspocusClient {
  constructor(server, documentName, _token, config) {
    this.server = server;
    this.documentName = documentName;
    this.config = config;
    this.doc = null;
    this.provider = null;
    this.onEdit = null;
    this.unexpectedClose = null;
    this.closing = false;
    this.closes = 0;
    this.reconnects = 0;
  }

  async connect() {
    this.doc = new Y.Doc();
    this.entries = this.doc.getArray("entries");
    this.entries.observe((event) => {
      if (!this.onEdit) return;
      // The inserted items themselves (event.changes.delta would cost ~3x the update's own apply).
      for (const item of event.changes.added) for (const entry of item.content.getContent()) this.onEdit(entry.id);
    });
    let synced;
    const done = new Promise((resolve, reject) => {
      synced = { resolve, reject };
    });
    this.provider = new HocuspocusProvider({
      url: this.server.ws,
      name: this.documentName,
      document: this.doc,
      WebSocketPolyfill: WebSocket,
      // No presence traffic from clients on either side: the app's clients send no pings or `editing` frames
      // while the load runs, so these share no awareness (whose renewals every 15 s, echoed back by every other
      // provider, would double the frames). Without awareness a quiet provider would reconnect after 30 s.
      awareness: null,
      messageReconnectTimeout: 600_000,
      maxAttempts: 1,
      onSynced: () => {
        this.open = true;
        synced.resolve();
      },
      onClose: ({ event }) => {
        this.open = false;
        if (!this.closing) {
          this.unexpectedClose = event?.code ?? "closed";
          this.lastCloseCode = this.unexpectedClose;
          this.closes += 1;
        }
        synced.reject(new Error(`closed ${event?.code} before the sync`));
      },
    });
    await withTimeout(done, this.config.connect_timeout_s * 1000, "sync");
  }

  sendEdit(id, text) {
    this.doc.transact(() => this.entries.push([{ id, text }]));
  }

  ping() {}

  close() {
    this.closing = true;
    this.provider?.destroy();
  }
}

// The same Y.Doc client on Hocuspocus' own protocol (y-protocols sync inside its framing: each message starts with
// the document's name and a message type), without @hocuspocus/provider's machinery around it. Per client: one
// websocket, one Y.Doc, every update applied and read from the Y.Array's observer, as with the provider; no
// awareness. The provider costs the load generator ~3x more CPU per delivery, which on 2 shared cores made the
// load generator, not the server, the bottleneck.
const HP_SYNC = 0;
const HP_AUTH = 2;
const HP_AUTH_TOKEN = 0;
const HP_AUTH_DENIED = 1;
const HP_AUTHENTICATED = 2;

class HocuspocusRawClient {
  constructor(server, documentName, _token, config) {
    this.server = server;
    this.documentName = documentName;
    this.config = config;
    this.socket = null;
    this.doc = null;
    this.onEdit = null;
    this.unexpectedClose = null;
    this.closing = false;
    this.unsynced = 0;
    this.autoReconnect = false;
    this.onReconnected = null;
    this.closes = 0;
    this.reconnects = 0;
    this.attempts = 0;
    this.retryTimer = null;
  }

  header(type) {
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, this.documentName);
    encoding.writeVarUint(encoder, type);
    return encoder;
  }

  async connect() {
    if (this.doc === null) {
      this.doc = new Y.Doc();
      this.entries = this.doc.getArray("entries");
      this.entries.observe((event) => {
        if (!this.onEdit) return;
        for (const item of event.changes.added) for (const entry of item.content.getContent()) this.onEdit(entry.id);
      });
    }
    const socket = new WebSocket(this.server.ws, { perMessageDeflate: false, handshakeTimeout: this.config.connect_timeout_s * 1000 });
    this.socket = socket;
    let synced;
    const done = new Promise((resolve, reject) => {
      synced = { resolve, reject };
    });
    socket.on("open", () => {
      const encoder = this.header(HP_AUTH);
      encoding.writeVarUint(encoder, HP_AUTH_TOKEN);
      encoding.writeVarString(encoder, "");
      socket.send(encoding.toUint8Array(encoder));
    });
    socket.on("message", (data) => {
      const decoder = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.length));
      decoding.readVarString(decoder);
      const type = decoding.readVarUint(decoder);
      if (type === HP_SYNC) {
        if (decoding.peekVarUint(decoder) === syncProtocol.messageYjsUpdate) {
          decoding.readVarUint(decoder);
          syncProtocol.readUpdate(decoder, this.doc, this); // the common case: no reply, no encoder
          return;
        }
        const reply = this.header(HP_SYNC);
        const empty = encoding.length(reply);
        const kind = syncProtocol.readSyncMessage(decoder, reply, this.doc, this);
        if (encoding.length(reply) > empty) socket.send(encoding.toUint8Array(reply));
        if (kind === syncProtocol.messageYjsSyncStep2) {
          this.open = true;
          synced.resolve();
        }
      } else if (type === HP_AUTH) {
        const answer = decoding.readVarUint(decoder);
        if (answer === HP_AUTHENTICATED) {
          const encoder = this.header(HP_SYNC);
          syncProtocol.writeSyncStep1(encoder, this.doc);
          socket.send(encoding.toUint8Array(encoder));
        } else if (answer === HP_AUTH_DENIED) {
          synced.reject(new Error("permission denied"));
        }
      } else if (type === 8 /* SyncStatus: the server applied one of ours */) {
        this.unsynced = Math.max(0, this.unsynced - 1);
      }
    });
    socket.on("error", (error) => synced.reject(error));
    socket.on("close", (code) => {
      synced.reject(new Error(`closed ${code} before the sync`));
      closedUnexpectedly(this, socket, code);
    });
    await withTimeout(done, this.config.connect_timeout_s * 1000, "sync");
  }

  reconnect() {
    return this.connect(); // the same doc: the sync exchange brings what either side missed
  }

  get hasUnsyncedChanges() {
    return this.unsynced > 0;
  }

  sendEdit(id, text) {
    if (!this.sending) {
      // Only a writer listens to its doc's updates: with a listener attached, Yjs encodes every applied update.
      this.sending = true;
      this.doc.on("update", (update, origin) => {
        if (origin === this || this.socket?.readyState !== WebSocket.OPEN) return;
        const encoder = this.header(HP_SYNC);
        syncProtocol.writeUpdate(encoder, update);
        this.unsynced += 1;
        this.socket.send(encoding.toUint8Array(encoder));
      });
    }
    this.doc.transact(() => this.entries.push([{ id, text }]));
  }

  ping() {}

  close() {
    this.closing = true;
    this.autoReconnect = false;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000);
  }
}

const ADAPTERS = { app: AppClient, hocuspocus: HocuspocusRawClient, "hocuspocus-provider": HocuspocusClient };

// ---- the shared measuring code (child processes) ------------------------------------------------------------------

class Meeting {
  constructor(index, spec, config) {
    const Adapter = ADAPTERS[config.adapter];
    this.index = index;
    this.name = spec.name;
    this.clients = spec.clients.map((c) => new Adapter(config.servers[c.server], spec.name, c.token, config));
    this.connected = new Set();
    this.edits = new Map(); // id -> {sent, remaining, last, acked, frame}
    this.pendingAcks = 0;
  }

  get writer() {
    return this.clients[0];
  }

  get listeners() {
    return this.clients.slice(1).filter((client) => this.connected.has(client));
  }
}

class Child {
  constructor(config, meetings) {
    this.config = config;
    this.meetings = meetings.map((spec) => new Meeting(spec.index, spec, config));
    this.stats = null;
  }

  async connect() {
    const clients = this.meetings.flatMap((meeting) => meeting.clients.map((client) => [meeting, client]));
    const limit = Math.max(1, Math.ceil(this.config.connect_concurrency / this.config.workers));
    const times = [];
    const failures = [];
    let next = 0;
    const t0 = nowNs();
    const worker = async () => {
      while (next < clients.length) {
        const [meeting, client] = clients[next++];
        const start = nowNs();
        try {
          await client.connect();
          meeting.connected.add(client);
          times.push((nowNs() - start) / 1e6);
        } catch (error) {
          failures.push(String(error?.message ?? error));
          client.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, clients.length) }, worker));
    return { sockets: clients.length, connected: times.length, times, failures, first_ns: t0, last_ns: nowNs() };
  }

  async load({ startNs, stopNs, phase }) {
    const { rate, drain_s: drainS, text_bytes: textBytes } = this.config;
    const deliveries = { count: 0, late: 0, firstSend: Infinity, lastReceive: 0 };
    const everywhere = [];
    const everywhereTaken = [];
    const ackLatencies = [];
    const ackTaken = [];
    const refusals = {};
    let busy = 0;
    let edits = 0;
    let sendLagMaxMs = 0;
    const closesBefore = new Map();
    const reconnectsBefore = new Map();
    for (const meeting of this.meetings) {
      for (const client of meeting.clients) {
        closesBefore.set(client, client.closes);
        reconnectsBefore.set(client, client.reconnects);
      }
    }
    for (const meeting of this.meetings) {
      const listeners = meeting.listeners;
      listeners.forEach((listener, k) => {
        // Once per listener and edit: after a reconnect a snapshot holds edits the listener already had.
        listener.onEdit = (id) => {
          const edit = meeting.edits.get(id);
          if (edit === undefined || edit.got[k]) return; // an earlier phase's edit, or had already
          edit.got[k] = 1;
          const at = nowNs();
          deliveries.count += 1;
          deliveries.lastReceive = Math.max(deliveries.lastReceive, at);
          edit.remaining -= 1;
          edit.last = at;
          if (edit.remaining === 0) {
            everywhere.push((at - edit.sent) / 1e6);
            everywhereTaken.push((at - edit.lastSent) / 1e6);
          }
        };
      });
      for (const client of meeting.clients) client.autoReconnect = meeting.connected.has(client);
      meeting.writer.onEdit = null; // the writer's own echo (app) is not a delivery
      meeting.writer.onReconnected = () => {
        // The board page's rule: after the hello, every op without an answer again, with its op_id.
        for (const edit of meeting.edits.values()) {
          if (edit.acked || edit.frame === null) continue;
          clearTimeout(edit.retry);
          edit.lastSent = nowNs();
          meeting.writer.resend(edit.frame);
        }
      };
      meeting.writer.onAck = (id) => {
        const edit = meeting.edits.get(id);
        if (edit === undefined || edit.acked) return;
        edit.acked = true;
        ackLatencies.push((nowNs() - edit.sent) / 1e6);
        ackTaken.push((nowNs() - edit.lastSent) / 1e6);
      };
      meeting.writer.onRefused = (id, code, retryAfterMs) => {
        const edit = meeting.edits.get(id);
        if (code === "busy" || code === "rate_limited") {
          busy += 1; // not lost: wait as told and resend the same op_id
          if (edit !== undefined) {
            clearTimeout(edit.retry);
            edit.retry = setTimeout(() => {
              if (edit.acked) return;
              edit.lastSent = nowNs();
              meeting.writer.resend(edit.frame);
            }, retryAfterMs ?? 250);
          }
          return;
        }
        refusals[code] = (refusals[code] ?? 0) + 1;
        if (edit !== undefined) edit.acked = true; // final: answered, never to arrive
      };
    }

    // Open loop: each writer sends at `rate` on its own schedule (a random phase), whatever the answers.
    const interval = 1e9 / rate;
    const writers = this.meetings
      .filter((meeting) => meeting.connected.has(meeting.writer))
      .map(async (meeting) => {
        const expected = meeting.listeners.length;
        let at = startNs + Math.random() * interval;
        let k = 0;
        while (at < stopNs) {
          const wait = (at - nowNs()) / 1e6;
          if (wait > 0) await sleep(wait);
          else sendLagMaxMs = Math.max(sendLagMaxMs, -wait);
          const id = `${phase}-${meeting.index}-${k}`;
          const text = editText(id, textBytes);
          const sent = nowNs();
          const edit = { sent, lastSent: sent, remaining: expected, last: 0, acked: false, frame: null, got: new Uint8Array(expected) };
          if (this.config.adapter === "app") {
            edit.frame = JSON.stringify({
              type: "op",
              op_id: id,
              op: { type: "add_card", column: "worries", kind: "harm", text },
            });
          }
          meeting.edits.set(id, edit);
          deliveries.firstSend = Math.min(deliveries.firstSend, sent);
          if (edit.frame !== null) meeting.writer.resend(edit.frame);
          else meeting.writer.sendEdit(id, text);
          edits += 1;
          k += 1;
          at += interval;
        }
      });
    await Promise.all(writers);

    // Drain: until every edit reached every listener (and the app acked it), or drain_s. A listener of a meeting
    // still missing something pings once a second, as the board page does after a second of quiet. Each on its own
    // phase within the second, as pages are (each page's timer runs from its own connect): all pinging in the same
    // instant, 3,800 pings arrived at once every second, a burst no room of pages sends, and the server's turn of
    // reading them held the edits it took meanwhile for 300-450 ms.
    const drainStart = nowNs();
    const drainUntil = drainStart + drainS * 1e9;
    const everyListener = this.meetings.reduce((sum, meeting) => sum + meeting.listeners.length, 0);
    const pingsBy = (at, index) => Math.floor((at - drainStart - 1e9 - (index * 1e9) / everyListener) / 1e9);
    let lastTick = drainStart;
    const missing = () => {
      let lost = 0;
      let unacked = 0;
      const waiting = new Set(); // the meetings whose listeners still miss an edit
      for (const meeting of this.meetings) {
        for (const edit of meeting.edits.values()) {
          lost += edit.remaining;
          if (edit.remaining > 0) waiting.add(meeting);
          if (!edit.acked) unacked += 1;
        }
      }
      return { lost, unacked: this.config.adapter === "app" ? unacked : 0, waiting };
    };
    for (;;) {
      const { lost, unacked, waiting } = missing();
      const now = nowNs();
      if ((lost === 0 && unacked === 0) || now >= drainUntil) break;
      let index = 0;
      for (const meeting of this.meetings) {
        for (const listener of meeting.listeners) {
          if (waiting.has(meeting) && pingsBy(now, index) > pingsBy(lastTick, index)) listener.ping();
          index += 1;
        }
      }
      lastTick = now;
      await sleep(50);
    }
    const { lost, unacked } = missing();
    const closed = [];
    let reconnects = 0;
    let stillClosed = 0;
    for (const meeting of this.meetings) {
      for (const client of meeting.clients) {
        client.autoReconnect = false;
        const closes = client.closes - (closesBefore.get(client) ?? 0);
        for (let i = 0; i < closes; i += 1) closed.push(client.lastCloseCode);
        reconnects += client.reconnects - (reconnectsBefore.get(client) ?? 0);
        if (!client.open && meeting.connected.has(client)) stillClosed += 1;
      }
      for (const edit of meeting.edits.values()) clearTimeout(edit.retry);
      meeting.edits.clear();
    }
    return {
      edits,
      expected: deliveries.count + lost,
      deliveries: deliveries.count,
      lost,
      unacked,
      busy,
      refusals,
      everywhere,
      everywhere_taken: everywhereTaken,
      acks: ackLatencies,
      acks_taken: ackTaken,
      first_send_ns: deliveries.firstSend,
      last_receive_ns: deliveries.lastReceive,
      send_lag_max_ms: sendLagMaxMs,
      closed,
      reconnects,
      still_closed: stillClosed,
    };
  }

  close() {
    for (const meeting of this.meetings) for (const client of meeting.clients) client.close();
  }
}

function childMain() {
  let child = null;
  process.on("disconnect", () => process.exit(0)); // the parent died: never outlive it
  process.on("message", async (message) => {
    try {
      if (message.cmd === "init") {
        child = new Child(message.config, message.meetings);
        process.send({ ev: "ready" });
      } else if (message.cmd === "connect") {
        process.send({ ev: "connected", ...(await child.connect()) });
      } else if (message.cmd === "load") {
        const cpu0 = process.cpuUsage();
        const delay = monitorEventLoopDelay({ resolution: 5 }); // it records the interval: lag + 5 ms
        delay.enable();
        const result = await child.load(message);
        delay.disable();
        const cpu = process.cpuUsage(cpu0);
        const loopDelay = {
          p99_ms: Math.max(0, delay.percentile(99) / 1e6 - 5),
          max_ms: Math.max(0, delay.max / 1e6 - 5),
        };
        process.send({ ev: "loaded", ...result, cpu_s: (cpu.user + cpu.system) / 1e6, loop_delay: loopDelay });
      } else if (message.cmd === "close") {
        child.close();
        await sleep(200);
        process.send({ ev: "closed" });
        process.exit(0);
      }
    } catch (error) {
      process.send({ ev: "failed", error: String(error?.stack ?? error) });
    }
  });
}

// ---- the main process: spreads the meetings over the children, talks to the caller ---------------------------------

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.max(0, Math.min(sorted.length - 1, Math.round((p / 100) * sorted.length + 0.5) - 1));
  return Math.round(sorted[rank] * 1000) / 1000;
}

function summary(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    max_ms: sorted.length ? Math.round(sorted[sorted.length - 1] * 1000) / 1000 : null,
  };
}

class ChildHandle {
  constructor(path) {
    // A young generation large enough that the short-lived garbage of each frame dies there: with the default the
    // children stalled up to ~130 ms in collections, which showed up as the servers' latency.
    this.process = fork(path, ["--child"], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: [...process.execArgv, "--max-semi-space-size=64"],
    });
    this.waiters = [];
    this.process.on("message", (message) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
    });
    this.process.on("exit", (code) => {
      for (const waiter of this.waiters.splice(0)) waiter({ ev: "failed", error: `child exited with ${code}` });
    });
  }

  ask(message, ev, timeoutMs) {
    const answer = new Promise((resolve) => this.waiters.push(resolve));
    this.process.send(message);
    return withTimeout(answer, timeoutMs, `child ${ev}`).then((reply) => {
      if (reply.ev !== ev) throw new Error(`child: expected ${ev}, got ${JSON.stringify(reply).slice(0, 500)}`);
      return reply;
    });
  }
}

async function loadMain(config, commands) {
  const workers = Math.max(1, Math.min(config.workers, config.meetings.length));
  config.workers = workers;
  const shares = Array.from({ length: workers }, () => []);
  config.meetings.forEach((meeting, index) => shares[index % workers].push({ ...meeting, index }));
  const children = shares.map(() => new ChildHandle(fileURLToPath(import.meta.url)));
  try {
    await Promise.all(children.map((c, i) => c.ask({ cmd: "init", config, meetings: shares[i] }, "ready", 30_000)));

    const connectMs = config.deadline_s * 1000;
    const t0 = nowNs();
    const connected = await Promise.all(children.map((c) => c.ask({ cmd: "connect" }, "connected", connectMs)));
    const last = Math.max(...connected.map((c) => c.last_ns));
    const failures = connected.flatMap((c) => c.failures);
    emit({
      event: "connected",
      sockets: connected.reduce((n, c) => n + c.sockets, 0),
      connected: connected.reduce((n, c) => n + c.connected, 0),
      connect_all_s: Math.round((last - t0) / 1e6) / 1000,
      per_socket: summary(connected.flatMap((c) => c.times)),
      failures: failures.length,
      failure_sample: [...new Set(failures)].slice(0, 5),
      pids: [process.pid, ...children.map((c) => c.process.pid)],
    });

    if ((await commands.next()) === "load") {
      const startNs = nowNs() + 500e6; // every child starts on the same clock tick
      const stopNs = startNs + config.seconds * 1e9;
      const loads = children.map((c) =>
        c.ask({ cmd: "load", startNs, stopNs, phase: config.phase }, "loaded", (config.seconds + config.drain_s + 60) * 1000),
      );
      await sleep((startNs - nowNs()) / 1e6);
      emit({ event: "load_start" });
      await sleep((stopNs - nowNs()) / 1e6);
      emit({ event: "load_stop" });
      const results = await Promise.all(loads);
      const sum = (key) => results.reduce((n, r) => n + r[key], 0);
      const firstSend = Math.min(...results.map((r) => r.first_send_ns));
      const lastReceive = Math.max(...results.map((r) => r.last_receive_ns));
      const refusals = {};
      for (const r of results) for (const [code, n] of Object.entries(r.refusals)) refusals[code] = (refusals[code] ?? 0) + n;
      const closed = results.flatMap((r) => r.closed);
      emit({
        event: "load_result",
        edits: sum("edits"),
        edits_per_s: Math.round((sum("edits") / config.seconds) * 10) / 10,
        deliveries: sum("deliveries"),
        expected: sum("expected"),
        lost: sum("lost"),
        unacked: sum("unacked"),
        busy: sum("busy"),
        refusals,
        deliveries_per_s: Math.round(sum("deliveries") / Math.max(1e-9, (lastReceive - firstSend) / 1e9)),
        everywhere: summary(results.flatMap((r) => r.everywhere)),
        everywhere_taken: summary(results.flatMap((r) => r.everywhere_taken)),
        ack: summary(results.flatMap((r) => r.acks)),
        ack_taken: summary(results.flatMap((r) => r.acks_taken)),
        send_lag_max_ms: Math.round(Math.max(...results.map((r) => r.send_lag_max_ms))),
        loop_delay_p99_ms: Math.round(Math.max(...results.map((r) => r.loop_delay.p99_ms))),
        loop_delay_max_ms: Math.round(Math.max(...results.map((r) => r.loop_delay.max_ms))),
        closed: closed.length,
        closed_sample: [...new Set(closed.map(String))].slice(0, 5),
        reconnects: sum("reconnects"),
        still_closed: sum("still_closed"),
        loadgen_cpu_s: Math.round(sum("cpu_s") * 100) / 100,
      });
      await commands.next();
    }
    await Promise.all(children.map((c) => c.ask({ cmd: "close" }, "closed", 30_000).catch(() => null)));
    emit({ event: "closed" });
  } finally {
    for (const c of children) if (c.process.exitCode === null) c.process.kill("SIGKILL");
  }
}

// Catch-up: a client connects, leaves, misses `edits` edits, and comes back; how long until it has them all.
// app: reconnect with `since` (its cookie kept: no new sign-in), hello parsed and applied.
// hocuspocus: a fresh provider (an empty Y.Doc) syncs the document that holds the edits.
async function catchupMain(config) {
  const spec = config.meetings[0];
  const Adapter = ADAPTERS[config.adapter];
  const server = config.servers[spec.clients[0].server];
  const writer = new Adapter(server, spec.name, spec.clients[0].token, config);
  const catcher = new Adapter(config.servers[spec.clients[1].server], spec.name, spec.clients[1].token, config);
  const { edits, repeats } = config.catchup;
  await writer.connect();
  await catcher.connect();
  const since = catcher.seq ?? 0;
  catcher.close();
  await sleep(200);

  // The writer sends every edit, at most 64 in flight (app: until each is acked; busy is resent).
  const t0 = nowNs();
  let busy = 0;
  if (config.adapter === "app") {
    const frames = new Map();
    let acked = 0;
    let allAcked;
    const done = new Promise((resolve) => {
      allAcked = resolve;
    });
    let next = 0;
    const sendNext = () => {
      if (next >= edits) return;
      const id = `catchup-${next++}`;
      const frame = JSON.stringify({
        type: "op",
        op_id: id,
        op: { type: "add_card", column: "worries", kind: "harm", text: editText(id, config.text_bytes) },
      });
      frames.set(id, frame);
      writer.resend(frame);
    };
    writer.onAck = () => {
      acked += 1;
      if (acked === edits) allAcked();
      sendNext();
    };
    writer.onRefused = (id, code, retryAfterMs) => {
      if (code === "busy" || code === "rate_limited") {
        busy += 1;
        setTimeout(() => writer.resend(frames.get(id)), retryAfterMs ?? 250);
      } else {
        acked += 1;
        if (acked === edits) allAcked();
        sendNext();
      }
    };
    for (let i = 0; i < 64; i += 1) sendNext();
    await withTimeout(done, 120_000, "catch-up edits");
  } else {
    for (let i = 0; i < edits; i += 1) writer.sendEdit(`catchup-${i}`, editText(`catchup-${i}`, config.text_bytes));
    const until = nowNs() + 120e9;
    const unsynced = () => (writer.provider ?? writer).hasUnsyncedChanges;
    while (unsynced() && nowNs() < until) await sleep(10);
    if (unsynced()) throw new Error("the server never confirmed the catch-up edits");
  }
  const writeS = (nowNs() - t0) / 1e9;

  const times = [];
  let have = 0;
  let helloKind = null;
  let helloBytes = 0;
  for (let r = 0; r < repeats; r += 1) {
    await sleep(200);
    const client =
      config.adapter === "app"
        ? catcher
        : new Adapter(config.servers[spec.clients[1].server], spec.name, null, config);
    const start = nowNs();
    if (config.adapter === "app") await client.connect(since);
    else await client.connect();
    times.push((nowNs() - start) / 1e6);
    have = config.adapter === "app" ? client.cards.size : client.entries.length;
    helloKind = client.helloKind ?? "sync";
    helloBytes = client.helloBytes ?? 0;
    client.close();
  }
  writer.close();
  emit({
    event: "catchup_result",
    edits,
    write_s: Math.round(writeS * 100) / 100,
    busy,
    caught_up: summary(times),
    times_ms: times.map((t) => Math.round(t * 100) / 100),
    items_after: have,
    hello: helloKind,
    hello_bytes: helloBytes,
  });
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const watchdog = setTimeout(() => {
    emit({ event: "failed", error: `deadline of ${config.deadline_s} s passed` });
    process.exit(3);
  }, config.deadline_s * 1000);
  watchdog.unref();
  const lines = createInterface({ input: process.stdin });
  const queue = [];
  const waiting = [];
  lines.on("line", (line) => (waiting.length ? waiting.shift()(line.trim()) : queue.push(line.trim())));
  lines.on("close", () => {
    for (const w of waiting.splice(0)) w("close");
    queue.push("close");
  });
  const commands = {
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))),
  };
  try {
    if (config.mode === "catchup") await catchupMain(config);
    else await loadMain(config, commands);
    process.exit(0);
  } catch (error) {
    emit({ event: "failed", error: String(error?.stack ?? error) });
    process.exit(1);
  }
}

if (process.argv[2] === "--child") childMain();
else main();
