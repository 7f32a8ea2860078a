// The three columns of the map, their cards and the forms on them; danger statements and safety goals show in
// their columns too (their own part of the screen is where they are written).

import { html } from "../ui.js";
import { CARD_TEXT_MAX, COLUMNS, columnById, kindLabel } from "../kinds.js";
import { FocusNote, ItemTools, KeptWords, LengthNote, PlainWords, RestrictedBadge, itemAttrs, plainWordsIds } from "./fields.js";
import { FamilyWordsBadge, ReadAloud } from "./tablet.js";

/** Ctrl+Enter (Command+Enter on a Mac) in a box: what the form's main button does. */
export function ctrlEnter(action) {
  return (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      action();
    }
  };
}

/** Soft presence: who else has this item open for editing (the server says so in `presence`; never a lock). */
export function editorsOf(ctx, entity, id) {
  const me = ctx.me ? ctx.me.id : "";
  return ctx.state.present
    .filter((p) => p.participant_id !== me && (p.editing || []).some((e) => e && e.entity === entity && e.item_id === id))
    .map((p) => p.display_name);
}

function EditingNote({ ctx, id }) {
  const names = editorsOf(ctx, "card", id);
  if (!names.length) return null;
  const who = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return html`<p class="editing-note" data-testid="editing-note">${who} ${names.length === 1 ? "is" : "are"} editing this card</p>`;
}

function KindSelect({ id, kinds, value, testid, family, onChange }) {
  return html`<select id=${id} name="kind" data-testid=${testid} value=${kinds.includes(value) ? value : kinds[0]}
    onChange=${(event) => onChange(event.currentTarget.value)}>
    ${kinds.map((kind) => html`<option key=${kind} value=${kind}>${kindLabel(kind, family)}</option>`)}
  </select>`;
}

export function MapPart({ ctx, currentArea }) {
  return html`<section class="map-part" aria-labelledby="map-heading">
    <h2 id="map-heading" class="visually-hidden">The map</h2>
    <div class="columns">
      ${COLUMNS.map((column) => html`<${Column} key=${column.id} ctx=${ctx} column=${column} current=${currentArea === column.id} />`)}
    </div>
  </section>`;
}

