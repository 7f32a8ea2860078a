// The board page's controller: owns the state and the connection; the views (views/app.js) only render it and
// call the actions below. Nothing of the meeting is written to browser storage: when this page goes, so does
// everything it held.
//
// Drafts of every form live here (state.ui.drafts, keyed by form), not in components, so moving the meeting to
// another phase, or looking at another part, never throws away what anyone is typing.

import { ApiError, api, meetingsApi } from "./api.js";
import { BoardConnection } from "./connection.js";
import { COLUMNS, columnById, kindForMove } from "./kinds.js";
import { applyChanges, currentPhase, displayColumns, emptyMeeting, findCard, findItem, meetingFromBoard } from "./meeting-model.js";
import { SHORTCUTS, shortcutFor } from "./shortcuts.js";
import { html, render as renderTree } from "./ui.js";
import { App, makeContext } from "./views/app.js";
import { AGREEMENT, partOfArea, partOfEntity } from "./words.js";

const meetingId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const root = document.getElementById("app");

function freshUi() {
  return {
    viewPhase: null, // the phase this person chose to look at; null: wherever the meeting is
    movedNote: false, // the meeting moved on while they were typing, so their view stayed where they were
    editing: {}, // card id -> {text, kind, baseVersion, conflict, note}
    moving: null,
    moveTarget: null,
    confirmingDelete: null,
    confirmingLeave: false,
    addDrafts: Object.fromEntries(COLUMNS.map((c) => [c.id, { text: "", kind: c.kinds[0] }])),
    drafts: {}, // form key -> {field: value}
    editors: {}, // form key -> {entity, id, versionKey, base, conflict, current}
    formErrors: {}, // form key -> plain words
    focusRequest: null, // {selector, token}: put the keyboard focus there after the next render
    scrollRequest: null, // an item key ("statement:abc") to scroll to after the next render
    followPart: null, // the room screen: the part holding what the chair last pointed at, until the phase moves
    // the family's tablet: "Add your words", one tap from the top of the screen
    familyAdd: { open: false, column: "working_well", kind: "strength", text: "" },
    familyAdded: "", // said after their words went in, next to the button
    // Words kept from a form that went away under the person: a card deleted while they edited it ({id, cardId,
    // column, index, kind, text}), or a round shown before their answer was sent ({id, roundId, value, text}).
    lostEdits: [],
    speaking: null, // the key of the card or statement being read aloud
  };
}

/** The chair's console: the People and joining drawer, and the keyboard shortcuts' list. */
function freshConsole() {
  return { drawer: false, help: false, shortcutsOn: true };
}

/** The room code and the lobby (the chair; the room screen reads the code during the introductions). */
function freshRoom() {
  return {
    code: undefined, // undefined: not asked yet; null: none; else {code, expires_at, join_url}
    busy: false,
    message: "",
    lobby: [], // the waiting devices: {id, arrived_at, expires_at}
    lobbyMessage: "",
    admit: {}, // entry id -> {display_name, role, agency}: the chair's words for each waiting device
  };
}

function freshPeople() {
  return {
    enabled: false,
    list: [],
    busy: false,
    message: "",
    newLink: null,
    copyStatus: "",
    form: { display_name: "", role: "professional", agency: "" },
  };
}

function freshAudit() {
  return { loading: false, entries: null, message: "" }; // entries: null until the chair asks to see them
}

/** The record: the chair's finalise confirmation, and once finalised, its check and its retention. */
function freshRecord() {
  return {
    confirming: false, // the chair's confirmation is open
    checking: false,
    missing: null, // what GET finalise-check listed; null until it answers
    checkMessage: "",
    finalising: false, // "Finalise now" was pressed and the op is on its way
    verification: null, // GET verify's answer
    checkedAt: null,
    verifying: false,
    verifiedSeq: null, // the seq the last check was asked at: a later op (an addendum) asks again
    verifyMessage: "",
    retention: null, // GET retention's answer (chair)
    retentionLoading: false,
    holdBusy: false,
    holdWanted: false, // while a hold is being placed or lifted: what the box shows
    holdMessage: "",
  };
}

/** The family's tablet and the room screen keep nothing of a finalised meeting: the server ends their sessions
 * after `finalised_screens_close_seconds` (1.5 s unless the deployment says otherwise; the server does not tell
 * the page). If the close never arrives (offline), the page forgets by itself after this delay. */
const FINISHED_SCREEN_MS = 3_000;

const state = {
  phase: "loading", // loading | board | ended | left | failed
  endMessage: "",
  endWords: [], // the finished screen: words that were waiting to be sent when the meeting was finished
  meeting: null,
  me: null,
  permissions: {},
  board: emptyMeeting(),
  pendingOps: [],
  display: {},
  names: new Map(), // participant id -> {display_name, role, agency}: everyone invited or seen
  present: [],
  connection: { state: "connecting", message: "", pending: 0 },
  notices: [],
  clockSkewMs: 0, // server clock minus this device's clock
  ui: freshUi(),
  people: freshPeople(),
  audit: freshAudit(),
  record: freshRecord(),
  console: freshConsole(),
  room: freshRoom(),
  textSize: 0, // the family's tablet: 0 (as it comes) to 3 (largest); in memory only, like everything here
};

let connection = null;
let leaving = false; // the server ends our socket when we leave: that is not "session ended"
let finishTimer = null; // a finalised meeting on the family's tablet or the room screen: when to forget it
let finishing = false;
let meetingFinished = false; // the server said this screen's session ended because the meeting was finalised
/** The family's tablet: words that could not go in because the meeting was finished first, for its last screen
 * (in memory only, like everything here). */
const wordsTooLate = new Set();
let noticeCounter = 0;
let focusCounter = 0;
let renderQueued = false;
let lastFocusToken = null;
let lastFocusKey = null;
let lastEditingSent = null; // what the server was last told this screen is editing ("card:<id>" or "")
let lobbyTimer = null; // the chair: asks for the lobby every few seconds while it matters
let roomCodeTimer = null; // the room screen: asks for the room code while the introductions are on
let peopleReload = null; // a presence change: the People list is asked for again, once the burst has passed
let lastPresenceKey = "";
const LOBBY_POLL_OPEN_MS = 3000; // the People and joining drawer is open
const LOBBY_POLL_CLOSED_MS = 10000; // closed, with a room code live: enough to show "1 waiting" on its button
const ROOM_CODE_POLL_MS = 3000; // the chair may make a new code at any moment: the wall shows it within seconds
/** op id -> {form, draft, editor}: what a form sent, so a refusal can give the words back where they were. */
const sentForms = new Map();
/** Refusals given back to a form during this burst of frames, to check once the screen shows them. */
const refusalsToCheck = [];

// ---- rendering --------------------------------------------------------------------------------------------

function render() {
  renderQueued = false;
  state.display = displayColumns(state.board.columns, state.pendingOps, state.me);
  const active = document.activeElement;
  const selection =
    active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
  renderTree(html`<${App} state=${state} actions=${actions} />`, root);
  // Preact keeps the nodes of whatever did not change; a node moved within a list can lose focus: give it back.
  if (active && active !== document.body && document.activeElement !== active && active.isConnected) {
    active.focus();
    if (selection && typeof active.selectionStart === "number") [active.selectionStart, active.selectionEnd] = selection;
  }
  const request = state.ui.focusRequest;
  if (request && request.token !== lastFocusToken) {
    lastFocusToken = request.token;
    // One selector, or several to try in turn (the first found takes the focus).
    const selectors = Array.isArray(request.selector) ? request.selector : [request.selector];
    const target = selectors.map((selector) => root.querySelector(selector)).find(Boolean);
    if (target) {
      target.focus({ preventScroll: request.preventScroll });
      if (target.tagName === "TEXTAREA") target.selectionStart = target.selectionEnd = target.value.length;
    }
  }
  followFocus();
  surfaceHiddenRefusals();
  document.documentElement.dataset.textSize = String(state.textSize);
  document.body.classList.toggle("drawer-open", state.phase === "board" && state.console.drawer);
  tellEditing();
  watchRoomCode();
  // A shared screen (the family's tablet, the wall) never names the case in its tab's title: the browser's history
  // keeps the titles of the pages it showed, and may keep one set during the meeting after the page has left it.
  const named = state.meeting && state.phase === "board" && !isWatcher();
  document.title = named ? `${state.meeting.title} · SoS Board` : "SoS Board";
}

