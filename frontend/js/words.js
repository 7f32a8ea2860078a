// Plain words for everything the meeting records, and the parts of the screen the agenda brings forward.
// Where a family member reads it, the words are the ones a parent uses (DESIGN.md: no jargon, no acronyms).

export const FAMILY_KIND_LABELS = {
  harm: "Something that has happened",
  complicating_factor: "Something that makes things harder",
  grey_area: "Not sure yet, or we don't agree",
  strength: "A good thing",
  existing_safety: "A time the children were kept safe",
  safety_goal: "How life should look for the children",
  next_step: "Something someone will do",
};

/** What each kind means, for a parent choosing where their words go. */
export const FAMILY_KIND_HELP = {
  harm: "Something that happened to the children that people are worried about.",
  complicating_factor: "Something that makes life harder, like money, health, housing or stress.",
  grey_area: "Something that is not clear yet, or that you don't agree with.",
  strength: "Something good about your family, or something you do well.",
  existing_safety: "A time you kept the children safe, even when things were hard.",
  safety_goal: "How you want life to be for the children when things have changed.",
  next_step: "Something someone will do to help, and by when.",
};

export const STATEMENT_FIELDS = [
  ["who_is_worried", "Who is worried"],
  ["behaviour", "What the adults did or may do"],
  ["impact", "The impact on the child"],
  ["if_nothing_changes", "What could happen if nothing changes"],
];

export const GOAL_FIELDS = [
  ["adults_will", "What the adults will be doing"],
  ["child_will_experience", "What the child will experience"],
  ["professionals_will_see", "What professionals will see"],
  ["how_long", "For how long"],
];

export const AGREEMENT = {
  agree: "Agrees",
  partly: "Partly agrees",
  disagree: "Does not agree",
  not_sure: "Not sure",
};

/** The same choices in the family's own voice. */
export const AGREEMENT_MINE = {
  agree: "I agree",
  partly: "I partly agree",
  disagree: "I don't agree",
  not_sure: "I'm not sure",
};

export const CATEGORIES = {
  neglect: "Neglect",
  physical_abuse: "Physical abuse",
  emotional_abuse: "Emotional abuse",
  sexual_abuse: "Sexual abuse",
};

export const OUTCOMES = {
  child_protection_plan: "Child Protection plan",
  no_plan: "No Child Protection plan",
};

export const HOUSES = [
  ["worries", "House of worries"],
  ["good_things", "House of good things"],
  ["dreams", "House of dreams"],
];

export const PRESENCE = {
  present: "Here",
  apologies: "Sent apologies",
  absent: "Not here",
  left: "Left",
  stepped_out: "Stepped out",
};

export const GROUPS = { family: "Family", professional: "Professional", other: "Other" };

export const ROUND_LABELS = { start: "Start", end: "End", other: "During" };

/** The parts of the screen; each phase's `area` brings one of them forward. */
export const PARTS = {
  attendance: "Who is here",
  map: "The map",
  voice: "What the children say",
  statements: "Danger statements and safety goals",
  scaling: "Safety scale",
  plan: "The plan",
  decision: "Decision",
};

const PART_OF_AREA = {
  attendance: "attendance",
  worries: "map",
  working_well: "map",
  needs_to_happen: "map",
  voice: "voice",
  statements: "statements",
  scaling: "scaling",
  plan: "plan",
  decision: "decision",
  close: "plan",
};

export function partOfArea(area) {
  return PART_OF_AREA[area] || "map";
}

const PART_OF_ENTITY = {
  statement: "statements",
  round: "scaling",
  step: "plan",
  network_member: "plan",
  decision: "decision",
  voice: "voice",
  child: "attendance",
  attendee: "attendance",
};

/** The part where an item shows (cards: the map, which is always on screen). */
export function partOfEntity(entity) {
  return PART_OF_ENTITY[entity] || null;
}

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function formatDate(isoDate) {
  if (!isoDate) return "";
  const date = new Date(`${isoDate}T12:00:00`);
  if (Number.isNaN(date.getTime())) return isoDate;
  return date.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}