function Column({ ctx, column, current }) {
  const { state, actions } = ctx;
  const entries = state.display[column.id] || [];
  const headingId = `heading-${column.id}`;
  const canAdd = ctx.can("add_card");
  const draft = state.ui.addDrafts[column.id] || { text: "", kind: column.kinds[0] };
  const question = ctx.family ? column.familyQuestion : column.question;
  const hint = ctx.family ? column.familyHint : column.hint;
  const lost = state.ui.lostEdits.filter((l) => l.column === column.id);
  const items = [];
  entries.forEach((entry, index) => {
    for (const l of lost) if (l.index === index) items.push(html`<${LostEdit} key=${l.id} ctx=${ctx} lost=${l} />`);
    items.push(html`<${Card} key=${entry.card.id} ctx=${ctx} entry=${entry} index=${index} count=${entries.length} />`);
  });
  for (const l of lost) if (l.index >= entries.length) items.push(html`<${LostEdit} key=${l.id} ctx=${ctx} lost=${l} />`);
  return html`<section class=${`column column-${column.id}${current ? " is-current" : ""}`} data-testid=${`column-${column.id}`}
    data-column=${column.id} aria-current=${current ? "true" : undefined}>
    <h2 id=${headingId} class="column-question">${question}</h2>
    <p class="column-hint">${hint}</p>
    ${ctx.family && canAdd
      ? html`<button type="button" class="family-add-here" data-testid=${`family-add-here-${column.id}`} aria-describedby=${headingId}
          onClick=${() => actions.familyAddOpen(column.id)}>Add your words here</button>`
      : null}
    <ol class="cards" data-testid=${`cards-${column.id}`} aria-labelledby=${headingId}>
      ${items}
    </ol>
    ${entries.length === 0 ? html`<p class="empty">Nothing here yet.</p>` : null}
    ${column.id === "worries" ? html`<${StatementsInColumn} ctx=${ctx} />` : null}
    ${column.id === "needs_to_happen" ? html`<${GoalsInColumn} ctx=${ctx} />` : null}
    ${canAdd && !ctx.family
      ? html`<form class="add-card" data-add-column=${column.id} data-testid=${`add-card-${column.id}`}
          onSubmit=${(event) => {
            event.preventDefault();
            actions.addCard(column.id);
          }}>
          <h3 class="add-heading">${ctx.family ? "Add your own words" : "Add a card"}</h3>
          <label for=${`add-kind-${column.id}`}>Type of card</label>
          <${KindSelect} id=${`add-kind-${column.id}`} kinds=${column.kinds} value=${draft.kind} family=${ctx.family}
            testid=${`add-kind-${column.id}`} onChange=${(kind) => actions.addCardDraft(column.id, { kind })} />
          <label for=${`add-text-${column.id}`}>Words on the card</label>
          <textarea id=${`add-text-${column.id}`} name="text" rows="3" maxlength=${CARD_TEXT_MAX} value=${draft.text}
            data-testid=${`add-text-${column.id}`} aria-describedby=${`add-counter-${column.id} ${plainWordsIds(`add-text-${column.id}`)}`.trim()}
            onInput=${(event) => actions.addCardDraft(column.id, { text: event.currentTarget.value })}
            onKeyDown=${(event) => {
              if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                actions.addCard(column.id);
              }
            }}></textarea>
          <${LengthNote} id=${`add-counter-${column.id}`} length=${draft.text.length} max=${CARD_TEXT_MAX} />
          <p class="help keys-hint">Ctrl+Enter adds the card.</p>
          <${PlainWords} fieldId=${`add-text-${column.id}`} text=${draft.text} family=${ctx.family}
            onReplace=${(text) => actions.addCardDraft(column.id, { text })} />
          <button type="submit" class="primary" data-testid=${`add-submit-${column.id}`} disabled=${draft.text.trim().length === 0}>Add card</button>
        </form>`
      : null}
  </section>`;
}

function StatementsInColumn({ ctx }) {
  const statements = ctx.state.board.statements || [];
  if (!statements.length) return null;
  return html`<div class="in-column" data-testid="statements-in-column">
    <h3>${ctx.family ? "What people are worried could happen" : "Danger statements"}</h3>
    <ul>
      ${statements.map((s) => html`<li key=${s.id} class=${ctx.isFocused("statement", s.id) ? "mini is-focused" : "mini"}>${s.behaviour}</li>`)}
    </ul>
    ${ctx.projector ? null : html`<button type="button" class="link" onClick=${() => ctx.actions.lookAtPart("statements")}>${ctx.family ? "See these worries in full" : "See the danger statements"}</button>`}
  </div>`;
}

function GoalsInColumn({ ctx }) {
  const goals = (ctx.state.board.statements || []).filter((s) => s.goal);
  if (!goals.length) return null;
  return html`<div class="in-column" data-testid="goals-in-column">
    <h3>${ctx.family ? "What needs to be different" : "Safety goals"}</h3>
    <ul>
      ${goals.map((s) => html`<li key=${s.id} class="mini">${s.goal.adults_will || s.goal.child_will_experience || s.goal.professionals_will_see}</li>`)}
    </ul>
  </div>`;
}

const PENDING_WORDS = {
  add: "Waiting to be sent",
  edit: "Your change is waiting to be sent",
  move: "Your move is waiting to be sent",
  delete: "Waiting to be deleted",
};

