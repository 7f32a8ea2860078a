// The child's voice: each child's words (or drawings, described) from the Three Houses, as told to the social
// worker. Words the child did not agree to share never reach the family's or the room's screens (the server
// withholds them); here they are marked so the professionals know.

import { html } from "../ui.js";
import { HOUSES } from "../words.js";
import { Byline, CheckField, FocusNote, FormMessage, ItemTools, RestrictedBadge, SelectField, TextField, itemAttrs } from "./fields.js";

export function VoicePart({ ctx }) {
  const children = ctx.state.board.children || [];
  return html`<section class="part voice-part" aria-labelledby="part-voice-heading" data-testid="part-voice">
    <h2 id="part-voice-heading">What the children say</h2>
    ${children.length === 0 ? html`<p class="empty">The chair has not named the children yet.</p>` : null}
    ${children.map((child) => html`<${ChildVoice} key=${child.id} ctx=${ctx} child=${child} />`)}
    ${ctx.can("add_child_words") && children.length ? html`<${WordsForm} ctx=${ctx} form="voice:new" />` : null}
  </section>`;
}

function ChildVoice({ ctx, child }) {
  const words = (ctx.state.board.voices || []).filter((v) => v.child_id === child.id);
  const headingId = `voice-child-${child.id}`;
  return html`<section class="child-voice" aria-labelledby=${headingId} data-testid="child-voice" data-child=${child.name}>
    <h3 id=${headingId}>${child.name}${child.age !== null && child.age !== undefined ? `, ${child.age}` : ""}</h3>
    <div class="houses">
      ${HOUSES.map(([house, label]) => {
        const inHouse = words.filter((w) => w.house === house);
        return html`<section class=${`house house-${house}`} key=${house} aria-label=${`${child.name}: ${label}`} data-testid=${`house-${house}`}>
          <h4>${label}</h4>
          ${inHouse.length === 0 ? html`<p class="empty">Nothing yet.</p>` : null}
          <ul>
            ${inHouse.map((w) => html`<${Words} key=${w.id} ctx=${ctx} words=${w} />`)}
          </ul>
        </section>`;
      })}
    </div>
  </section>`;
}

function Words({ ctx, words }) {
  const w = words;
  const editor = ctx.state.ui.editors[`voice:${w.id}`];
  const textId = `voice-words-${w.id}`;
  const canEdit = ctx.canOn("edit_child_words", w);
  const canDelete = ctx.canOn("delete_child_words", w);
  return html`<li ...${itemAttrs(ctx, "voice", w.id, `child-words${w.restricted || !w.shared ? " is-restricted" : ""}`)} data-testid="child-words">
    <${FocusNote} ctx=${ctx} entity="voice" id=${w.id} />
    ${editor
      ? html`<${WordsForm} ctx=${ctx} form=${`voice:${w.id}`} editing=${true} />`
      : html`<blockquote id=${textId} data-testid="child-words-text">${w.words}</blockquote>
          ${w.told_to ? html`<p class="told-to">Told to ${w.told_to}</p>` : null}
          <${RestrictedBadge} item=${w} entity="voice" />
          <${Byline} ctx=${ctx} item=${w} label="Written down by" />
          ${canEdit || canDelete
            ? html`<div class="card-actions">
                ${canEdit ? html`<button type="button" aria-describedby=${textId} data-testid="child-words-edit" onClick=${() => ctx.actions.openEditor(`voice:${w.id}`)}>Edit</button>` : null}
                ${canDelete ? html`<button type="button" aria-describedby=${textId} onClick=${() => ctx.actions.send({ type: "delete_child_words", voice_id: w.id, base_version: w.version })}>Delete</button>` : null}
              </div>`
            : null}
          <${ItemTools} ctx=${ctx} entity="voice" id=${w.id} item=${w} describedBy=${textId} />`}
  </li>`;
}

function WordsForm({ ctx, form, editing = false }) {
  const children = ctx.state.board.children || [];
  return html`<form class="words-form" data-testid=${editing ? "child-words-edit-form" : "add-child-words-form"} onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    ${editing ? null : html`<h3>Add a child's words</h3>`}
    <div class="form-grid">
      ${editing
        ? null
        : html`<${SelectField} ctx=${ctx} form=${form} name="child_id" label="Which child" testid="words-child" options=${children.map((c) => [c.id, c.name])} />`}
      <${SelectField} ctx=${ctx} form=${form} name="house" label="Which house" testid="words-house" options=${HOUSES} />
    </div>
    <${TextField} ctx=${ctx} form=${form} name="words" label="The child's own words (or what their drawing shows)" multiline rows="3" testid="words-text" />
    <${TextField} ctx=${ctx} form=${form} name="told_to" label="Told to whom, and when" maxlength="120" testid="words-told-to" />
    <${CheckField} ctx=${ctx} form=${form} name="shared" label="The child agreed that the family may see these words" testid="words-shared"
      help="Without the child's agreement, these words are never shown on the family's screen or the room screen." />
    <${FormMessage} ctx=${ctx} form=${form} />
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="words-save">${editing ? "Save" : "Add the child's words"}</button>
      ${editing ? html`<button type="button" onClick=${() => ctx.actions.closeEditor(form)}>Cancel</button>` : null}
    </div>
  </form>`;
}
