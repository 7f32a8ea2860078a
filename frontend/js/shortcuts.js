// The chair's keyboard shortcuts: one key each, for the moves a chair makes many times a meeting. They never fire
// while someone types in a field, nor with Ctrl, Alt or the Command key held (those belong to the browser), and
// the chair can turn them off (WCAG 2.1.4) from the list the page shows ("Keyboard shortcuts").
//
// A shortcut that changes something for everyone and can be taken back (the phase, pointing, the closed part)
// acts at once; one that cannot be taken back (revealing a round, finalising) only takes the keyboard to its
// button, so Enter is still the chair's own decision.

export const SHORTCUTS = [
  { key: "n", action: "shortcutNext", words: "Move the meeting to the next part of the agenda" },
  { key: "b", action: "shortcutBack", words: "Move the meeting back to the part it came from" },
  { key: "p", action: "shortcutPoint", words: "Point everyone at the card or item you are on (Tab to it first)" },
  { key: "x", action: "shortcutStopPointing", words: "Stop pointing" },
  { key: "c", action: "shortcutClosedPart", words: "Start the closed part (the family steps out), or end it" },
  { key: "a", action: "shortcutAddCard", words: "Write a card in the column the meeting is on" },
  { key: "o", action: "shortcutOpenRound", words: "Start a scaling round: go to its form" },
  { key: "r", action: "shortcutReveal", words: "Go to “Show everyone's answers” of the open scaling round" },
  { key: "d", action: "shortcutDecision", words: "Go to the decision" },
  { key: "l", action: "shortcutPeople", words: "Open or close People and joining (the room code and the lobby)" },
  { key: "?", action: "shortcutHelp", words: "Show or hide this list" },
];

const BY_KEY = new Map(SHORTCUTS.map((s) => [s.key, s]));

/** Whether the keyboard is in something a person types into: then every key is theirs. */
export function typingIn(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.closest("[contenteditable=''], [contenteditable='true']")) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  return !["button", "submit", "reset", "checkbox", "radio", "range", "color", "file", "image"].includes(target.type);
}

/** The shortcut a key press means, or null. */
export function shortcutFor(event) {
  if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.altKey || event.metaKey) return null;
  if (typingIn(event.target)) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const found = BY_KEY.get(key);
  if (!found) return null;
  if (event.shiftKey && key !== "?") return null;
  return found;
}