function Card({ ctx, entry, index, count }) {
  const { state, actions } = ctx;
  const { card, pending } = entry;
  const mine = state.me && card.author_id === state.me.id;
  const allowed = (opType) => !pending && ctx.canOn(opType, card);
  const editing = state.ui.editing[card.id];
  let mode = "view";
  if (editing && !pending) mode = "edit";
  else if (state.ui.moving === card.id && allowed("move_card")) mode = "move";
  else if (state.ui.confirmingDelete === card.id && allowed("delete_card")) mode = "delete";
  const key = card.id;
  const textId = `card-text-${key}`;
  const author = ctx.nameOf(card.author_id);
  const editor = card.edited_by && card.edited_by !== card.author_id ? ctx.nameOf(card.edited_by) : "";
  const attrs = itemAttrs(
    ctx,
    "card",
    card.id,
    `card kind-${card.kind}${pending ? " is-pending" : ""}${mode !== "view" ? " is-active" : ""}${card.restricted ? " is-restricted" : ""}`,
  );
  const canEdit = allowed("edit_card");
  const canMove = allowed("move_card");
  const canDelete = allowed("delete_card");
  const onKeyDown = (event) => {
    if (event.key !== "Escape") return;
    if (mode === "edit") actions.cardEditCancel(card.id);
    else if (mode === "move") actions.cardMoveDone(card.id);
    else if (mode === "delete") actions.cardDeleteCancel(card.id);
  };
  return html`<li ...${attrs} data-testid="card" data-key=${key} data-card-id=${pending === "add" ? undefined : card.id}
    data-kind=${card.kind} data-version=${card.version} data-pending=${pending || undefined} data-mine=${mine ? "true" : undefined}
    onKeyDown=${onKeyDown}>
    <${FocusNote} ctx=${ctx} entity="card" id=${card.id} />
    <p class="card-kind" data-testid="card-kind">${kindLabel(card.kind, ctx.family)}</p>
    <p class="card-text" id=${textId} data-testid="card-text">${card.text}</p>
    ${author
      ? html`<p class="card-author" data-testid="card-author">${mine ? `${author} (you)` : author}${editor ? html`<span class="edited-by">, changed by ${editor}</span>` : null}</p>`
      : null}
    <${FamilyWordsBadge} ctx=${ctx} authorId=${card.author_id} />
    <${RestrictedBadge} item=${card} entity="card" />
    ${pending ? null : html`<${EditingNote} ctx=${ctx} id=${card.id} />`}
    ${pending ? html`<p class="card-pending" data-testid="card-pending">${PENDING_WORDS[pending]}</p>` : null}
    ${!pending && mode === "edit" ? html`<${EditForm} ctx=${ctx} card=${card} editing=${editing} />` : null}
    ${!pending && mode === "move" ? html`<${MovePanel} ctx=${ctx} card=${card} index=${index} count=${count} textId=${textId} />` : null}
    ${!pending && mode === "delete"
      ? html`<div class="card-delete" role="group" aria-label="Delete this card" data-testid="delete-confirm">
          <p>Delete this card for everyone in the meeting?</p>
          <div class="card-actions">
            <button type="button" class="danger" data-action="delete-confirm" aria-describedby=${textId} onClick=${() => actions.cardDeleteConfirm(card.id)}>Yes, delete it</button>
            <button type="button" data-action="delete-cancel" onClick=${() => actions.cardDeleteCancel(card.id)}>No, keep it</button>
          </div>
        </div>`
      : null}
    ${!pending && mode === "view" && (canEdit || canMove || canDelete)
      ? html`<div class="card-actions">
          ${canEdit ? html`<button type="button" data-action="edit" aria-describedby=${textId} onClick=${() => actions.cardEditStart(card.id)}>Edit</button>` : null}
          ${canMove ? html`<button type="button" data-action="move" aria-describedby=${textId} onClick=${() => actions.cardMoveStart(card.id)}>Move</button>` : null}
          ${canDelete ? html`<button type="button" data-action="delete" aria-describedby=${textId} onClick=${() => actions.cardDeleteAsk(card.id)}>Delete</button>` : null}
        </div>`
      : null}
    ${mode === "view" ? html`<${ReadAloud} ctx=${ctx} itemKey=${`card:${card.id}`} text=${`${kindLabel(card.kind, true)}. ${card.text}`} describedBy=${textId} />` : null}
    ${!pending && mode === "view" ? html`<${ItemTools} ctx=${ctx} entity="card" id=${card.id} item=${card} describedBy=${textId} />` : null}
  </li>`;
}

