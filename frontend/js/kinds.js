// The three columns of a Signs of Safety map and the kinds of card each may hold, in plain words.
// Mirrors app/domain/board.py (KINDS_BY_COLUMN); the server enforces it, this only shapes the forms.

import { FAMILY_KIND_LABELS } from "./words.js";

export const CARD_TEXT_MAX = 1000;

export const COLUMNS = [
  {
    id: "worries",
    question: "What are we worried about?",
    hint: "What has happened, and what makes things harder.",
    familyQuestion: "What are people worried about?",
    familyHint: "What has happened, and what makes things harder for your family.",
    kinds: ["harm", "complicating_factor", "grey_area"],
  },
  {
    id: "working_well",
    question: "What's working well?",
    hint: "Good things in this family, and safety already shown over time.",
    familyQuestion: "What's going well for your family?",
    familyHint: "The good things, and the times the children have been kept safe.",
    kinds: ["strength", "existing_safety", "grey_area"],
  },
  {
    id: "needs_to_happen",
    question: "What needs to happen?",
    hint: "What life will look like for the child, and who does what by when.",
    familyQuestion: "What needs to happen next?",
    familyHint: "How life should look for the children, and who will do what.",
    kinds: ["safety_goal", "next_step", "grey_area"],
  },
];

export const COLUMN_IDS = COLUMNS.map((c) => c.id);

export const KIND_LABELS = {
  harm: "Harm: what has happened",
  complicating_factor: "Complicating factor",
  grey_area: "Grey area: not sure yet / we disagree",
  strength: "Strength",
  existing_safety: "Existing safety",
  safety_goal: "Safety goal",
  next_step: "Next step",
};

export const ROLE_LABELS = {
  chair: "Chair",
  professional: "Professional",
  family: "Family",
  projector: "Room screen",
  observer: "Observer",
};

export function columnById(id) {
  return COLUMNS.find((c) => c.id === id);
}

export function kindLabel(kind, family = false) {
  if (family) return FAMILY_KIND_LABELS[kind] ?? kind;
  return KIND_LABELS[kind] ?? kind;
}

export function roleLabel(role) {
  return ROLE_LABELS[role] ?? role;
}

/** The kind to send when a card moves to another column: grey areas stay grey, others take the column's first. */
export function kindForMove(card, targetColumn) {
  if (card.column === targetColumn || card.kind === "grey_area") return undefined;
  const column = columnById(targetColumn);
  return column.kinds.includes(card.kind) ? undefined : column.kinds[0];
}
