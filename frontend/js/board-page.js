// The board page's controller: owns the state, wires the connection to the model and the views.
// Nothing of the meeting is written to browser storage: when this page goes, so does everything it held.

import { ApiError, meetingsApi } from "./api.js";
import { applyEvent, columnsFromBoard, displayColumns, emptyColumns, findCard } from "./board-model.js";
import { BoardConnection } from "./connection.js";
import { COLUMNS, columnById, kindForMove } from "./kinds.js";
import { BoardView } from "./views/board-view.js";
import { EndView } from "./views/end-view.js";
import { HeaderView } from "./views/header-view.js";
import { NoticesView } from "./views/notices-view.js";
import { PeopleView } from "./views/people-view.js";

const meetingId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

const state = {
  phase: "loading", // loading | board | ended | left | failed
  endMessage: "",
  meeting: null,
  me: null,
  permissions: { add_card: "none", edit_card: "none", move_card: "none", delete_card: "none" },
  readOnly: false,
  columns: emptyColumns(),
  pendingOps: [],
  display: emptyColumns(),
  names: new Map(), // participant id -> {display_name, role, agency}: everyone seen during this visit
  present: [],
  connection: { state: "connecting", message: "", pending: 0 },
  notices: [],
  ui: {
    editing: {}, // card id -> {text, kind, baseVersion, conflict: card|null, note}
    moving: null,
    confirmingDelete: null,
    confirmingLeave: false,
    addDrafts: Object.fromEntries(COLUMNS.map((c) => [c.id, { text: "", kind: c.kinds[0] }])),
    focusRequest: null,
  },
  people: { enabled: false, list: [], busy: false, message: "", newLink: null, copyStatus: "", resetToken: 0 },
};

let connection = null;
let leaving = false; // the server ends our socket when we leave: that is not "session ended"
let noticeCounter = 0;
let focusCounter = 0;
let renderQueued = false;

const views = {
  header: new HeaderView(document.querySelector("[data-testid=meeting-header]")),
  notices: new NoticesView(document.querySelector("[data-testid=notices]")),
  people: new PeopleView(document.querySelector("[data-testid=people-panel]")),
  board: new BoardView(document.querySelector("[data-testid=board]")),
  end: new EndView(document.querySelector("[data-testid=end-state]")),
};

// ---- rendering --------------------------------------------------------------------------------------------

function render() {
  renderQueued = false;
  state.display = displayColumns(state.columns, state.pendingOps, state.me);
  views.end.render(state);
  if (state.phase !== "board") return;
  views.header.render(state);
  views.notices.render(state);
  views.people.render(state);
  views.board.render(state);
}

/** Render once after the current burst of frames (a reconnect can deliver many events in one go). */
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(render);
}

function notify(text, tone = "info") {
  noticeCounter += 1;
  state.notices = [...state.notices.slice(-3), { id: noticeCounter, text, tone }];
  scheduleRender();
}

function requestFocus(key, selector) {
  focusCounter += 1;
  state.ui.focusRequest = { key, selector, token: focusCounter };
}

function remember(person) {
  const id = person.participant_id || person.id;
  if (!id) return;
  state.names.set(id, { display_name: person.display_name, role: person.role, agency: person.agency ?? null });
}

// ---- connection handlers ----------------------------------------------------------------------------------

const connectionHandlers = {
  status({ state: connectionState, message, pending }) {
    state.connection = { state: connectionState, message, pending };
    if (connectionState === "ended" && !leaving) endSession(message);
    scheduleRender();
  },
  hello(frame) {
    if (frame.you) remember(frame.you);
    state.present = frame.present || [];
    state.present.forEach(remember);
    if (frame.board) {
      state.columns = columnsFromBoard(frame.board);
      state.readOnly = Boolean(frame.board.read_only);
      dropVanishedUi();
    }
    scheduleRender();
  },
  event(frame) {
    state.columns = applyEvent(state.columns, frame);
    const editing = frame.card ? state.ui.editing[frame.card.id] : undefined;
    if (editing && frame.card.version > editing.baseVersion) {
      // Someone changed the card under an open edit: say so now, keep the words, and let Save overwrite.
      const card = frame.card;
      state.ui.editing[card.id] = {
        ...editing,
        kind: columnById(card.column).kinds.includes(editing.kind) ? editing.kind : card.kind,
        baseVersion: card.version,
        conflict: { text: card.text, kind: card.kind, version: card.version },
      };
    }
    if (frame.op && frame.op.type === "delete_card") dropVanishedUi();
    scheduleRender();
  },
  ack() {
    scheduleRender();
  },
  pending(list) {
    state.pendingOps = list;
    scheduleRender();
  },
  presence(frame) {
    state.present = frame.present || [];
    state.present.forEach(remember);
    scheduleRender();
  },
  error(frame, entry) {
    handleRefusal(frame, entry ? entry.op : null);
    scheduleRender();
  },
};

