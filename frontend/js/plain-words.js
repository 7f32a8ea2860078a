// Plain words in the browser: find the jargon of children's social care in what someone is writing, offer the
// words a family would use, and estimate how easy the text is to read. Pure functions of the glossary that
// GET /api/glossary gives (the server's own, merged with the deployment's files) and of the text.
//
// The matching rules are the server's (app/domain/plain_words.py), built the same way, so a text flagged here is
// flagged by the finalise check and the exports, and the other way round:
// - a form (a term or one of its variants) matches as whole words only: no letter or digit right before or after;
// - in any case, except the forms with a capital in a `match_case` entry, which match only exactly as written;
// - inside a form, a run of spaces or hyphens matches any run of spaces or hyphens, ' matches ’ too; a plural "s"
//   right after a form is part of the match;
// - read from the start; at each place the longest form wins; flags never overlap.
//
// Readability: Flesch reading ease computed by the vendored `flesch` (the formula) with `syllable` (counting
// syllables), over word and sentence counts taken the way the server's textstat takes them. The bands and their
// plain words come from the server. An estimate: the server's textstat counts syllables with a pronouncing
// dictionary, so the two can differ by a few points.

import { flesch } from "../vendor/flesch/flesch.mjs";
import { syllable } from "../vendor/syllable/syllable.mjs";

const SYNTAX = new Set("^$\\.*+?()[]{}|/");
const SEPARATOR = "[\\s\\-]+";
const APOSTROPHE = "['\u2019]";
const BEFORE = "(?<![\\p{L}\\p{N}])";
const AFTER = "(?![\\p{L}\\p{N}])";
const SPACE_OR_HYPHEN = /[\s-]/u;

/** Whether a form matches only exactly as written: in a match_case entry, a form with a capital. */
export function isExact(form, matchCase) {
  return Boolean(matchCase) && /\p{Lu}/u.test(form);
}

/** The regular expression source for one form (the server builds the same, for Python's re). */
export function formPattern(form, exact) {
  const chars = Array.from(form);
  const parts = [];
  let index = 0;
  while (index < chars.length) {
    const char = chars[index];
    if (SPACE_OR_HYPHEN.test(char)) {
      while (index < chars.length && SPACE_OR_HYPHEN.test(chars[index])) index += 1;
      parts.push(SEPARATOR);
      continue;
    }
    const lower = char.toLowerCase();
    const upper = char.toUpperCase();
    if (char === "'" || char === "\u2019") parts.push(APOSTROPHE);
    else if (SYNTAX.has(char)) parts.push(`\\${char}`);
    else if (!exact && lower.length === 1 && upper.length === 1 && lower !== upper) parts.push(`[${lower}${upper}]`);
    else parts.push(char);
    index += 1;
  }
  return parts.join("") + (exact ? "s?" : "[sS]?");
}

