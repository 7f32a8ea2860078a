// The family's tablet: touch first, large type, words a parent uses. The text-size control (kept in memory
// only), "Add your words" one tap from the top of the screen, the family's words marked as theirs, and a
// read-aloud button on every card and statement (the browser's own speech; no button where there is none).

import { html } from "../ui.js";
import { COLUMNS, CARD_TEXT_MAX, columnById } from "../kinds.js";
import { FAMILY_KIND_HELP, FAMILY_KIND_LABELS } from "../words.js";
import { LengthNote } from "./fields.js";

const TEXT_SIZES = ["Normal", "Large", "Larger", "Largest"];

export function TextSizeControl({ ctx }) {
  const { state, actions } = ctx;
  const size = state.textSize;
  return html`<div class="text-size" role="group" aria-labelledby="text-size-label" data-testid="text-size">
    <span id="text-size-label" class="text-size-label">Text size: <span data-testid="text-size-now">${TEXT_SIZES[size]}</span></span>
    <button type="button" class="text-size-button" data-testid="text-smaller" disabled=${size === 0}
      onClick=${() => actions.textSize(-1)}><span class="text-size-a" aria-hidden="true">A</span> Smaller</button>
    <button type="button" class="text-size-button text-size-up" data-testid="text-larger" disabled=${size === TEXT_SIZES.length - 1}
      onClick=${() => actions.textSize(1)}><span class="text-size-a" aria-hidden="true">A</span> Larger</button>
  </div>`;
}

/** The button at the top of the family's screen, and what it says after their words went in. */
export function FamilyAddButton({ ctx }) {
  const { state, actions } = ctx;
  if (!ctx.can("add_card")) return null;
  const open = state.ui.familyAdd.open;
  return html`<div class="family-add-top">
    <button type="button" class="primary big family-add-open" data-testid="family-add-open" aria-expanded=${open ? "true" : "false"}
      aria-controls="family-add" onClick=${() => (open ? actions.familyAddClose() : actions.familyAddOpen())}>
      ${open ? "Close" : "Add your words"}
    </button>
    <p class="family-added" role="status" aria-live="polite" data-testid="family-added">${state.ui.familyAdded}</p>
  </div>`;
}

/** "Add your words": which question, what kind (in a parent's words, each explained), and the words. */
export function FamilyAddPanel({ ctx }) {
  const { state, actions } = ctx;
  const add = state.ui.familyAdd;
  if (!add.open || !ctx.can("add_card")) return null;
  const column = columnById(add.column) || COLUMNS[1];
  const order = ["working_well", "worries", "needs_to_happen"].map(columnById);
  const submit = (event) => {
    event.preventDefault();
    actions.familyAddSubmit();
  };
  return html`<section id="family-add" class="family-add" aria-labelledby="family-add-heading" data-testid="family-add-form">
    <h2 id="family-add-heading">Add your words</h2>
    <form onSubmit=${submit}>
      <label for="family-add-text">Your words</label>
      <textarea id="family-add-text" name="text" rows="3" maxlength=${CARD_TEXT_MAX} value=${add.text} data-testid="family-add-text"
        aria-describedby="family-add-length" onInput=${(event) => actions.familyAddDraft({ text: event.currentTarget.value })}
        onKeyDown=${(event) => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            actions.familyAddSubmit();
          }
        }}></textarea>
      <${LengthNote} id="family-add-length" length=${add.text.length} max=${CARD_TEXT_MAX} />
      <fieldset class="big-choices">
        <legend>Which question is it about?</legend>
        <div class="choice-row">
          ${order.map(
            (c) => html`<span class="radio" key=${c.id}>
              <input type="radio" id=${`family-add-column-${c.id}`} name="family-add-column" value=${c.id} checked=${add.column === c.id}
                data-testid=${`family-add-column-${c.id}`} onChange=${() => actions.familyAddDraft({ column: c.id })} />
              <label for=${`family-add-column-${c.id}`}>${c.familyQuestion}</label>
            </span>`,
          )}
        </div>
      </fieldset>
      <fieldset class="kind-choices">
        <legend>What kind of thing is it?</legend>
        <div class="kind-list">
          ${column.kinds.map(
            (kind) => html`<span class="radio kind-choice" key=${kind}>
              <input type="radio" id=${`family-add-kind-${kind}`} name="family-add-kind" value=${kind} checked=${add.kind === kind}
                aria-describedby=${`family-add-kind-${kind}-help`} data-testid=${`family-add-kind-${kind}`}
                onChange=${() => actions.familyAddDraft({ kind })} />
              <label for=${`family-add-kind-${kind}`}>
                <span class="kind-name">${FAMILY_KIND_LABELS[kind]}</span>
                <span class="kind-help" id=${`family-add-kind-${kind}-help`}>${FAMILY_KIND_HELP[kind]}</span>
              </label>
            </span>`,
          )}
        </div>
      </fieldset>
      <div class="card-actions">
        <button type="submit" class="primary big" data-testid="family-add-submit" disabled=${add.text.trim().length === 0}>Add my words</button>
        <button type="button" class="big" onClick=${actions.familyAddClose}>Cancel</button>
      </div>
    </form>
  </section>`;
}

/** Whether this browser can read aloud. */
export function canSpeak() {
  return typeof globalThis.speechSynthesis !== "undefined" && typeof globalThis.SpeechSynthesisUtterance === "function";
}

export function ReadAloud({ ctx, itemKey, text, describedBy }) {
  if (!ctx.family || !canSpeak() || !text) return null;
  const speaking = ctx.state.ui.speaking === itemKey;
  return html`<button type="button" class="read-aloud" data-testid="read-aloud" aria-pressed=${speaking ? "true" : "false"}
    aria-describedby=${describedBy} onClick=${() => ctx.actions.readAloud(itemKey, text)}>
    ${speaking ? "Stop reading" : "Read aloud"}
  </button>`;
}

/** Whose words these are, when they are the family's: "Your words" on the author's own screen. */
export function FamilyWordsBadge({ ctx, authorId }) {
  const author = ctx.state.names.get(authorId);
  if (!author || author.role !== "family") return null;
  const mine = ctx.me && ctx.me.id === authorId;
  return html`<p class="badge badge-family" data-testid="family-words">${mine ? "Your words" : "The family's words"}</p>`;
}