/** A card someone else deleted cannot stay open for moving or deleting; an open edit keeps its words. */
function dropVanishedUi() {
  const exists = (id) => findCard(state.columns, id) !== null;
  if (state.ui.moving && !exists(state.ui.moving)) state.ui.moving = null;
  if (state.ui.confirmingDelete && !exists(state.ui.confirmingDelete)) state.ui.confirmingDelete = null;
  for (const [cardId, editing] of Object.entries(state.ui.editing)) {
    if (!exists(cardId)) {
      delete state.ui.editing[cardId];
      if (editing.text.trim()) {
        notify(
          `Someone deleted a card you were editing. Your words were: “${editing.text}”. You can add them as a new card.`,
          "warning",
        );
      }
    }
  }
}

function handleRefusal(frame, op) {
  if (frame.code === "stale_version" && frame.current && op) {
    const current = frame.current;
    if (op.type === "edit_card") {
      // Keep what they typed, show what the card says now, and base the next save on the current version.
      state.ui.editing[current.id] = {
        text: op.text !== undefined ? op.text : current.text,
        kind: op.kind !== undefined && columnById(current.column).kinds.includes(op.kind) ? op.kind : current.kind,
        baseVersion: current.version,
        conflict: { text: current.text, kind: current.kind, version: current.version },
        note: "",
      };
      requestFocus(current.id, "textarea[name=text]");
      return;
    }
    if (op.type === "delete_card") {
      notify(
        "Someone changed that card just before you deleted it, so it has not been deleted. " +
          "Read it again, and delete it if you still want to.",
        "warning",
      );
      return;
    }
  }
  if (op && op.type === "add_card") {
    // Nothing typed is lost: put the words back in the add box if it is empty.
    const draft = state.ui.addDrafts[op.column];
    if (draft && !draft.text.trim()) state.ui.addDrafts[op.column] = { text: op.text, kind: op.kind };
  }
  if (op && op.type === "edit_card" && frame.code !== "card_not_found") {
    const found = findCard(state.columns, op.card_id);
    if (found) {
      state.ui.editing[op.card_id] = {
        text: op.text !== undefined ? op.text : found.card.text,
        kind: op.kind || found.card.kind,
        baseVersion: found.card.version,
        conflict: null,
        note: frame.message,
      };
      return;
    }
  }
  notify(frame.message || "That change could not be made.", "warning");
}

// ---- user actions -----------------------------------------------------------------------------------------

function sendOp(op) {
  if (!connection) return;
  connection.send(op);
}

function cardAt(cardId) {
  return findCard(state.columns, cardId);
}