function byLongestFirst([a], [b]) {
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function firstKey(form) {
  const first = Array.from(form)[0];
  return first.toLowerCase().length === 1 ? first.toLowerCase() : first;
}

function firstClass(key) {
  const upper = key.toUpperCase();
  return upper.length === 1 && upper !== key ? `[${key}${upper}]` : key;
}

function byKey(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The glossary as GET /api/glossary gives it, ready to search: build once, use for every keystroke. One
 * capturing group per form, longest first, grouped by first letter behind a lookahead (as the server does). */
export function compileGlossary(data) {
  const entries = (data && data.entries) || [];
  const byFirst = new Map();
  for (const entry of entries) {
    for (const form of entry.forms) {
      const key = firstKey(form);
      if (!byFirst.has(key)) byFirst.set(key, []);
      byFirst.get(key).push([form, entry]);
    }
  }
  const ordered = [];
  const branches = [];
  for (const key of [...byFirst.keys()].sort(byKey)) {
    const members = byFirst.get(key).sort(byLongestFirst);
    ordered.push(...members);
    const alternatives = members.map(([form, entry]) => `(${formPattern(form, isExact(form, entry.match_case))})`);
    branches.push(`(?=${firstClass(key)})(?:${alternatives.join("|")})`);
  }
  return {
    entries,
    groups: ordered.map(([, entry]) => entry),
    pattern: ordered.length ? new RegExp(`${BEFORE}(?:${branches.join("|")})${AFTER}`, "gu") : null,
    bands: (data && data.readability_bands) || [],
    minWords: (data && data.readability_min_words) || 3,
  };
}

/** Every term in the text, in order: {term, start, end, text (as written), plain, note}. */
export function findTerms(glossary, text) {
  if (!glossary || !glossary.pattern || !text) return [];
  const flags = [];
  for (const match of text.matchAll(glossary.pattern)) {
    let group = 1;
    while (group < match.length && match[group] === undefined) group += 1;
    const entry = glossary.groups[group - 1];
    flags.push({
      term: entry.term,
      start: match.index,
      end: match.index + match[0].length,
      text: match[0],
      plain: entry.plain,
      note: entry.note || "",
    });
  }
  return flags;
}

/** The flags grouped by term, in the order each term first appears: [{term, plain, note, flags}]. */
export function termsOf(flags) {
  const byTerm = new Map();
  for (const flag of flags) {
    if (!byTerm.has(flag.term)) byTerm.set(flag.term, { term: flag.term, plain: flag.plain, note: flag.note, flags: [] });
    byTerm.get(flag.term).flags.push(flag);
  }
  return [...byTerm.values()];
}

/** Whether the flag is the word being typed: at the very end of a text that ends in a letter or digit ("da" on
 * the way to "day"). The screen waits for the word to end before offering anything for it. */
export function stillTyping(flag, text) {
  return flag.end === text.length && /[\p{L}\p{N}]$/u.test(text);
}

const ARTICLE_BEFORE = /(^|[^\p{L}\p{N}])(a|an|the)(\s+)$/iu;
const ARTICLE_FIRST = /^(a|an|the)\s+/i;
const SENTENCE_START = /(^|[.!?:]\s+|\n\s*)$/u;

function capitalised(words) {
  return words ? words[0].toUpperCase() + words.slice(1) : words;
}

function sameCase(model, words) {
  return /^\p{Lu}/u.test(model) ? capitalised(words) : words;
}

/** The text with one flag's words replaced by its plain words: {text, caret} (the caret right after them).
 * Reads like a person would write it: "The LADO" becomes "The council officer ...", not "The the council ...";
 * "a s47 enquiry" becomes "an investigation ..."; at the start of a sentence the plain words get a capital. */
export function replaceTerm(text, flag) {
  let before = text.slice(0, flag.start);
  const after = text.slice(flag.end);
  let plain = flag.plain;
  const article = before.match(ARTICLE_BEFORE);
  const ownArticle = plain.match(ARTICLE_FIRST);
  if (article && ownArticle) {
    plain = plain.slice(ownArticle[0].length);
    let word = article[2];
    if (word.toLowerCase() !== "the") word = sameCase(word, /^[aeiou]/i.test(plain) ? "an" : "a");
    before = before.slice(0, before.length - article[0].length) + article[1] + word + article[3];
  } else if (SENTENCE_START.test(before)) {
    plain = capitalised(plain);
  }
  return { text: before + plain + after, caret: before.length + plain.length };
}

/** The text with every flag of one term replaced (flags in text order): {text, caret} after the first. */
export function replaceEach(text, flags) {
  let result = { text, caret: 0 };
  for (const flag of [...flags].reverse()) result = replaceTerm(result.text, flag);
  return result;
}

// ---- readability ---------------------------------------------------------------------------------------------

function words(text) {
  return text
    .replace(/[^\p{L}\p{N}_\s']/gu, "")
    .split(/\s+/u)
    .filter((word) => word.length > 0);
}

/** Sentences as the server's textstat counts them: runs of text up to . ! or ?, leaving out those of two words
 * or fewer ("Dr.", "10 a.m."), and never fewer than one. */
function sentences(text) {
  const found = text.match(/\b[^.!?]+[.!?]*/gu) || [];
  const counted = found.filter((sentence) => words(sentence).length > 2).length;
  return Math.max(1, counted);
}

/** How easy the text is to read, or null when it is too short to say: {words, sentences, score, band, advice,
 * summary}. */
export function readability(glossary, text) {
  const list = words(text || "");
  const minWords = glossary ? glossary.minWords : 3;
  if (list.length < minWords) return null;
  const syllables = list.reduce((sum, word) => sum + Math.max(1, syllable(word.replace(/'/g, ""))), 0);
  const score = flesch({ sentence: sentences(text), word: list.length, syllable: syllables });
  if (!Number.isFinite(score)) return null;
  const bands = (glossary && glossary.bands) || [];
  const band = bands.find((b) => b.min_score === null || score >= b.min_score);
  if (!band) return null;
  const shown = Math.max(0, Math.min(100, Math.round(score)));
  return {
    words: list.length,
    sentences: sentences(text),
    score,
    band: band.words,
    advice: band.advice || "",
    summary: `${capitalised(band.words)} (reading ease ${shown} out of 100).`,
  };
}
