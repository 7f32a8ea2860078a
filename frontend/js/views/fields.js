// Small building blocks every part of the screen shares: form fields bound to drafts the controller keeps
// (so nothing typed is lost when a part of the screen goes away and comes back), who wrote what, the plain-words
// check under what people write, and the chair's tools on any item (point everyone at it, keep it from the family).

import { compileGlossary, findTerms, readability, replaceEach, stillTyping, termsOf } from "../plain-words.js";
import { html } from "../ui.js";

// ---- plain words ---------------------------------------------------------------------------------------------

const GLOSSARY_WAIT_MS = 3000;

/** The glossary, from GET /api/glossary, once per page, before the first render (this module waits for it, so
 * every field can check from the first keystroke). A slow or failed answer never holds the board up: the page
 * then goes on without the check. */
async function loadGlossary() {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), GLOSSARY_WAIT_MS);
  try {
    const response = await fetch("/api/glossary", { credentials: "same-origin", signal: abort.signal });
    return response.ok ? compileGlossary(await response.json()) : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

const GLOSSARY = await loadGlossary();

/** The ids of the plain-words notes of a field, for its aria-describedby. */
export function plainWordsIds(fieldId) {
  return GLOSSARY ? `${fieldId}-plain ${fieldId}-reading` : "";
}

function describedByOf(...ids) {
  const joined = ids.filter(Boolean).join(" ");
  return joined || undefined;
}

function putBack(fieldId, caret) {
  // After the controller has rendered the new words: the keyboard goes back where the person was writing.
  setTimeout(() => {
    const field = document.getElementById(fieldId);
    if (!field) return;
    field.focus();
    if (typeof field.setSelectionRange === "function") field.setSelectionRange(caret, caret);
  }, 0);
}

/** field id -> the last text checked there and what was found: every render redraws every field on screen, and
 * only the one being typed in has changed. */
const lastChecks = new Map();

function checkWords(fieldId, value) {
  const last = lastChecks.get(fieldId);
  if (last && last.value === value) return last;
  const result = { value, terms: termsOf(findTerms(GLOSSARY, value)), reading: readability(GLOSSARY, value) };
  if (lastChecks.size > 200) lastChecks.clear();
  lastChecks.set(fieldId, result);
  return result;
}

/** The plain-words check under a field, for whoever writes (the notes sit right after the field, as siblings):
 * each term families may not know, underlined, with the plain words offered and a button that puts them in its
 * place; and an estimate of how easy the text is to read. A new note is announced politely; the reading estimate
 * is read with the field's description, never announced while typing. The word being typed is left alone until
 * it ends ("da" on the way to "day"): its note waits outside the announced list, hidden while the field has
 * focus (styles.css). */
export function PlainWords({ fieldId, text, onReplace, family = false }) {
  if (!GLOSSARY) return null;
  const value = text || "";
  const { terms, reading } = checkWords(fieldId, value);
  const typing = (term) => term.flags.every((flag) => stillTyping(flag, value));
  const who = family ? "Not everyone may know this." : "Families may not know this.";
  const item = ({ term, plain, note, flags }, index) => {
    const noteId = `${fieldId}-plain-${index}`;
    return html`<li key=${term} class="plain-flag" data-testid="plain-flag" data-term=${term}>
      <p id=${noteId}>
        <span class="jargon" data-testid="plain-term">${flags[0].text}</span>${flags.length > 1 ? ` (${flags.length} times)` : ""}
        ${" — "}${who} You could say: <q class="plain-offer" data-testid="plain-offer">${plain}</q>
      </p>
      ${note ? html`<p class="plain-note">${note}</p>` : null}
      <button type="button" class="quiet" data-testid="plain-replace" aria-describedby=${noteId}
        onClick=${() => {
          const result = replaceEach(value, flags);
          onReplace(result.text);
          putBack(fieldId, result.caret);
        }}>Use these words</button>
    </li>`;
  };
  const settled = terms.filter((term) => !typing(term));
  const waiting = terms.filter(typing);
  return html`<div class="plain-words" data-testid="plain-words">
    <div id=${`${fieldId}-plain`} class="plain-flags" aria-live="polite">
      ${settled.length ? html`<ul class="plain-list">${settled.map(item)}</ul>` : null}
    </div>
    ${waiting.length ? html`<ul class="plain-list plain-typing">${waiting.map((term, i) => item(term, settled.length + i))}</ul>` : null}
    <p id=${`${fieldId}-reading`} class="reading-ease" data-testid="readability" data-band=${reading ? reading.band : undefined}>
      ${reading ? html`${reading.summary}${reading.advice ? ` ${reading.advice}` : ""}` : null}
    </p>
  </div>`;
}

// ---- form fields ---------------------------------------------------------------------------------------------

const LENGTH_NOTE_FROM = 200; // characters before a box's limit

/** How much room a box has left, said from near its limit. At the limit it says what the browser never does: a
 * box with a maxlength drops the end of anything pasted into it without a word. */
export function lengthNote(length, max) {
  const left = max - length;
  if (left > LENGTH_NOTE_FROM) return "";
  if (left <= 0) {
    return `This box is full: it holds ${max} characters. If you pasted in more, the end was left out.`;
  }
  return `${left} ${left === 1 ? "character" : "characters"} left`;
}

export function LengthNote({ id, length, max }) {
  return html`<p class="counter" id=${id} aria-live="polite" data-testid="length-note">${lengthNote(length, max)}</p>`;
}

export function fieldId(form, name) {
  return `f-${form.replace(/[^A-Za-z0-9_-]/g, "-")}-${name}`;
}

export function draftOf(ctx, form) {
  return ctx.state.ui.drafts[form] || {};
}

export function draftValue(ctx, form, name, fallback = "") {
  const value = draftOf(ctx, form)[name];
  return value === undefined ? fallback : value;
}

/** Ctrl+Enter (Command+Enter on a Mac) in any box of a form does what the form's main button does: adds, or
 * saves. (A one-line box already submits its form with Enter.) */
export function submitOnCtrlEnter(event) {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  const form = event.currentTarget.form;
  if (!form) return;
  event.preventDefault();
  form.requestSubmit();
}

/** A text box bound to a draft. Words people write as sentences (every multiline field) get the plain-words
 * check; a one-line field gets it with `plain` (and a multiline one can do without with `plain=${false}`). */
export function TextField({ ctx, form, name, label, help, multiline = false, rows = 3, maxlength = 1000, type = "text", testid, required = false, fallback = "", plain }) {
  const id = fieldId(form, name);
  const value = draftValue(ctx, form, name, fallback);
  const onInput = (event) => ctx.actions.draft(form, name, event.currentTarget.value);
  const withPlainWords = type === "text" && (plain === undefined ? multiline : Boolean(plain));
  const describedBy = describedByOf(help ? `${id}-help` : "", multiline ? `${id}-length` : "", withPlainWords ? plainWordsIds(id) : "");
  return html`<div class="field">
    <label for=${id}>${label}${required ? html` <span class="required">(needed)</span>` : null}</label>
    ${help ? html`<p class="help" id=${`${id}-help`}>${help}</p>` : null}
    ${multiline
      ? html`<textarea id=${id} name=${name} rows=${rows} maxlength=${maxlength} value=${value} onInput=${onInput}
          aria-describedby=${describedBy} data-testid=${testid} onKeyDown=${submitOnCtrlEnter}></textarea>
        <${LengthNote} id=${`${id}-length`} length=${typeof value === "string" ? value.length : 0} max=${maxlength} />`
      : html`<input id=${id} name=${name} type=${type} maxlength=${type === "text" ? maxlength : undefined} value=${value}
          onInput=${onInput} aria-describedby=${describedBy} data-testid=${testid} autocomplete="off" onKeyDown=${submitOnCtrlEnter} />`}
    ${withPlainWords
      ? html`<${PlainWords} fieldId=${id} text=${typeof value === "string" ? value : ""} family=${Boolean(ctx.family)}
          onReplace=${(words) => ctx.actions.draft(form, name, words)} />`
      : null}
  </div>`;
}

export function SelectField({ ctx, form, name, label, options, testid, fallback }) {
  const id = fieldId(form, name);
  const first = options.length ? options[0][0] : "";
  const value = draftValue(ctx, form, name, fallback === undefined ? first : fallback);
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} name=${name} value=${value} data-testid=${testid}
      onChange=${(event) => ctx.actions.draft(form, name, event.currentTarget.value)}>
      ${options.map(([optionValue, words]) => html`<option key=${optionValue} value=${optionValue}>${words}</option>`)}
    </select>
  </div>`;
}

export function CheckField({ ctx, form, name, label, testid, help }) {
  const id = fieldId(form, name);
  const checked = Boolean(draftValue(ctx, form, name, false));
  return html`<div class="field check">
    <input type="checkbox" id=${id} name=${name} checked=${checked} data-testid=${testid}
      aria-describedby=${help ? `${id}-help` : undefined}
      onChange=${(event) => ctx.actions.draft(form, name, event.currentTarget.checked)} />
    <label for=${id}>${label}</label>
    ${help ? html`<p class="help" id=${`${id}-help`}>${help}</p>` : null}
  </div>`;
}

/** A group of checkboxes whose draft value is the list of the chosen values. */
export function CheckList({ ctx, form, name, legend, options, testid }) {
  const chosen = draftValue(ctx, form, name, []);
  const toggle = (value, on) => {
    const next = on ? [...chosen.filter((v) => v !== value), value] : chosen.filter((v) => v !== value);
    ctx.actions.draft(form, name, options.map(([v]) => v).filter((v) => next.includes(v)));
  };
  return html`<fieldset class="checklist" data-testid=${testid}>
    <legend>${legend}</legend>
    ${options.map(([value, words]) => {
      const id = `${fieldId(form, name)}-${value}`;
      return html`<span class="choice" key=${value}>
        <input type="checkbox" id=${id} checked=${chosen.includes(value)}
          onChange=${(event) => toggle(value, event.currentTarget.checked)} />
        <label for=${id}>${words}</label>
      </span>`;
    })}
  </fieldset>`;
}

/** One choice of several, as large radio buttons (the 0 to 10 scale, agreement). */
export function RadioGroup({ ctx, form, name, legend, options, testid, className = "" }) {
  const value = draftValue(ctx, form, name, null);
  return html`<fieldset class=${`radios ${className}`} data-testid=${testid}>
    <legend>${legend}</legend>
    <div class="radio-row">
      ${options.map(([optionValue, words]) => {
        const id = `${fieldId(form, name)}-${optionValue}`;
        return html`<span class="radio" key=${optionValue}>
          <input type="radio" id=${id} name=${fieldId(form, name)} value=${optionValue}
            checked=${String(value) === String(optionValue)}
            onChange=${() => ctx.actions.draft(form, name, optionValue)} />
          <label for=${id}>${words}</label>
        </span>`;
      })}
    </div>
  </fieldset>`;
}

/** The refusal or conflict of a form, where the person is looking. */
export function FormMessage({ ctx, form }) {
  const error = ctx.state.ui.formErrors[form];
  const editor = ctx.state.ui.editors[form];
  return html`${editor && editor.conflict
    ? html`<div class="conflict" role="alert" data-testid="form-conflict" data-form-message=${form}>
        <p>${editor.conflict}</p>
        ${editor.current ? html`<p class="conflict-label">It now says:</p><blockquote>${editor.current}</blockquote>` : null}
        <p>What you changed is still in the boxes; the rest now shows the new words. Save to keep yours, or Cancel to keep it as it is now.</p>
      </div>`
    : null}
  ${error ? html`<p class="form-error" role="alert" data-testid="form-error" data-form-message=${form}>${error}</p>` : null}`;
}

export function Byline({ ctx, item, label = "Written by" }) {
  if (!item || !item.author_id) return null;
  const author = ctx.nameOf(item.author_id);
  const editor = item.edited_by && item.edited_by !== item.author_id ? ctx.nameOf(item.edited_by) : "";
  return html`<p class="byline" data-testid="byline">
    ${label} ${author}${editor ? html`<span class="edited-by">, changed by ${editor}</span>` : null}
  </p>`;
}

export function RestrictedBadge({ item, entity }) {
  if (!item) return null;
  if (entity === "voice" && !item.shared) {
    return html`<p class="badge badge-private" data-testid="private-badge">Not shared with the family: the child did not agree</p>`;
  }
  if (item.restricted) {
    return html`<p class="badge badge-private" data-testid="private-badge">Private: kept from the family and the room screen</p>`;
  }
  return null;
}

/** The chair's tools on one item: point everyone at it, keep it from the family or show it again. */
export function ItemTools({ ctx, entity, id, item, describedBy, restrictable = true }) {
  const canFocus = ctx.can("set_focus");
  const canRestrict = restrictable && ctx.can("set_restricted");
  if (!canFocus && !canRestrict) return null;
  const focused = ctx.isFocused(entity, id);
  return html`<div class="item-tools" role="group" aria-label="Chair's tools">
    ${canFocus
      ? focused
        ? html`<button type="button" class="quiet" aria-describedby=${describedBy} onClick=${() => ctx.actions.focus(null)}>Stop pointing</button>`
        : html`<button type="button" class="quiet" aria-describedby=${describedBy} data-testid="point-here"
            onClick=${() => ctx.actions.focus(entity, id)}>Point everyone here</button>`
      : null}
    ${canRestrict
      ? item && item.restricted
        ? html`<button type="button" class="quiet" aria-describedby=${describedBy} data-testid="lift-restriction"
            onClick=${() => ctx.actions.restrict(entity, id, false)}>Show to the family</button>`
        : html`<button type="button" class="quiet" aria-describedby=${describedBy} data-testid="restrict"
            onClick=${() => ctx.actions.restrict(entity, id, true)}>Keep from the family</button>`
      : null}
  </div>`;
}

/** Attributes every item on screen carries, so focus can find it and the room can see it is pointed at. */
export function itemAttrs(ctx, entity, id, extraClass = "") {
  const focused = ctx.isFocused(entity, id);
  return {
    "data-item": `${entity}:${id}`,
    class: `${extraClass}${focused ? " is-focused" : ""}`,
    "data-focused": focused ? "true" : undefined,
  };
}

export function FocusNote({ ctx, entity, id }) {
  return ctx.isFocused(entity, id) ? html`<p class="focus-note" data-testid="focus-note">The chair is pointing everyone here</p>` : null;
}

export function childNames(ctx, ids) {
  return (ids || []).map((id) => ctx.childName(id)).filter(Boolean).join(", ");
}

/** Words kept from a form that went away under the person (someone deleted the card they were editing, or the
 * chair showed a round's answers before theirs was sent): what happened in plain words, and their words still in
 * a box they can go on writing in, so not one keystroke is lost. `children`: what they can do with them. */
export function KeptWords({ ctx, kept, what, tag = "div", children }) {
  const boxId = `${kept.id}-words`;
  return html`<${tag} class="lost-edit" role=${tag === "li" ? undefined : "group"} data-lost=${kept.id} data-testid="lost-edit"
    aria-labelledby=${`${kept.id}-what`}>
    <div role="alert">
      <p id=${`${kept.id}-what`} class="lost-edit-what">${what}</p>
    </div>
    <label for=${boxId}>Your words are kept here:</label>
    <textarea id=${boxId} rows="3" value=${kept.text} data-testid="lost-edit-text"
      onInput=${(event) => ctx.actions.lostEditDraft(kept.id, event.currentTarget.value)}></textarea>
    <div class="card-actions">
      ${children}
      <button type="button" data-testid="lost-edit-dismiss" onClick=${() => ctx.actions.lostEditDismiss(kept.id)}>Dismiss</button>
    </div>
  </${tag}>`;
}