const boardHandlers = {
  onAddDraft(column, change) {
    state.ui.addDrafts[column] = { ...state.ui.addDrafts[column], ...change };
    scheduleRender();
  },
  onAdd(column) {
    const draft = state.ui.addDrafts[column];
    const text = draft.text.trim();
    if (!text) return;
    const kinds = columnById(column).kinds;
    sendOp({ type: "add_card", column, kind: kinds.includes(draft.kind) ? draft.kind : kinds[0], text });
    state.ui.addDrafts[column] = { text: "", kind: draft.kind };
    scheduleRender();
  },
  onEditStart(cardId) {
    const found = cardAt(cardId);
    if (!found) return;
    state.ui.moving = null;
    state.ui.confirmingDelete = null;
    state.ui.editing[cardId] = {
      text: found.card.text,
      kind: found.card.kind,
      baseVersion: found.card.version,
      conflict: null,
      note: "",
    };
    requestFocus(cardId, "textarea[name=text]");
    scheduleRender();
  },
  onEditDraft(cardId, change) {
    const editing = state.ui.editing[cardId];
    if (!editing) return;
    state.ui.editing[cardId] = { ...editing, ...change };
    scheduleRender();
  },
  onEditCancel(cardId) {
    delete state.ui.editing[cardId];
    requestFocus(cardId, "[data-action=edit]");
    scheduleRender();
  },
  onEditSave(cardId) {
    const editing = state.ui.editing[cardId];
    const found = cardAt(cardId);
    if (!editing || !found) return;
    const text = editing.text.trim();
    if (!text) {
      state.ui.editing[cardId] = { ...editing, note: "A card needs some words. To remove it, use Delete." };
      scheduleRender();
      return;
    }
    const op = { type: "edit_card", card_id: cardId, base_version: editing.baseVersion };
    if (text !== found.card.text || editing.conflict) op.text = text;
    if (editing.kind !== found.card.kind) op.kind = editing.kind;
    delete state.ui.editing[cardId];
    if (op.text !== undefined || op.kind !== undefined) sendOp(op);
    requestFocus(cardId, "[data-action=edit]");
    scheduleRender();
  },
  onMoveStart(cardId) {
    state.ui.moving = cardId;
    state.ui.confirmingDelete = null;
    requestFocus(cardId, "[data-action=move-done]");
    scheduleRender();
  },
  onMoveUp(cardId) {
    const found = cardAt(cardId);
    if (!found || found.index === 0) return;
    sendOp({ type: "move_card", card_id: cardId, column: found.column, position: found.index - 1 });
  },
  onMoveDown(cardId) {
    const found = cardAt(cardId);
    if (!found || found.index >= state.columns[found.column].length - 1) return;
    sendOp({ type: "move_card", card_id: cardId, column: found.column, position: found.index + 1 });
  },
  onMove(cardId, { column }) {
    const found = cardAt(cardId);
    if (!found || !columnById(column)) return;
    const op = { type: "move_card", card_id: cardId, column, position: state.columns[column].length };
    const kind = kindForMove(found.card, column);
    if (kind) op.kind = kind;
    state.ui.moving = null;
    sendOp(op);
    scheduleRender();
  },
  onMoveDone(cardId) {
    state.ui.moving = null;
    requestFocus(cardId, "[data-action=move]");
    scheduleRender();
  },
  onDeleteAsk(cardId) {
    state.ui.confirmingDelete = cardId;
    state.ui.moving = null;
    requestFocus(cardId, "[data-action=delete-cancel]");
    scheduleRender();
  },
  onDeleteConfirm(cardId) {
    const found = cardAt(cardId);
    state.ui.confirmingDelete = null;
    if (found) sendOp({ type: "delete_card", card_id: cardId, base_version: found.card.version });
    scheduleRender();
  },
  onDeleteCancel(cardId) {
    state.ui.confirmingDelete = null;
    requestFocus(cardId, "[data-action=delete]");
    scheduleRender();
  },
};

const headerHandlers = {
  onLeaveAsk() {
    state.ui.confirmingLeave = true;
    scheduleRender();
  },
  onLeaveCancel() {
    state.ui.confirmingLeave = false;
    scheduleRender();
  },
  async onLeaveConfirm() {
    leaving = true;
    try {
      await meetingsApi.leave(meetingId);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) {
        leaving = false;
        state.ui.confirmingLeave = false;
        notify(`Could not leave the meeting: ${error.message}`, "warning");
        return;
      }
    }
    forgetEverything("left");
  },
};

const noticeHandlers = {
  onDismiss(id) {
    state.notices = state.notices.filter((n) => n.id !== id);
    scheduleRender();
  },
};

// ---- the chair's People panel -----------------------------------------------------------------------------

async function loadPeople() {
  try {
    const list = await meetingsApi.participants(meetingId);
    state.people.list = list;
    for (const { participant } of list) remember(participant);
  } catch (error) {
    state.people.message = `Could not load the list of people: ${error.message}`;
  }
  scheduleRender();
}

async function peopleAction(work) {
  state.people.busy = true;
  state.people.message = "";
  scheduleRender();
  try {
    await work();
    await loadPeople();
  } catch (error) {
    state.people.message = error.message;
    if (error instanceof ApiError && error.status === 401) endSession(error.message);
  } finally {
    state.people.busy = false;
    scheduleRender();
  }
}

function showLink(participant, url) {
  state.people.newLink = { participantId: participant.id, name: participant.display_name, url };
  state.people.copyStatus = "";
}

