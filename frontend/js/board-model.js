// The board as this screen knows it: the server's confirmed columns, plus pure functions to apply the
// server's events and to lay this screen's not-yet-acknowledged ops over the top for display.
// No DOM, no network: everything here is plain data in, plain data out.

import { COLUMN_IDS } from "./kinds.js";

export function emptyColumns() {
  return Object.fromEntries(COLUMN_IDS.map((id) => [id, []]));
}

/** The columns of a `hello.board` (a BoardState), copied so nobody shares arrays with the frame. */
export function columnsFromBoard(board) {
  const columns = emptyColumns();
  for (const id of COLUMN_IDS) columns[id] = [...((board && board.columns && board.columns[id]) || [])];
  return columns;
}

function without(columns, cardId) {
  const next = {};
  for (const id of COLUMN_IDS) next[id] = columns[id].filter((card) => card.id !== cardId);
  return next;
}

function insertAt(list, index, card) {
  const at = typeof index === "number" ? Math.max(0, Math.min(index, list.length)) : list.length;
  return [...list.slice(0, at), card, ...list.slice(at)];
}

/** Apply one accepted `event` frame; returns new columns (the input is not changed). */
export function applyEvent(columns, event) {
  const op = event.op || {};
  switch (op.type) {
    case "add_card": {
      if (!event.card) return columns;
      const next = without(columns, event.card.id);
      next[op.column] = insertAt(next[op.column] || [], op.position, event.card);
      return next;
    }
    case "edit_card": {
      if (!event.card) return columns;
      const next = {};
      for (const id of COLUMN_IDS) {
        next[id] = columns[id].map((card) => (card.id === event.card.id ? event.card : card));
      }
      return next;
    }
    case "move_card": {
      if (!event.card) return columns;
      const next = without(columns, event.card.id);
      next[op.column] = insertAt(next[op.column] || [], op.position, event.card);
      return next;
    }
    case "delete_card":
      return without(columns, op.card_id);
    default:
      return columns;
  }
}

export function findCard(columns, cardId) {
  for (const id of COLUMN_IDS) {
    const index = columns[id].findIndex((card) => card.id === cardId);
    if (index >= 0) return { column: id, index, card: columns[id][index] };
  }
  return null;
}

/**
 * What to draw: the confirmed columns with this screen's pending ops laid over them, so whoever typed
 * something sees it at once, marked as waiting, even while the connection is down.
 * Each entry is {card, pending: null | "add" | "edit" | "move" | "delete", opId}.
 */
export function displayColumns(columns, pendingOps, me) {
  const view = {};
  for (const id of COLUMN_IDS) view[id] = columns[id].map((card) => ({ card, pending: null, opId: null }));
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