/** Where a card was that someone deleted while this person was editing it: their words, kept, right here. */
function LostEdit({ ctx, lost }) {
  return html`<${KeptWords} ctx=${ctx} kept=${lost} tag="li" what="Someone deleted this card while you were editing it.">
    ${ctx.can("add_card")
      ? html`<button type="button" class="primary" data-testid="lost-edit-add" disabled=${!lost.text.trim()}
          onClick=${() => ctx.actions.lostEditAdd(lost.id)}>Add them as a new card</button>`
      : null}
  </${KeptWords}>`;
}

function EditForm({ ctx, card, editing }) {
  const { actions } = ctx;
  const column = columnById(card.column);
  const key = card.id;
  const textareaId = `edit-text-${key}`;
  const counterId = `edit-counter-${key}`;
  return html`<form class="card-edit" data-edit-card=${card.id} data-testid="edit-form"
    onSubmit=${(event) => {
      event.preventDefault();
      actions.cardEditSave(card.id);
    }}>
    <label for=${`edit-kind-${key}`}>Type of card</label>
    <${KindSelect} id=${`edit-kind-${key}`} kinds=${column.kinds} value=${editing.kind} family=${ctx.family} testid="edit-kind"
      onChange=${(kind) => actions.cardEditDraft(card.id, { kind })} />
    <label for=${textareaId}>Words on the card</label>
    <textarea id=${textareaId} name="text" rows="4" maxlength=${CARD_TEXT_MAX} value=${editing.text} data-testid="edit-text"
      aria-describedby=${`${counterId} ${plainWordsIds(textareaId)}`.trim()} onInput=${(event) => actions.cardEditDraft(card.id, { text: event.currentTarget.value })}
      onKeyDown=${ctrlEnter(() => actions.cardEditSave(card.id))}></textarea>
    <${LengthNote} id=${counterId} length=${editing.text.length} max=${CARD_TEXT_MAX} />
    <${PlainWords} fieldId=${textareaId} text=${editing.text} family=${ctx.family}
      onReplace=${(text) => actions.cardEditDraft(card.id, { text })} />
    ${editing.conflict
      ? html`<div class="conflict" role="alert" data-testid="edit-conflict">
          <p>Someone changed this card while you were working on it. Your words are still in the box above.</p>
          <p class="conflict-label">The card now says:</p>
          <blockquote data-testid="edit-conflict-current">${editing.conflict.text}</blockquote>
          <p>Save to put your words on the card instead, or Cancel to keep it as it is now.</p>
        </div>`
      : editing.note
        ? html`<p class="conflict" role="alert" data-testid="edit-note">${editing.note}</p>`
        : null}
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="edit-save">Save</button>
      <button type="button" data-action="edit-cancel" onClick=${() => actions.cardEditCancel(card.id)}>Cancel</button>
    </div>
  </form>`;
}

function MovePanel({ ctx, card, index, count, textId }) {
  const { actions, state } = ctx;
  const others = COLUMNS.filter((c) => c.id !== card.column);
  const selectId = `move-column-${card.id}`;
  const target = state.ui.moveTarget && others.some((c) => c.id === state.ui.moveTarget) ? state.ui.moveTarget : others[0].id;
  return html`<div class="card-move" role="group" aria-label="Move this card" data-testid="move-panel">
    <div class="card-actions">
      <button type="button" data-action="move-up" aria-describedby=${textId} disabled=${index === 0} onClick=${() => actions.cardMoveUp(card.id)}>Move up</button>
      <button type="button" data-action="move-down" aria-describedby=${textId} disabled=${index >= count - 1} onClick=${() => actions.cardMoveDown(card.id)}>Move down</button>
    </div>
    <label for=${selectId}>Move to another column</label>
    <select id=${selectId} name="column" data-testid="move-column" value=${target} onChange=${(event) => actions.cardMoveTarget(event.currentTarget.value)}>
      ${others.map((c) => html`<option key=${c.id} value=${c.id}>${ctx.family ? c.familyQuestion : c.question}</option>`)}
    </select>
    <div class="card-actions">
      <button type="button" data-action="move-to" aria-describedby=${textId} onClick=${() => actions.cardMove(card.id, target)}>Move to that column</button>
      <button type="button" data-action="move-done" onClick=${() => actions.cardMoveDone(card.id)}>Done</button>
    </div>
  </div>`;
}