const peopleHandlers = {
  onAddPerson(person) {
    if (!person.display_name) {
      state.people.message = "Please write the person's name.";
      scheduleRender();
      return;
    }
    peopleAction(async () => {
      const result = await meetingsApi.addParticipant(meetingId, person);
      remember(result.participant);
      showLink(result.participant, result.invite_url);
      state.people.resetToken += 1;
    });
  },
  onNewLink(pid) {
    peopleAction(async () => {
      const result = await meetingsApi.newInvite(meetingId, pid);
      showLink(result.participant, result.invite_url);
    });
  },
  onRevoke(pid) {
    peopleAction(async () => {
      await meetingsApi.revokeInvite(meetingId, pid);
      if (state.people.newLink && state.people.newLink.participantId === pid) state.people.newLink = null;
      state.people.message = "Link revoked. That person is no longer in the meeting.";
    });
  },
  async onCopy(url, input) {
    try {
      await navigator.clipboard.writeText(url);
      state.people.copyStatus = "Link copied.";
    } catch {
      input.focus();
      input.select();
      state.people.copyStatus = "The link is selected: copy it with Ctrl+C, or press and hold, then Copy.";
    }
    scheduleRender();
  },
};

// ---- ending -----------------------------------------------------------------------------------------------

function endSession(message) {
  forgetEverything("ended", message || "Your session has ended. Ask the chair for a new link.");
}

/** Drop everything this page knew about the meeting, so nothing of it stays on a shared screen. */
function forgetEverything(phase, message = "") {
  if (connection) {
    const old = connection;
    connection = null;
    old.stop();
  }
  state.phase = phase;
  state.endMessage = message;
  state.columns = emptyColumns();
  state.pendingOps = [];
  state.names.clear();
  state.present = [];
  state.notices = [];
  state.meeting = null;
  state.me = null;
  state.people = { ...state.people, enabled: false, list: [], newLink: null };
  state.ui.editing = {};
  state.connection = { state: "ended", message, pending: 0 };
  for (const selector of ["[data-testid=board]", "[data-testid=notices]", "[data-testid=presence]"]) {
    document.querySelector(selector)?.replaceChildren();
  }
  for (const selector of ["[data-testid=meeting-header]", "[data-testid=people-panel]", "[data-testid=board]"]) {
    const el = document.querySelector(selector);
    if (el) el.hidden = true;
  }
  const status = document.querySelector("[data-testid=connection-status]");
  if (status) status.dataset.state = "ended";
  document.title = "SoS Board";
  window.sosBoard = undefined;
  render();
}

// ---- start ------------------------------------------------------------------------------------------------

async function start() {
  views.board.bind(boardHandlers);
  views.header.bind(headerHandlers);
  views.notices.bind(noticeHandlers);
  views.people.bind(peopleHandlers);
  views.end.bind({});

  if (!meetingId) {
    forgetEverything("failed", "This address does not name a meeting. Use the link you were sent.");
    return;
  }
  let me;
  try {
    me = await meetingsApi.me(meetingId);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      endSession("Your session has ended. Ask the chair for a new link.");
    } else {
      forgetEverything("failed", error.message);
    }
    return;
  }
  state.meeting = me.meeting;
  state.me = me.participant;
  state.permissions = me.permissions || state.permissions;
  remember(me.participant);
  state.phase = "board";
  document.body.classList.toggle("projector", me.participant.role === "projector");
  document.body.classList.toggle("read-only-role", state.permissions.add_card === "none");
  document.body.dataset.role = me.participant.role;
  state.people.enabled = me.participant.role === "chair";

  connection = new BoardConnection({
    meetingId,
    handlers: connectionHandlers,
    checkSession: async () => {
      try {
        await meetingsApi.me(meetingId);
        return "ok";
      } catch (error) {
        // 401: the session is over; 403: not allowed; 404: the meeting is gone. None of these heal by retrying.
        if (error instanceof ApiError && [401, 403, 404].includes(error.status)) return "ended";
        return "unknown";
      }
    },
  });
  // For the browser tests and for anyone debugging from the console: the connection, nothing stored.
  window.sosBoard = { connection };
  connection.start();
  if (state.people.enabled) loadPeople();
  render();
}

window.addEventListener("beforeunload", (event) => {
  if (connection && connection.pending.size > 0) {
    event.preventDefault();
    event.returnValue = "";
  }
});

start();
