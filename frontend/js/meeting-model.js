// The meeting as this screen knows it: `hello.board` (everything this connection may see), kept up to date by
// applying each event's `changes` generically (replace or remove an item by entity and id). The rules live on
// the server; nothing here decides what is allowed. Plus the overlay of this screen's ops not yet applied, so
// what someone typed shows at once, marked as waiting. No DOM, no network: plain data in, plain data out.

import { COLUMN_IDS } from "./kinds.js";

/** entity of a change -> the field of the meeting that holds a list of them. */
export const COLLECTIONS = {
  child: "children",
  attendee: "attendees",
  statement: "statements",
  round: "rounds",
  answer: "answers",
  network_member: "network",
  step: "steps",
  decision: "decisions",
  decision_note: "decision_notes",
  voice: "voices",
  addendum: "addenda",
};

/** entity of a change -> the field it replaces whole. */
export const SINGLETONS = {
  phase: "phase",
  plan_dates: "plan_dates",
  closed_part: "closed_part",
  focus: "focus",
  finalised: "finalised",
};

export function emptyColumns() {
  return Object.fromEntries(COLUMN_IDS.map((id) => [id, []]));
}

export function emptyMeeting() {
  const meeting = {
    seq: 0,
    read_only: false,
    columns: emptyColumns(),
    kind: "initial_conference",
    agenda: [],
    phase: null,
    plan_dates: { review_conference: null, core_group: null },
    closed_part: { active: false, parts: [] },
    focus: null,
  };
  for (const field of Object.values(COLLECTIONS)) meeting[field] = [];
  return meeting;
}

/** A `hello.board`, copied (nobody shares arrays with the frame) and completed with defaults. */
export function meetingFromBoard(board) {
  const meeting = emptyMeeting();
  if (!board) return meeting;
  for (const [key, value] of Object.entries(board)) {
    if (key === "columns") continue;
    if (Array.isArray(value)) meeting[key] = [...value];
    else if (value !== undefined) meeting[key] = value;
  }
  for (const id of COLUMN_IDS) meeting.columns[id] = [...((board.columns && board.columns[id]) || [])];
  return meeting;
}

function insertAt(list, index, item) {
  const at = typeof index === "number" ? Math.max(0, Math.min(index, list.length)) : list.length;
  return [...list.slice(0, at), item, ...list.slice(at)];
}

function applyCard(columns, change) {
  const found = findCard(columns, change.id);
  const next = { ...columns };
  if (found) next[found.column] = columns[found.column].filter((card) => card.id !== change.id);
  const card = change.value;
  if (!card) return next;
  const column = card.column;
  if (!next[column]) return next;
  // position null: it stays where it was (an edit), or goes last if this screen did not have it.
  let position = change.position;
  if (position === null || position === undefined) position = found && found.column === column ? found.index : null;
  next[column] = insertAt(next[column], position, card);
  return next;
}

function applyToList(list, change) {
  const index = list.findIndex((item) => item.id === change.id);
  if (change.value === null || change.value === undefined) return index < 0 ? list : list.filter((_, i) => i !== index);
  const position = typeof change.position === "number" ? change.position : index;
  if (index >= 0 && position === index) {
    const next = [...list];
    next[index] = change.value;
    return next;
  }
  // New to this screen (added, or shown again when a restriction is lifted): where it stands for everyone.
  return insertAt(index < 0 ? list : list.filter((_, i) => i !== index), position < 0 ? null : position, change.value);
}

/** The meeting after one event's changes; the input is not changed. Unknown entities are ignored. */
export function applyChanges(meeting, changes, seq) {
  let next = { ...meeting };
  for (const change of changes || []) {
    if (change.entity === "card") next.columns = applyCard(next.columns, change);
    else if (COLLECTIONS[change.entity]) {
      const field = COLLECTIONS[change.entity];
      next[field] = applyToList(next[field] || [], change);
    } else if (SINGLETONS[change.entity]) {
      next[SINGLETONS[change.entity]] = change.value;
      // Once finalised, the meeting is read-only for everyone.
      if (change.entity === "finalised") next.read_only = change.value !== null;
    }
  }
  if (typeof seq === "number") next.seq = seq;
  return next;
}

export function findCard(columns, cardId) {
  for (const id of COLUMN_IDS) {
    const index = (columns[id] || []).findIndex((card) => card.id === cardId);
    if (index >= 0) return { column: id, index, card: columns[id][index] };
  }
  return null;
}

export function findItem(meeting, entity, id) {
  if (entity === "card") {
    const found = findCard(meeting.columns, id);
    return found ? found.card : null;
  }
  const field = COLLECTIONS[entity];
  return field ? (meeting[field] || []).find((item) => item.id === id) || null : null;
}

export function currentPhase(meeting) {
  const id = meeting.phase && meeting.phase.current;
  return meeting.agenda.find((phase) => phase.id === id) || meeting.agenda[0] || null;
}

/**
 * What to draw of the map: the confirmed columns with this screen's pending card ops laid over them.
 * Each entry is {card, pending: null | "add" | "edit" | "move" | "delete", opId}.
 */
export function displayColumns(columns, pendingOps, me) {
  const view = {};
  for (const id of COLUMN_IDS) view[id] = (columns[id] || []).map((card) => ({ card, pending: null, opId: null }));
  const locate = (cardId) => {
    for (const id of COLUMN_IDS) {
      const index = view[id].findIndex((entry) => entry.card.id === cardId);
      if (index >= 0) return { column: id, index };
    }
    return null;
  };
  for (const { opId, op } of pendingOps) {
    if (op.type === "add_card") {
      const card = {
        id: `pending-${opId}`,
        column: op.column,
        kind: op.kind,
        text: op.text,
        author_id: me ? me.id : "",
        version: 0,
      };
      if (view[op.column]) view[op.column].push({ card, pending: "add", opId });
      continue;
    }
    if (!["edit_card", "move_card", "delete_card"].includes(op.type)) continue;
    const found = locate(op.card_id);
    if (!found) continue;
    const entry = view[found.column][found.index];
    if (op.type === "edit_card") {
      const card = { ...entry.card };
      if (op.text !== undefined) card.text = op.text;
      if (op.kind !== undefined) card.kind = op.kind;
      view[found.column][found.index] = { card, pending: "edit", opId };
    } else if (op.type === "move_card") {
      view[found.column].splice(found.index, 1);
      const card = { ...entry.card, column: op.column, kind: op.kind || entry.card.kind };
      view[op.column] = insertAt(view[op.column], op.position, { card, pending: "move", opId });
    } else if (op.type === "delete_card") {
      view[found.column][found.index] = { card: entry.card, pending: "delete", opId };
    }
  }
  return view;
}