/** The room screen scrolls to what the chair points at; anyone else does when they ask ("Show me"). */
function followFocus() {
  const focus = state.board.focus;
  const key = focus ? `${focus.entity}:${focus.item_id}` : null;
  let target = null;
  if (key !== lastFocusKey) {
    lastFocusKey = key;
    if (key && state.me && state.me.role === "projector") target = key;
  }
  if (state.ui.scrollRequest) {
    target = state.ui.scrollRequest;
    state.ui.scrollRequest = null;
  }
  if (!target) return;
  const el = root.querySelector(`[data-item="${CSS.escape(target)}"]`);
  if (!el) return;
  const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  el.scrollIntoView({ block: "center", behavior: calm ? "auto" : "smooth" });
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

function requestFocus(selector, { preventScroll = false } = {}) {
  focusCounter += 1;
  state.ui.focusRequest = { selector, token: focusCounter, preventScroll };
}

function remember(person) {
  const id = person.participant_id || person.id;
  if (!id) return;
  state.names.set(id, { display_name: person.display_name, role: person.role, agency: person.agency ?? null });
}

function context() {
  return makeContext(state, actions);
}

// ---- forms: what each one sends ---------------------------------------------------------------------------

/** The version an edit of this kind is based on, read from the item as it is (0: nothing there yet). */
const VERSION = {
  version: (item) => (item ? item.version : 0),
  goal: (item) => (item && item.goal ? item.goal.version : 0),
  family_view: (item) => (item && item.family_view ? item.family_view.version : 0),
  decision: (item) => (item && item.outcome ? item.version : 0),
};

function summarize(editor, item) {
  if (!item) return "";
  let part = item;
  if (editor.versionKey === "goal") part = item.goal;
  if (editor.versionKey === "family_view") part = item.family_view;
  if (!part) return "";
  if (part.agreement) return `${AGREEMENT[part.agreement] || part.agreement}${part.words ? `: ${part.words}` : ""}`;
  return Object.entries(part)
    .filter(([key, value]) => typeof value === "string" && value && !/(^id|_id|_by|_at|^house|^column|^kind)$/.test(key))
    .map(([, value]) => value)
    .join(" · ");
}

const trim = (value) => (typeof value === "string" ? value.trim() : value);

function whoFromChoice(draft) {
  const choice = draft.who || "";
  if (!choice) return { who: null };
  if (choice === "person") {
    const name = trim(draft.who_name || "");
    if (!name) return { error: "Please write the name of who will do it." };
    return { who: { kind: "person", name } };
  }
  const [kind, id] = choice.split(":");
  if (kind === "attendee") return { who: { kind: "attendee", attendee_id: id } };
  if (kind === "network") return { who: { kind: "network", member_id: id } };
  return { who: null };
}

function choiceFromWho(who) {
  if (!who) return { who: "" };
  if (who.kind === "attendee") return { who: `attendee:${who.attendee_id}` };
  if (who.kind === "network") return { who: `network:${who.member_id}` };
  return { who: "person", who_name: who.name };
}

/**
 * One entry per kind of form (the part of a form key before ':'). `build(draft, id, editor)` returns the op to
 * send or {error}; `editor` describes the item an edit form is about, so its version can be checked.
 */
const FORMS = {
  child: {
    part: "attendance",
    build(d) {
      const name = trim(d.name || "");
      if (!name) return { error: "Please write the child's first name or initials." };
      const age = d.age === undefined || d.age === "" ? null : Number(d.age);
      if (age !== null && (!Number.isInteger(age) || age < 0 || age > 25)) return { error: "Please give the age in whole years, from 0 to 25." };
      return { type: "add_child", name, age };
    },
  },
  attendee: {
    part: "attendance",
    build(d) {
      const name = trim(d.name || "");
      if (!name) return { error: "Please write the person's name." };
      return {
        type: "add_attendee",
        name,
        role_label: trim(d.role_label || ""),
        agency: trim(d.agency || ""),
        group: d.group || "professional",
        status: d.status || "present",
        report_sent: Boolean(d.report_sent),
      };
    },
  },
  statement: {
    part: "statements",
    editor: {
      entity: "statement",
      versionKey: "version",
      fromItem: (s) => ({
        who_is_worried: s.who_is_worried,
        behaviour: s.behaviour,
        impact: s.impact,
        if_nothing_changes: s.if_nothing_changes,
        child_ids: [...(s.child_ids || [])],
      }),
    },
    build(d, id, editor) {
      const words = {
        who_is_worried: trim(d.who_is_worried || ""),
        behaviour: trim(d.behaviour || ""),
        impact: trim(d.impact || ""),
        if_nothing_changes: trim(d.if_nothing_changes || ""),
        child_ids: d.child_ids || [],
      };
      if (!words.behaviour) return { error: "Please write what the adults did or may do: a danger statement needs it." };
      if (id === "new") return { type: "add_statement", ...words };
      return { type: "edit_statement", statement_id: id, base_version: editor.base, ...words };
    },
  },
  goal: {
    part: "statements",
    editor: {
      entity: "statement",
      versionKey: "goal",
      fromItem: (s) => ({
        adults_will: s.goal ? s.goal.adults_will : "",
        child_will_experience: s.goal ? s.goal.child_will_experience : "",
        professionals_will_see: s.goal ? s.goal.professionals_will_see : "",
        how_long: s.goal ? s.goal.how_long : "",
      }),
    },
    build(d, id, editor) {
      const words = {
        adults_will: trim(d.adults_will || ""),
        child_will_experience: trim(d.child_will_experience || ""),
        professionals_will_see: trim(d.professionals_will_see || ""),
        how_long: trim(d.how_long || ""),
      };
      if (!Object.values(words).some(Boolean)) return { error: "Please write at least one part of the safety goal." };
      return { type: "set_safety_goal", statement_id: id, base_version: editor.base, ...words };
    },
  },
  view: {
    part: "statements",
    editor: {
      entity: "statement",
      versionKey: "family_view",
      fromItem: (s) => ({ agreement: s.family_view ? s.family_view.agreement : null, words: s.family_view ? s.family_view.words : "" }),
    },
    build(d, id, editor) {
      if (!d.agreement) return { error: "Please choose one of the answers first." };
      return { type: "set_family_view", statement_id: id, base_version: editor.base, agreement: d.agreement, words: trim(d.words || "") };
    },
  },
  round: {
    part: "scaling",
    build(d) {
      return { type: "open_round", statement_id: d.statement_id || null, label: d.label || "start" };
    },
  },
  answer: {
    part: "scaling",
    keep: true, // the answer stays in the form, so the person sees what they gave and can change it
    build(d, id) {
      if (d.value === undefined || d.value === null || d.value === "") return { error: "Please choose a number from 0 to 10." };
      return { type: "answer_round", round_id: id, value: Number(d.value), reason: trim(d.reason || "") };
    },
  },
  answerfor: {
    part: "scaling",
    build(d, id) {
      const attendees = (state.board.attendees || []).filter((a) => !a.participant_id && a.status === "present");
      const attendeeId = d.attendee_id || (attendees[0] && attendees[0].id);
      if (!attendeeId) return { error: "Please choose whose answer this is." };
      if (d.value === undefined || d.value === null || d.value === "") return { error: "Please choose a number from 0 to 10." };
      return { type: "answer_for", round_id: id, attendee_id: attendeeId, value: Number(d.value), reason: trim(d.reason || "") };
    },
  },
  voice: {
    part: "voice",
    editor: {
      entity: "voice",
      versionKey: "version",
      fromItem: (w) => ({ house: w.house, words: w.words, shared: w.shared, told_to: w.told_to }),
    },
    build(d, id, editor) {
      const words = trim(d.words || "");
      if (!words) return { error: "Please write the child's words." };
      const fields = { house: d.house || "worries", words, shared: Boolean(d.shared), told_to: trim(d.told_to || "") };
      if (id === "new") {
        const childId = d.child_id || ((state.board.children || [])[0] || {}).id;
        if (!childId) return { error: "Please choose which child said this." };
        return { type: "add_child_words", child_id: childId, ...fields };
      }
      return { type: "edit_child_words", voice_id: id, base_version: editor.base, ...fields };
    },
  },
  member: {
    part: "plan",
    editor: {
      entity: "network_member",
      versionKey: "version",
      fromItem: (m) => ({ name: m.name, relationship: m.relationship, agreed_to: m.agreed_to }),
    },
    build(d, id, editor) {
      const name = trim(d.name || "");
      if (!name) return { error: "Please write their name." };
      const words = { name, relationship: trim(d.relationship || ""), agreed_to: trim(d.agreed_to || "") };
      if (id === "new") return { type: "add_network_member", ...words };
      return { type: "edit_network_member", member_id: id, base_version: editor.base, ...words };
    },
  },
  step: {
    part: "plan",
    editor: {
      entity: "step",
      versionKey: "version",
      fromItem: (s) => ({
        what: s.what,
        ...choiceFromWho(s.who),
        by_when: s.by_when,
        how_we_know: s.how_we_know,
        child_ids: [...(s.child_ids || [])],
      }),
    },
    build(d, id, editor) {
      const what = trim(d.what || "");
      if (!what) return { error: "Please write what will happen." };
      const { who, error } = whoFromChoice(d);
      if (error) return { error };
      const words = { what, who, by_when: trim(d.by_when || ""), how_we_know: trim(d.how_we_know || ""), child_ids: d.child_ids || [] };
      if (id === "new") return { type: "add_step", ...words };
      return { type: "edit_step", step_id: id, base_version: editor.base, ...words };
    },
  },
  dates: {
    part: "plan",
    keep: true,
    build(d) {
      const current = state.board.plan_dates || {};
      const pick = (name) => {
        const value = d[name] === undefined ? current[name] : d[name];
        return value ? value : null;
      };
      return { type: "set_plan_dates", review_conference: pick("review_conference"), core_group: pick("core_group") };
    },
  },
  decision: {
    part: "decision",
    editor: {
      entity: "decision",
      versionKey: "decision",
      fromItem: (dec) => ({
        outcome: dec && dec.outcome ? dec.outcome : null,
        categories: dec ? [...(dec.categories || [])] : [],
        reasons: dec ? dec.reasons : "",
      }),
    },
    build(d, id, editor) {
      if (!d.outcome) return { error: "Please choose: a Child Protection plan, or no plan." };
      const categories = d.outcome === "child_protection_plan" ? d.categories || [] : [];
      if (d.outcome === "child_protection_plan" && !categories.length) {
        return { error: "Please choose the category of the plan: neglect, physical, emotional or sexual abuse." };
      }
      return { type: "record_decision", child_id: id, base_version: editor.base, outcome: d.outcome, categories, reasons: trim(d.reasons || "") };
    },
  },
  decisionview: {
    part: "decision",
    editor: {
      entity: "decision",
      versionKey: "family_view",
      fromItem: (dec) => ({
        agreement: dec && dec.family_view ? dec.family_view.agreement : null,
        words: dec && dec.family_view ? dec.family_view.words : "",
      }),
    },
    build(d, id, editor) {
      if (!d.agreement) return { error: "Please choose one of the answers first." };
      return { type: "set_decision_view", child_id: id, base_version: editor.base, agreement: d.agreement, words: trim(d.words || "") };
    },
  },
  addendum: {
    part: null,
    build(d) {
      const text = trim(d.text || "");
      const reason = trim(d.reason || "");
      if (!text) return { error: "Please write the addendum: the correction, or the later fact." };
      if (!reason) return { error: "Please write why it is added after the record was finalised." };
      return { type: "add_addendum", text, reason, restricted: Boolean(d.restricted) };
    },
  },
  note: {
    part: "decision",
    build(d, id) {
      const who = trim(d.who || "");
      const kind = d.kind || "recommendation";
      if (!who) return { error: kind === "dissent" ? "Please write who disagrees." : "Please write which agency this is." };
      const op = { type: "add_decision_note", child_id: id, kind, who, reason: trim(d.reason || "") };
      if (kind === "recommendation") {
        op.recommends = d.recommends || "child_protection_plan";
        op.categories = op.recommends === "child_protection_plan" ? d.categories || [] : [];
        if (op.recommends === "child_protection_plan" && !op.categories.length) {
          return { error: "Please choose the category the agency recommends." };
        }
      }
      return op;
    },
  },
};

function splitForm(form) {
  const at = form.indexOf(":");
  return [form.slice(0, at), form.slice(at + 1)];
}

function formPart(form) {
  const spec = FORMS[splitForm(form)[0]];
  return spec ? spec.part : null;
}

/** Send an op on behalf of a form, remembering its words so a refusal can hand them back. */
function sendFromForm(form, op, snapshot) {
  if (!connection) return;
  delete state.ui.formErrors[form];
  const opId = connection.send(op);
  sentForms.set(opId, { form, ...snapshot });
}

function sendOp(op, form = null) {
  if (!connection) return null;
  if (form) return sendFromForm(form, op, { draft: null, editor: null });
  return connection.send(op);
}

// ---- connection handlers ----------------------------------------------------------------------------------

const connectionHandlers = {
  status({ state: connectionState, message, pending }) {
    state.connection = { state: connectionState, message, pending };
    if (connectionState === "ended" && !leaving) {
      // A finalised meeting on a shared screen: the server has ended the session on purpose.
      if (isWatcher() && (state.board.read_only || meetingFinished)) finish();
      else endSession(message);
    }
    scheduleRender();
  },
  hello(frame) {
    if (frame.you) remember(frame.you);
    for (const person of frame.people || []) remember(person);
    state.present = frame.present || [];
    state.present.forEach(remember);
    presenceChanged();
    if (frame.server_time) {
      const server = Date.parse(frame.server_time);
      if (!Number.isNaN(server)) state.clockSkewMs = server - Date.now();
    }
    if (frame.board) {
      const before = state.board;
      state.board = meetingFromBoard(frame.board);
      noticePhaseMove(before, state.board);
      dropVanishedUi(before);
      keepUnsentAnswers(before);
      checkEditors();
      afterBoardChange(before);
    }
    scheduleRender();
  },
  event(frame) {
    const before = state.board;
    state.board = applyChanges(state.board, frame.changes, frame.seq);
    noticePhaseMove(before, state.board);
    for (const change of frame.changes || []) {
      if (change.entity !== "card" || !change.value) continue;
      const card = change.value;
      const editing = state.ui.editing[card.id];
      if (editing && card.version > editing.baseVersion) {
        // Someone changed the card under an open edit: say so now, keep the words, and let Save overwrite.
        state.ui.editing[card.id] = {
          ...editing,
          kind: columnById(card.column).kinds.includes(editing.kind) ? editing.kind : card.kind,
          baseVersion: card.version,
          conflict: { text: card.text, kind: card.kind, version: card.version },
        };
      }
    }
    dropVanishedUi(before);
    keepUnsentAnswers(before);
    checkEditors();
    afterBoardChange(before);
    scheduleRender();
  },
  ack(frame) {
    const sent = sentForms.get(frame.op_id);
    if (sent) {
      sentForms.delete(frame.op_id);
      delete state.ui.formErrors[sent.form];
    }
    scheduleRender();
  },
  pending(list) {
    state.pendingOps = list;
    scheduleRender();
  },
  presence(frame) {
    state.present = frame.present || [];
    state.present.forEach(remember);
    presenceChanged();
    scheduleRender();
  },
  error(frame, entry) {
    const sent = entry ? sentForms.get(entry.opId) : null;
    if (sent) {
      sentForms.delete(entry.opId);
      formRefused(sent, frame);
    } else {
      handleRefusal(frame, entry ? entry.op : null);
    }
    scheduleRender();
  },
};

/** The meeting moved on while this person was typing: keep them where they are, and say so. The room screen
 * follows whichever the chair did last: moved the meeting, or pointed at an item. */
function noticePhaseMove(before, after) {
  const from = before.phase && before.phase.current;
  const to = after.phase && after.phase.current;
  const focusKey = (meeting) => (meeting.focus ? `${meeting.focus.entity}:${meeting.focus.item_id}` : "");
  if (from !== to) state.ui.followPart = null;
  if (focusKey(before) !== focusKey(after)) {
    // The room screen shows what the chair points at: a card is on the map, anything else in its own part.
    state.ui.followPart = after.focus ? partOfEntity(after.focus.entity) || (after.focus.entity === "card" ? "map" : null) : null;
  }
  if (!from || !to || from === to || state.ui.viewPhase || (state.me && state.me.role === "projector")) return;
  const active = document.activeElement;
  const typing =
    active &&
    root.contains(active) &&
    (active.tagName === "TEXTAREA" || (active.tagName === "INPUT" && ["text", "number", "date"].includes(active.type))) &&
    active.value.trim() !== "";
  if (typing) {
    state.ui.viewPhase = from;
    state.ui.movedNote = true;
  }
}

/** A card someone else deleted cannot stay open for moving or deleting; an open edit keeps its words, in a
 * notice exactly where the card was (the person was looking there), with a way to add them as a new card. */
function dropVanishedUi(before) {
  const exists = (id) => findCard(state.board.columns, id) !== null;
  if (state.ui.moving && !exists(state.ui.moving)) state.ui.moving = null;
  if (state.ui.confirmingDelete && !exists(state.ui.confirmingDelete)) state.ui.confirmingDelete = null;
  for (const [cardId, editing] of Object.entries(state.ui.editing)) {
    if (exists(cardId)) continue;
    delete state.ui.editing[cardId];
    if (!editing.text.trim()) continue;
    const was = before ? findCard(before.columns, cardId) : null;
    const active = document.activeElement;
    const hadFocus = Boolean(active && active.closest && active.closest(`[data-key="${CSS.escape(cardId)}"]`));
    noticeCounter += 1;
    const lost = {
      id: `lost-${noticeCounter}`,
      cardId,
      column: was ? was.column : editing.column || "worries",
      index: was ? was.index : 0,
      kind: editing.kind,
      text: editing.text,
    };
    state.ui.lostEdits = [...state.ui.lostEdits, lost];
    // The keyboard goes on into the kept words, so what they type next lands there too.
    if (hadFocus) requestFocus(`[data-lost="${lost.id}"] textarea`);
  }
}

/** The chair showed a round's answers while this person's answer was still in its form (not sent, or changed
 * since): the form goes with the open round, so their answer and words are kept in the round, where they were. */
function keepUnsentAnswers(before) {
  for (const round of state.board.rounds || []) {
    const was = (before.rounds || []).find((r) => r.id === round.id);
    if (round.revealed && was && !was.revealed) keepAnswer(round.id, state.ui.drafts[`answer:${round.id}`]);
  }
}

function keepAnswer(roundId, draft) {
  const form = `answer:${roundId}`;
  delete state.ui.drafts[form];
  delete state.ui.formErrors[form];
  if (!draft) return;
  const value = draft.value === undefined || draft.value === null ? "" : String(draft.value);
  const text = typeof draft.reason === "string" ? draft.reason : "";
  const me = state.me ? state.me.id : "";
  const mine = (state.board.answers || []).find((a) => a.round_id === roundId && a.participant_id === me);
  const sent = mine && String(mine.value) === value && (mine.reason || "") === text.trim();
  if (sent || (!value && !text.trim()) || state.ui.lostEdits.some((l) => l.roundId === roundId)) return;
  const active = document.activeElement;
  const hadFocus = Boolean(active && active.closest && active.closest(`[data-item="round:${CSS.escape(roundId)}"]`));
  noticeCounter += 1;
  const lost = { id: `lost-${noticeCounter}`, roundId, value, text };
  state.ui.lostEdits = [...state.ui.lostEdits, lost];
  if (hadFocus) requestFocus(`[data-lost="${lost.id}"] textarea`);
}

/** Open edit forms of other items: a change underneath is shown at once; a deletion keeps the words in a notice. */
function checkEditors() {
  for (const [form, editor] of Object.entries(state.ui.editors)) {
    const item = findItem(state.board, editor.entity, editor.id);
    if (!item && editor.entity !== "decision") {
      delete state.ui.editors[form];
      const words = Object.values(state.ui.drafts[form] || {}).filter((v) => typeof v === "string" && v.trim());
      delete state.ui.drafts[form];
      notify(
        `What you were changing is no longer in the meeting.${words.length ? ` Your words were: “${words.join(" · ")}”.` : ""}`,
        "warning",
      );
      continue;
    }
    const version = VERSION[editor.versionKey](item);
    if (version > editor.base) {
      state.ui.editors[form] = {
        ...mergeUntouched(form, editor, item),
        base: version,
        conflict: "Someone changed this while you were working on it.",
        current: summarize(editor, item),
      };
    }
  }
}

/** Someone else changed the item under an open form: the fields this person has not touched take the new
 * words; the ones they changed keep theirs. Returns the editor with its new starting point. */
function mergeUntouched(form, editor, item) {
  const spec = FORMS[splitForm(form)[0]];
  if (!spec || !spec.editor || !editor.original) return editor;
  const theirs = spec.editor.fromItem(item);
  const draft = { ...(state.ui.drafts[form] || {}) };
  for (const [key, value] of Object.entries(theirs)) {
    if (JSON.stringify(draft[key]) === JSON.stringify(editor.original[key])) draft[key] = value;
  }
  state.ui.drafts[form] = draft;
  return { ...editor, original: theirs };
}

/** A form's op was refused: its words go back in the form, with the reason beside it. */
function formRefused(sent, frame) {
  const { form, draft, editor } = sent;
  if (form === "finalise:") {
    state.record = { ...state.record, finalising: false };
    if (frame.code === "meeting_read_only") return; // finalised already (the banner says so): nothing to add
  }
  if (frame.code === "meeting_read_only" && form !== "finalise:" && form !== "addendum:new") {
    // The form has gone with the finalising: say so where the person is looking, with their words.
    refusedAsFinal(frame, draft ? Object.values(draft).filter((v) => typeof v === "string" && v.trim()) : []);
    return;
  }
  if (frame.code === "phase_changed") {
    state.ui.formErrors[form] = frame.message || "The meeting has already moved on.";
    return;
  }
  if (frame.code === "round_not_open" && form.startsWith("answer:")) {
    // Shown before this answer reached the server: kept in the round, like one still being written.
    keepAnswer(splitForm(form)[1], draft);
    return;
  }
  if (draft) {
    const now = state.ui.drafts[form] || {};
    const empty = !Object.values(now).some((v) => (typeof v === "string" ? v.trim() : Array.isArray(v) ? v.length : v));
    if (editor || empty) state.ui.drafts[form] = draft;
  }
  if (editor) {
    const current = frame.current || findItem(state.board, editor.entity, editor.id);
    const reopened = { ...editor, conflict: null, current: "" };
    if (frame.code === "stale_version" && current) {
      Object.assign(reopened, mergeUntouched(form, editor, current), { conflict: null, current: "" });
      reopened.base = VERSION[editor.versionKey](current);
      reopened.conflict = frame.message || "Someone changed this while you were working on it.";
      reopened.current = summarize(editor, current);
    }
    state.ui.editors[form] = reopened;
  }
  if (!(editor && frame.code === "stale_version")) state.ui.formErrors[form] = frame.message || "That could not be saved.";
  // Shown beside the form; when that form is not on screen, a notice says it where the person is looking.
  refusalsToCheck.push({ form, message: frame.message || "That could not be saved." });
}

/** After a render: a refusal whose form is not on screen becomes a notice, saying where the words are kept. */
function surfaceHiddenRefusals() {
  const waiting = refusalsToCheck.splice(0);
  for (const { form, message } of waiting) {
    if (root.querySelector(`[data-form-message="${CSS.escape(form)}"]`)) continue;
    const part = formPart(form);
    const where = part && state.ui.drafts[form] ? ` Your words are kept in “${partName(part)}”.` : "";
    notify(`${message}${where}`, "warning");
  }
}

function partName(part) {
  const phase = (state.board.agenda || []).find((p) => partOfArea(p.area) === part);
  return phase ? phase.title : part;
}

/** The words an op carries, if any: what a refusal gives back. */
function wordsOfOp(op) {
  return op ? ["text", "what", "behaviour", "words", "reason"].map((k) => op[k]).filter((v) => typeof v === "string" && v.trim()) : [];
}

/** Refused because the record is finalised: in plain words, with any words the person had written. */
function refusedAsFinal(frame, words) {
  if (isWatcher()) words.forEach((w) => wordsTooLate.add(w.trim())); // its notices go with the meeting: see finish()
  const kept = words.length ? ` What you wrote was: “${words.join(" · ")}”.` : "";
  notify(`${frame.message || "This record is finalised: it can be read but no longer changed."}${kept}`, "warning");
}

function handleRefusal(frame, op) {
  if (frame.code === "meeting_read_only") {
    refusedAsFinal(frame, wordsOfOp(op));
    return;
  }
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
      requestFocus(`[data-key="${CSS.escape(current.id)}"] textarea[name=text]`);
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
    const found = findCard(state.board.columns, op.card_id);
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

// ---- the record: finalised --------------------------------------------------------------------------------

function isWatcher() {
  return Boolean(state.me) && (state.me.role === "family" || state.me.role === "projector");
}

function mayExport() {
  return Boolean(state.me) && (state.me.role === "chair" || state.me.role === "professional");
}

/** After every hello and event: what finalising changes on this screen. */
function afterBoardChange(before) {
  if (!before.read_only && state.board.read_only) onFinalised();
  if (state.board.read_only) {
    watchFinalised();
    loadRecordChecks();
  }
}

/** The meeting was finalised (or this screen opened on a finalised one): every open form goes, and words not
 * yet saved are given back in a notice, so nothing typed vanishes silently. */
function onFinalised() {
  const wasConfirming = state.record.confirming;
  state.room.code = null; // a room code dies with the meeting: nobody joins a finalised record
  state.room.lobby = [];
  planLobbyPoll();
  state.record = { ...state.record, confirming: false, checking: false, missing: null, checkMessage: "" };
  const words = unsavedWords();
  state.ui.editing = {};
  state.ui.editors = {};
  state.ui.moving = null;
  state.ui.confirmingDelete = null;
  state.ui.addDrafts = freshUi().addDrafts;
  for (const form of Object.keys(state.ui.drafts)) if (form !== "addendum:new") delete state.ui.drafts[form];
  state.ui.formErrors = {};
  if (isWatcher()) words.forEach((w) => wordsTooLate.add(w));
  else if (words.length) {
    notify(
      `The record was finalised before these words were saved: “${words.join(" · ")}”. ` +
        "If they matter, the chair can add them as an addendum.",
      "warning",
    );
  }
  if (wasConfirming) requestFocus("#finalised-heading");
}

function unsavedWords() {
  const words = [];
  const strings = (values) => values.filter((v) => typeof v === "string" && v.trim()).map((v) => v.trim());
  for (const [cardId, editing] of Object.entries(state.ui.editing)) {
    const found = findCard(state.board.columns, cardId);
    if (editing.text.trim() && (!found || found.card.text !== editing.text.trim())) words.push(editing.text.trim());
  }
  for (const draft of Object.values(state.ui.addDrafts)) words.push(...strings([draft.text]));
  words.push(...strings([state.ui.familyAdd.text]));
  for (const [form, draft] of Object.entries(state.ui.drafts)) {
    const editor = state.ui.editors[form];
    if (editor && editor.original) {
      words.push(...strings(Object.entries(draft).filter(([k, v]) => v !== editor.original[k]).map(([, v]) => v)));
    } else if (form.endsWith(":new")) {
      words.push(...strings(Object.values(draft)));
    }
  }
  return words;
}

/** The family's tablet and the room screen: forget the meeting when the server ends the session, or by
 * themselves after the same delay if that never arrives. */
function watchFinalised() {
  if (!isWatcher() || finishTimer || finishing) return;
  const at = Date.parse((state.board.finalised && state.board.finalised.at) || "");
  const finalisedHere = Number.isNaN(at) ? Date.now() : at - state.clockSkewMs;
  finishTimer = setTimeout(finish, Math.max(0, finalisedHere + FINISHED_SCREEN_MS - Date.now()));
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
}

/** The end of a finalised meeting on a shared screen: the connection stops, the session cookie (which names
 * the meeting) is dropped by the server, and the page forgets everything it held. */
async function finish() {
  if (finishing) return;
  finishing = true;
  leaving = true;
  clearTimeout(finishTimer);
  finishTimer = null;
  if (connection) {
    // What was still waiting to be sent (typed offline, say) cannot go in now: the last screen shows it.
    for (const { op } of connection.pending.values()) wordsOfOp(op).forEach((w) => wordsTooLate.add(w.trim()));
    const old = connection;
    connection = null;
    old.stop();
  }
  try {
    await withTimeout(meetingsApi.leave(meetingId), 5000);
  } catch {
    // The session has ended on the server anyway; its cookie goes when the browser closes.
  }
  forgetEverything("finished", "", [...wordsTooLate]);
  wordsTooLate.clear();
}

/** The chair and the professionals: check the record's hash chain once finalised, and again after each later
 * op (an addendum moves the last hash on). The chair: the retention date and the legal hold. */
function loadRecordChecks() {
  if (state.phase !== "board" || !state.board.read_only) return;
  if (mayExport() && !state.record.verifying && state.record.verifiedSeq !== state.board.seq) loadVerification();
  if (state.me.role === "chair" && state.record.retention === null && !state.record.retentionLoading) loadRetention();
}

async function loadVerification() {
  const seq = state.board.seq;
  state.record = { ...state.record, verifying: true, verifiedSeq: seq, verifyMessage: "" };
  scheduleRender();
  try {
    const verification = await meetingsApi.verify(meetingId);
    if (state.phase !== "board") return;
    state.record = { ...state.record, verifying: false, verification, checkedAt: new Date().toISOString() };
  } catch (error) {
    if (state.phase !== "board") return;
    state.record = { ...state.record, verifying: false, verifyMessage: `Could not check the record: ${error.message}` };
    if (error instanceof ApiError && error.status === 401) return endSession(error.message);
  }
  loadRecordChecks(); // an op arrived while checking: check again
  scheduleRender();
}

async function loadRetention() {
  state.record = { ...state.record, retentionLoading: true };
  try {
    const retention = await meetingsApi.retention(meetingId);
    if (state.phase !== "board") return;
    state.record = { ...state.record, retentionLoading: false, retention };
  } catch (error) {
    if (state.phase !== "board") return;
    state.record = { ...state.record, retentionLoading: false, retention: false, holdMessage: `Could not read the retention: ${error.message}` };
    if (error instanceof ApiError && error.status === 401) return endSession(error.message);
  }
  scheduleRender();
}

// ---- user actions -----------------------------------------------------------------------------------------

function cardAt(cardId) {
  return findCard(state.board.columns, cardId);
}

const cardSelector = (cardId, inner) => `[data-key="${CSS.escape(cardId)}"] ${inner}`;

function phaseForPart(part) {
  const agenda = state.board.agenda || [];
  const current = currentPhase(state.board);
  if (current && partOfArea(current.area) === part) return current.id;
  const phase = agenda.find((p) => partOfArea(p.area) === part);
  return phase ? phase.id : null;
}

const actions = {
  // the map
  addCardDraft(column, change) {
    state.ui.addDrafts[column] = { ...state.ui.addDrafts[column], ...change };
    scheduleRender();
  },
  addCard(column) {
    const draft = state.ui.addDrafts[column];
    const text = draft.text.trim();
    if (!text) return;
    const kinds = columnById(column).kinds;
    sendOp({ type: "add_card", column, kind: kinds.includes(draft.kind) ? draft.kind : kinds[0], text });
    state.ui.addDrafts[column] = { text: "", kind: draft.kind };
    scheduleRender();
  },
  cardEditStart(cardId) {
    const found = cardAt(cardId);
    if (!found) return;
    state.ui.moving = null;
    state.ui.confirmingDelete = null;
    state.ui.editing[cardId] = { text: found.card.text, kind: found.card.kind, baseVersion: found.card.version, conflict: null, note: "" };
    requestFocus(cardSelector(cardId, "textarea[name=text]"));
    scheduleRender();
  },
  cardEditDraft(cardId, change) {
    const editing = state.ui.editing[cardId];
    if (!editing) return;
    state.ui.editing[cardId] = { ...editing, ...change };
    scheduleRender();
  },
  cardEditCancel(cardId) {
    delete state.ui.editing[cardId];
    requestFocus(cardSelector(cardId, "[data-action=edit]"));
    scheduleRender();
  },
  cardEditSave(cardId) {
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
    requestFocus(cardSelector(cardId, "[data-action=edit]"));
    scheduleRender();
  },
  cardMoveStart(cardId) {
    state.ui.moving = cardId;
    state.ui.moveTarget = null;
    state.ui.confirmingDelete = null;
    requestFocus(cardSelector(cardId, "[data-action=move-done]"));
    scheduleRender();
  },
  cardMoveUp(cardId) {
    const found = cardAt(cardId);
    if (!found || found.index === 0) return;
    sendOp({ type: "move_card", card_id: cardId, column: found.column, position: found.index - 1 });
  },
  cardMoveDown(cardId) {
    const found = cardAt(cardId);
    if (!found || found.index >= state.board.columns[found.column].length - 1) return;
    sendOp({ type: "move_card", card_id: cardId, column: found.column, position: found.index + 1 });
  },
  cardMoveTarget(column) {
    state.ui.moveTarget = column;
    scheduleRender();
  },
  cardMove(cardId, column) {
    const found = cardAt(cardId);
    if (!found || !columnById(column)) return;
    const op = { type: "move_card", card_id: cardId, column, position: state.board.columns[column].length };
    const kind = kindForMove(found.card, column);
    if (kind) op.kind = kind;
    state.ui.moving = null;
    sendOp(op);
    scheduleRender();
  },
  cardMoveDone(cardId) {
    state.ui.moving = null;
    requestFocus(cardSelector(cardId, "[data-action=move]"));
    scheduleRender();
  },
  cardDeleteAsk(cardId) {
    state.ui.confirmingDelete = cardId;
    state.ui.moving = null;
    requestFocus(cardSelector(cardId, "[data-action=delete-cancel]"));
    scheduleRender();
  },
  cardDeleteConfirm(cardId) {
    const found = cardAt(cardId);
    state.ui.confirmingDelete = null;
    if (found) sendOp({ type: "delete_card", card_id: cardId, base_version: found.card.version });
    scheduleRender();
  },
  cardDeleteCancel(cardId) {
    state.ui.confirmingDelete = null;
    requestFocus(cardSelector(cardId, "[data-action=delete]"));
    scheduleRender();
  },

  // every other form
  draft(form, name, value) {
    state.ui.drafts[form] = { ...(state.ui.drafts[form] || {}), [name]: value };
    scheduleRender();
  },
  submit(form) {
    if (form === "timer:") return actions.startTimer();
    const [kind, id] = splitForm(form);
    const spec = FORMS[kind];
    if (!spec) return;
    const draft = { ...(state.ui.drafts[form] || {}) };
    const editor = state.ui.editors[form] || null;
    if (spec.editor && id !== "new" && !editor) return;
    const op = spec.build(draft, id, editor);
    if (op.error) {
      state.ui.formErrors[form] = op.error;
      scheduleRender();
      return;
    }
    sendFromForm(form, op, { draft, editor });
    if (editor) delete state.ui.editors[form];
    if (!spec.keep) delete state.ui.drafts[form];
    scheduleRender();
  },
  openEditor(form) {
    const [kind, id] = splitForm(form);
    const spec = FORMS[kind];
    if (!spec || !spec.editor) return;
    const item = findItem(state.board, spec.editor.entity, id);
    if (!item && spec.editor.entity !== "decision") return;
    state.ui.drafts[form] = spec.editor.fromItem(item);
    state.ui.editors[form] = {
      original: spec.editor.fromItem(item),
      entity: spec.editor.entity,
      id,
      versionKey: spec.editor.versionKey,
      base: VERSION[spec.editor.versionKey](item),
      conflict: null,
      current: "",
    };
    delete state.ui.formErrors[form];
    requestFocus(`[id^="${CSS.escape(`f-${form.replace(/[^A-Za-z0-9_-]/g, "-")}`)}"]`);
    scheduleRender();
  },
  closeEditor(form) {
    delete state.ui.editors[form];
    delete state.ui.drafts[form];
    delete state.ui.formErrors[form];
    scheduleRender();
  },
  send(op) {
    sendOp(op);
  },
  checkIn() {
    sendOp({ type: "check_in" }, "checkin:");
  },

  // the agenda
  lookAt(phaseId) {
    const current = currentPhase(state.board);
    state.ui.viewPhase = current && current.id === phaseId ? null : phaseId;
    state.ui.movedNote = false;
    scheduleRender();
  },
  lookAtPart(part) {
    actions.lookAt(phaseForPart(part));
  },
  followMeeting() {
    state.ui.viewPhase = null;
    state.ui.movedNote = false;
    requestFocus("#phase-title");
    scheduleRender();
  },
  showFocus() {
    const focus = state.board.focus;
    if (!focus) return;
    const part = partOfEntity(focus.entity);
    const ctx = context();
    if (part && part !== ctx.part) {
      const phaseId = phaseForPart(part);
      if (phaseId) actions.lookAt(phaseId);
    }
    state.ui.scrollRequest = `${focus.entity}:${focus.item_id}`;
    scheduleRender();
  },
  setPhase(phaseId) {
    const current = currentPhase(state.board);
    state.ui.viewPhase = null;
    state.ui.movedNote = false;
    sendOp({ type: "set_phase", phase: phaseId, from_phase: current ? current.id : null }, "phase:");
    scheduleRender();
  },
  startTimer() {
    const draft = state.ui.drafts["timer:"] || {};
    const phase = currentPhase(state.board);
    const minutes = draft.minutes ? Number(draft.minutes) : phase && phase.minutes;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 180) {
      state.ui.formErrors["phase:"] = "Please give the time in whole minutes, from 1 to 180.";
      scheduleRender();
      return;
    }
    sendOp({ type: "set_timer", minutes }, "phase:");
  },
  stopTimer() {
    sendOp({ type: "set_timer", minutes: null }, "phase:");
  },
  startClosedPart() {
    sendOp({ type: "start_closed_part" }, "phase:");
  },
  endClosedPart() {
    sendOp({ type: "end_closed_part" }, "phase:");
  },
  focus(entity, id) {
    sendOp(entity ? { type: "set_focus", entity, item_id: id } : { type: "set_focus" });
  },
  restrict(entity, id, restricted) {
    sendOp({ type: "set_restricted", entity, item_id: id, restricted });
  },

  // the header
  leaveAsk() {
    state.ui.confirmingLeave = true;
    scheduleRender();
  },
  leaveCancel() {
    state.ui.confirmingLeave = false;
    scheduleRender();
  },
  /** Leaving clears the screen at once, told to the server or not: on a shared tablet the meeting must not stay
   * on show, nor come back when the network does. Not told, the session lives on until the chair ends it. */
  async leaveConfirm() {
    if (leaving) return;
    leaving = true;
    forgetEverything("left");
    try {
      await withTimeout(meetingsApi.leave(meetingId), 5000);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // already signed out: nothing left to end
      state.endMessage = LEAVE_NOT_TOLD;
      render();
      tellLeaveWhenOnline();
    }
  },
  dismissNotice(id) {
    state.notices = state.notices.filter((n) => n.id !== id);
    scheduleRender();
  },

  // the chair's People panel
  peopleDraft(name, value) {
    state.people.form = { ...state.people.form, [name]: value };
    scheduleRender();
  },
  addPerson() {
    const form = state.people.form;
    const person = { display_name: form.display_name.trim(), role: form.role, agency: form.agency.trim() || null };
    if (!person.display_name) {
      state.people.message = "Please write the person's name.";
      scheduleRender();
      return;
    }
    peopleAction(async () => {
      const result = await meetingsApi.addParticipant(meetingId, person);
      remember(result.participant);
      showLink(result.participant, result.invite_url);
      state.people.form = { display_name: "", role: "professional", agency: "" };
    });
  },
  newLink(pid) {
    peopleAction(async () => {
      const result = await meetingsApi.newInvite(meetingId, pid);
      showLink(result.participant, result.invite_url);
    });
  },
  revokeLink(pid) {
    peopleAction(async () => {
      await meetingsApi.revokeInvite(meetingId, pid);
      if (state.people.newLink && state.people.newLink.participantId === pid) state.people.newLink = null;
      state.people.message = "Link revoked. That person is no longer in the meeting.";
    });
  },
  // finalising the record (the chair), and the record once finalised
  async finaliseAsk() {
    if (!connection || state.board.read_only) return;
    state.record = { ...state.record, confirming: true, checking: true, missing: null, checkMessage: "", finalising: false };
    delete state.ui.formErrors["finalise:"];
    requestFocus("#finalise-heading");
    scheduleRender();
    try {
      const check = await meetingsApi.finaliseCheck(meetingId);
      if (state.phase === "board" && state.record.confirming) state.record = { ...state.record, checking: false, missing: check.missing };
    } catch (error) {
      if (state.phase !== "board") return;
      state.record = {
        ...state.record,
        checking: false,
        checkMessage: `Could not check what is missing (${error.message}). You can still finalise.`,
      };
      if (error instanceof ApiError && error.status === 401) return endSession(error.message);
    }
    scheduleRender();
  },
  finaliseCancel() {
    state.record = { ...state.record, confirming: false, checking: false, missing: null, checkMessage: "" };
    delete state.ui.formErrors["finalise:"];
    requestFocus("[data-testid=finalise-open]");
    scheduleRender();
  },
  finaliseNow() {
    if (state.record.finalising || state.board.read_only) return;
    state.record = { ...state.record, finalising: true };
    sendOp({ type: "finalise" }, "finalise:");
    scheduleRender();
  },
  /** From the finalise confirmation to the item it names: its part of the screen, scrolled to, focus on it. */
  goToItem(what, entity, id) {
    let key = `${entity}:${id}`;
    let part = partOfEntity(entity);
    if (entity === "child") {
      key = `decision:${id}`;
      part = "decision";
    } else if (entity === "decision_note") {
      const note = (state.board.decision_notes || []).find((n) => n.id === id);
      if (note) key = `decision:${note.child_id}`;
      part = "decision";
    }
    state.record = { ...state.record, confirming: false, checking: false, missing: null };
    if (part) {
      const phaseId = phaseForPart(part);
      const current = currentPhase(state.board);
      if (phaseId) state.ui.viewPhase = current && current.id === phaseId ? null : phaseId;
      state.ui.movedNote = false;
    }
    state.ui.scrollRequest = key;
    const inner = { decision: "[data-testid=decision-open]", safety_goal: "[data-testid=goal-open]" }[what] || "button";
    requestFocus(`[data-item="${CSS.escape(key)}"] ${inner}`);
    scheduleRender();
  },
  checkRecord() {
    state.record = { ...state.record, verifiedSeq: null };
    loadRecordChecks();
  },
  async setHold(on) {
    if (state.record.holdBusy) return scheduleRender(); // one change at a time: the box shows the one under way
    state.record = { ...state.record, holdBusy: true, holdWanted: on, holdMessage: "" };
    scheduleRender();
    try {
      if (on) await meetingsApi.placeHold(meetingId);
      else await meetingsApi.liftHold(meetingId);
      const retention = await meetingsApi.retention(meetingId);
      state.record = {
        ...state.record,
        holdBusy: false,
        retention,
        holdMessage: on ? "Legal hold placed: the record is kept until the hold is lifted." : "Legal hold lifted.",
      };
    } catch (error) {
      state.record = { ...state.record, holdBusy: false, holdMessage: `Could not change the legal hold: ${error.message}` };
      if (error instanceof ApiError && error.status === 401) return endSession(error.message);
    }
    scheduleRender();
  },

  // the chair's record of who did what: loaded only when asked for
  async showAudit() {
    state.audit = { ...state.audit, loading: true, message: "" };
    scheduleRender();
    try {
      const trail = await api("GET", `/api/meetings/${encodeURIComponent(meetingId)}/audit`);
      if (state.phase === "board") state.audit = { loading: false, entries: trail.entries, message: "" };
    } catch (error) {
      state.audit = { ...state.audit, loading: false, message: `Could not show the record: ${error.message}` };
      if (error instanceof ApiError && error.status === 401) endSession(error.message);
    }
    scheduleRender();
  },
  hideAudit() {
    state.audit = freshAudit();
    scheduleRender();
  },
  // ---- the family's tablet -------------------------------------------------------------------------------
  textSize(step) {
    state.textSize = Math.max(0, Math.min(3, state.textSize + step));
    scheduleRender();
  },
  familyAddOpen(column) {
    const add = state.ui.familyAdd;
    const chosen = column && columnById(column) ? column : add.column;
    const kinds = columnById(chosen).kinds;
    state.ui.familyAdd = { ...add, open: true, column: chosen, kind: kinds.includes(add.kind) ? add.kind : kinds[0] };
    state.ui.familyAdded = "";
    requestFocus("#family-add-text");
    scheduleRender();
  },
  familyAddDraft(change) {
    const next = { ...state.ui.familyAdd, ...change };
    if (change.column) {
      const kinds = columnById(next.column).kinds;
      if (!kinds.includes(next.kind)) next.kind = kinds[0];
    }
    state.ui.familyAdd = next;
    scheduleRender();
  },
  familyAddClose() {
    state.ui.familyAdd = { ...state.ui.familyAdd, open: false };
    requestFocus("[data-testid=family-add-open]");
    scheduleRender();
  },
  familyAddSubmit() {
    const add = state.ui.familyAdd;
    const text = add.text.trim();
    if (!text) return;
    const column = columnById(add.column);
    sendOp({ type: "add_card", column: column.id, kind: column.kinds.includes(add.kind) ? add.kind : column.kinds[0], text });
    state.ui.familyAdd = { ...add, open: false, text: "" };
    state.ui.familyAdded = `Your words were added under “${column.familyQuestion}”.`;
    requestFocus("[data-testid=family-add-open]");
    scheduleRender();
  },
  /** Read a card or a statement aloud with the browser's own voice; pressed again, stop. Nothing where the
   * browser has no speech. */
  readAloud(key, text) {
    const synth = globalThis.speechSynthesis;
    if (!synth || typeof globalThis.SpeechSynthesisUtterance !== "function") return;
    if (state.ui.speaking === key) {
      synth.cancel();
      state.ui.speaking = null;
      scheduleRender();
      return;
    }
    synth.cancel();
    const utterance = new globalThis.SpeechSynthesisUtterance(text);
    utterance.lang = "en-GB";
    utterance.rate = 0.95;
    const done = () => {
      if (state.ui.speaking !== key) return;
      state.ui.speaking = null;
      scheduleRender();
    };
    utterance.onend = done;
    utterance.onerror = done;
    state.ui.speaking = key;
    synth.speak(utterance);
    scheduleRender();
  },

  // ---- a card deleted while this person was editing it -----------------------------------------------------
  lostEditDraft(id, text) {
    state.ui.lostEdits = state.ui.lostEdits.map((l) => (l.id === id ? { ...l, text } : l));
    scheduleRender();
  },
  lostEditAdd(id) {
    const lost = state.ui.lostEdits.find((l) => l.id === id);
    if (!lost || !connection || !lost.column || !lost.text.trim()) return;
    const column = columnById(lost.column);
    const kind = column.kinds.includes(lost.kind) ? lost.kind : column.kinds[0];
    const position = Math.min(lost.index, (state.board.columns[lost.column] || []).length);
    sendOp({ type: "add_card", column: lost.column, kind, text: lost.text.trim(), position });
    state.ui.lostEdits = state.ui.lostEdits.filter((l) => l.id !== id);
    scheduleRender();
  },
  lostEditDismiss(id) {
    state.ui.lostEdits = state.ui.lostEdits.filter((l) => l.id !== id);
    scheduleRender();
  },

  // ---- the chair's console ---------------------------------------------------------------------------------
  drawer(open = !state.console.drawer) {
    state.console = { ...state.console, drawer: open };
    if (open) {
      loadPeople();
      loadLobby();
      requestFocus("#drawer-heading", { preventScroll: true });
    } else {
      requestFocus("[data-testid=people-toggle]");
    }
    planLobbyPoll();
    scheduleRender();
  },
  shortcutsHelp(open = !state.console.help) {
    state.console = { ...state.console, help: open };
    requestFocus(open ? "#shortcuts-heading" : "[data-testid=shortcuts-toggle]", { preventScroll: open });
    scheduleRender();
  },
  shortcutsOn(on) {
    state.console = { ...state.console, shortcutsOn: on };
    scheduleRender();
  },
  async makeRoomCode() {
    await roomAction(async () => {
      state.room.code = await meetingsApi.makeRoomCode(meetingId);
      state.room.message = "A new room code is ready. Any earlier code no longer works.";
    });
    planLobbyPoll();
  },
  async withdrawRoomCode() {
    await roomAction(async () => {
      await meetingsApi.withdrawRoomCode(meetingId);
      state.room.code = null;
      state.room.message = "The room code no longer works. Screens already waiting stay in the list.";
    });
    planLobbyPoll();
  },
  admitDraft(entryId, name, value) {
    const current = state.room.admit[entryId] || { display_name: "", role: "family", agency: "" };
    state.room.admit = { ...state.room.admit, [entryId]: { ...current, [name]: value } };
    scheduleRender();
  },
  async admit(entryId) {
    const form = state.room.admit[entryId] || { display_name: "", role: "family", agency: "" };
    const person = { display_name: form.display_name.trim(), role: form.role || "family", agency: (form.agency || "").trim() || null };
    if (!person.display_name) {
      state.room.lobbyMessage = "Please write a name for this screen first: everyone will see it.";
      requestFocus(`#admit-name-${CSS.escape(entryId)}`);
      scheduleRender();
      return;
    }
    await roomAction(async () => {
      await meetingsApi.admit(meetingId, entryId, person);
      state.room.lobbyMessage = `${person.display_name} is let in: their screen opens the meeting in a moment.`;
      delete state.room.admit[entryId];
      state.room.lobby = state.room.lobby.filter((e) => e.id !== entryId);
      loadPeople();
    }, "lobbyMessage");
    requestFocus("#lobby-heading", { preventScroll: true });
    loadLobby();
  },
  async turnAway(entryId) {
    await roomAction(async () => {
      await meetingsApi.turnAway(meetingId, entryId);
      state.room.lobbyMessage = "That screen was turned away. It is told so, and is not let in.";
      delete state.room.admit[entryId];
      state.room.lobby = state.room.lobby.filter((e) => e.id !== entryId);
    }, "lobbyMessage");
    requestFocus("#lobby-heading", { preventScroll: true });
    loadLobby();
  },

  // ---- the chair's keyboard shortcuts (js/shortcuts.js) ------------------------------------------------------
  shortcutNext() {
    const agenda = state.board.agenda || [];
    const current = currentPhase(state.board);
    const index = agenda.findIndex((p) => p.id === (current && current.id));
    const next = index >= 0 ? agenda[index + 1] : null;
    if (next) actions.setPhase(next.id);
    else notify("This is the last part of the agenda.");
  },
  shortcutBack() {
    const previous = state.board.phase && state.board.phase.previous;
    if (previous) actions.setPhase(previous);
    else notify("There is no part to go back to yet.");
  },
  shortcutPoint() {
    const active = document.activeElement;
    const item = active && active.closest ? active.closest("[data-item]") : null;
    if (!item) {
      notify("First move to a card or an item with Tab, then press P to point everyone at it.");
      return;
    }
    const [entity, id] = item.dataset.item.split(/:(.*)/s);
    if (entity === "addendum") return;
    actions.focus(entity, id);
  },
  shortcutStopPointing() {
    if (state.board.focus) actions.focus(null);
  },
  shortcutClosedPart() {
    if (state.board.closed_part && state.board.closed_part.active) actions.endClosedPart();
    else actions.startClosedPart();
  },
  shortcutAddCard() {
    const phase = currentPhase(state.board);
    const column = phase && columnById(phase.area) ? phase.area : "worries";
    requestFocus(`#add-text-${column}`);
    scheduleRender();
  },
  shortcutOpenRound() {
    actions.lookAtPart("scaling");
    requestFocus("[data-testid=open-round-form] select");
    scheduleRender();
  },
  shortcutReveal() {
    const open = (state.board.rounds || []).filter((r) => !r.revealed);
    if (!open.length) {
      notify("No scaling round is open.");
      return;
    }
    actions.lookAtPart("scaling");
    const round = open[open.length - 1];
    requestFocus(`[data-item="round:${CSS.escape(round.id)}"] [data-testid=round-reveal]`);
    state.ui.scrollRequest = `round:${round.id}`;
    scheduleRender();
  },
  shortcutDecision() {
    actions.lookAtPart("decision");
    requestFocus(["[data-testid=part-decision] [data-testid=decision-open]", "#part-decision-heading"]);
    scheduleRender();
  },
  shortcutPeople() {
    actions.drawer();
  },
  shortcutHelp() {
    actions.shortcutsHelp();
  },

  async copyLink(url) {
    try {
      await navigator.clipboard.writeText(url);
      state.people.copyStatus = "Link copied.";
    } catch {
      const input = document.getElementById("invite-link");
      if (input) {
        input.focus();
        input.select();
      }
      state.people.copyStatus = "The link is selected: copy it with Ctrl+C, or press and hold, then Copy.";
    }
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

/** A presence frame: when the set of people here (or their number of screens) changed, the chair's People list
 * is asked for again (its invite states move from "not used yet" to "joined"), once the burst has passed. */
function presenceChanged() {
  const key = state.present
    .map((p) => `${p.participant_id}:${p.connections || 1}`)
    .sort()
    .join(",");
  if (key === lastPresenceKey) return;
  const first = lastPresenceKey === "";
  lastPresenceKey = key;
  if (!state.people.enabled || first) return; // the list was asked for at the start
  clearTimeout(peopleReload);
  peopleReload = setTimeout(() => {
    peopleReload = null;
    if (state.phase === "board") loadPeople();
  }, 400);
}

// ---- the room code and the lobby ---------------------------------------------------------------------------

async function roomAction(work, messageField = "message") {
  state.room.busy = true;
  state.room[messageField] = "";
  scheduleRender();
  try {
    await work();
  } catch (error) {
    if (state.phase !== "board") return;
    state.room[messageField] = error.message;
    if (error instanceof ApiError && error.status === 401) endSession(error.message);
  } finally {
    state.room.busy = false;
    scheduleRender();
  }
}

async function loadRoomCode() {
  try {
    const code = await meetingsApi.roomCode(meetingId);
    if (state.phase === "board") state.room.code = code;
  } catch (error) {
    if (state.phase !== "board") return;
    if (error instanceof ApiError && error.status === 404) state.room.code = null;
    else if (error instanceof ApiError && error.status === 401) return endSession(error.message);
  }
  scheduleRender();
}

async function loadLobby() {
  if (state.phase !== "board" || !state.me || state.me.role !== "chair") return;
  try {
    const waiting = await meetingsApi.lobby(meetingId);
    if (state.phase !== "board") return;
    state.room.lobby = waiting;
    const ids = new Set(waiting.map((e) => e.id));
    for (const id of Object.keys(state.room.admit)) if (!ids.has(id)) delete state.room.admit[id];
  } catch (error) {
    if (state.phase !== "board") return;
    if (error instanceof ApiError && error.status === 401) return endSession(error.message);
  }
  scheduleRender();
}

/** The chair asks for the lobby every 3 s while the drawer is open, every 10 s while a room code is live
 * (so the drawer's button can say "1 waiting"), and not at all otherwise. */
function planLobbyPoll() {
  clearInterval(lobbyTimer);
  lobbyTimer = null;
  if (state.phase !== "board" || !state.me || state.me.role !== "chair" || state.board.read_only) return;
  const every = state.console.drawer ? LOBBY_POLL_OPEN_MS : state.room.code ? LOBBY_POLL_CLOSED_MS : 0;
  if (every) lobbyTimer = setInterval(loadLobby, every);
}

/** The room screen shows the room code during the introductions: it asks for it then (the chair may make a
 * new one at any time), and stops asking once the meeting moves on. */
function watchRoomCode() {
  const wanted =
    state.phase === "board" &&
    Boolean(state.me) &&
    state.me.role === "projector" &&
    !state.board.read_only &&
    (currentPhase(state.board) || {}).area === "attendance";
  if (wanted && !roomCodeTimer) {
    loadRoomCode();
    roomCodeTimer = setInterval(loadRoomCode, ROOM_CODE_POLL_MS);
  } else if (!wanted && roomCodeTimer) {
    clearInterval(roomCodeTimer);
    roomCodeTimer = null;
  }
}

/** Soft presence: tell the server which card this screen has open for editing (others see "<name> is editing
 * this card"; nothing is locked). Sent when it changes; the connection sends it again after a reconnect. */
function tellEditing() {
  const open = Object.keys(state.ui.editing);
  const cardId = open.length ? open[open.length - 1] : "";
  const key = cardId ? `card:${cardId}` : "";
  if (key === lastEditingSent || !connection) return;
  lastEditingSent = key;
  connection.setEditing(cardId ? "card" : null, cardId || null);
}

// ---- the chair's keyboard shortcuts -----------------------------------------------------------------------

function onKeyDown(event) {
  if (state.phase !== "board" || !state.me || state.me.role !== "chair") return;
  if (event.key === "Escape") {
    if (state.console.help) {
      event.preventDefault();
      actions.shortcutsHelp(false);
    } else if (state.console.drawer) {
      event.preventDefault();
      actions.drawer(false);
    }
    return;
  }
  if (!state.console.shortcutsOn && event.key !== "?") return;
  const shortcut = shortcutFor(event);
  if (!shortcut) return;
  event.preventDefault();
  actions[shortcut.action]();
}

function showLink(participant, url) {
  state.people.newLink = { participantId: participant.id, name: participant.display_name, url };
  state.people.copyStatus = "";
}

// ---- ending -----------------------------------------------------------------------------------------------

function endSession(message) {
  forgetEverything("ended", message || "Your session has ended. Ask the chair for a new link.");
  // The session is over on the server; its cookie (which names the meeting) goes too, so this browser keeps
  // nothing of it. Leaving when already signed out is not an error.
  if (meetingId) meetingsApi.leave(meetingId).catch(() => {});
}

const LEAVE_NOT_TOLD =
  "This screen could not reach the server, so the meeting may still be open on this screen's link. " +
  "Please ask the chair to end this screen's link (in People and joining, Revoke link).";

/** A leave the server was not told about: told once the network is back, so the session ends after all. Nothing
 * reconnects: only the leave itself is sent. */
function tellLeaveWhenOnline() {
  const retry = async () => {
    window.removeEventListener("online", retry);
    try {
      await meetingsApi.leave(meetingId);
    } catch {
      return; // still not told: the words on screen already say to ask the chair
    }
    if (state.phase === "left") {
      state.endMessage = "";
      render();
    }
  };
  window.addEventListener("online", retry);
}

/** Drop everything this page knew about the meeting, so nothing of it stays on a shared screen. */
function forgetEverything(phase, message = "", words = []) {
  if (connection) {
    const old = connection;
    connection = null;
    old.stop();
  }
  state.phase = phase;
  state.endMessage = message;
  state.endWords = words;
  state.board = emptyMeeting();
  state.pendingOps = [];
  state.names.clear();
  state.present = [];
  state.notices = [];
  state.meeting = null;
  state.me = null;
  state.ui = freshUi();
  state.people = freshPeople();
  state.audit = freshAudit();
  state.record = freshRecord();
  state.console = freshConsole();
  state.room = freshRoom();
  state.textSize = 0;
  clearTimeout(finishTimer);
  finishTimer = null;
  clearInterval(lobbyTimer);
  lobbyTimer = null;
  clearInterval(roomCodeTimer);
  roomCodeTimer = null;
  clearTimeout(peopleReload);
  peopleReload = null;
  if (globalThis.speechSynthesis) globalThis.speechSynthesis.cancel();
  state.connection = { state: "ended", message, pending: 0 };
  sentForms.clear();
  document.body.classList.remove("projector", "family", "read-only-role");
  document.documentElement.classList.remove("room-screen", "family-tablet");
  delete document.body.dataset.role;
  window.sosBoard = undefined;
  render();
}

// ---- start ------------------------------------------------------------------------------------------------

async function start() {
  render();
  if (!meetingId) {
    forgetEverything("failed", "This address does not name a meeting. Use the link you were sent.");
    return;
  }
  let me;
  try {
    me = await meetingsApi.me(meetingId);
  } catch (error) {
    if (error instanceof ApiError && error.code === "meeting_finished") {
      finish();
    } else if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      endSession("Your session has ended. Ask the chair for a new link.");
    } else {
      forgetEverything("failed", error.message);
    }
    return;
  }
  state.meeting = me.meeting;
  state.me = me.participant;
  state.permissions = me.permissions || {};
  remember(me.participant);
  state.phase = "board";
  const role = me.participant.role;
  document.body.classList.toggle("projector", role === "projector");
  document.body.classList.toggle("family", role === "family");
  document.body.classList.toggle("read-only-role", !state.permissions.add_card || state.permissions.add_card === "none");
  document.body.dataset.role = role;
  // Type scales from the root: the room screen is read from the back of the room, the tablet held by a parent.
  document.documentElement.classList.toggle("room-screen", role === "projector");
  document.documentElement.classList.toggle("family-tablet", role === "family");
  state.people.enabled = role === "chair";

  connection = new BoardConnection({
    meetingId,
    handlers: connectionHandlers,
    checkSession: async () => {
      try {
        await meetingsApi.me(meetingId);
        return "ok";
      } catch (error) {
        // 401: the session is over; 403: not allowed; 404: the meeting is gone. None of these heal by retrying.
        if (error instanceof ApiError && error.code === "meeting_finished") meetingFinished = true;
        if (error instanceof ApiError && [401, 403, 404].includes(error.status)) return "ended";
        return "unknown";
      }
    },
  });
  // For the browser tests and for anyone debugging from the console: the connection, nothing stored.
  window.sosBoard = { connection };
  connection.start();
  if (state.people.enabled) {
    loadPeople();
    loadRoomCode().then(planLobbyPoll);
  }
  render();
}

document.addEventListener("keydown", onKeyDown);

window.addEventListener("beforeunload", (event) => {
  if (connection && connection.pending.size > 0) {
    event.preventDefault();
    event.returnValue = "";
  }
});

start();
