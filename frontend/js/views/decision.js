// The decision, per child: a Child Protection plan or not, the category, the reasons; each agency's
// recommendation and any disagreement, as the chair records them; and the family's view in their own words.

import { html } from "../ui.js";
import { AGREEMENT, CATEGORIES, OUTCOMES } from "../words.js";
import { Byline, CheckList, FocusNote, FormMessage, ItemTools, RadioGroup, RestrictedBadge, SelectField, TextField, itemAttrs } from "./fields.js";
import { ViewForm } from "./statements.js";

export function DecisionPart({ ctx }) {
  const children = ctx.state.board.children || [];
  return html`<section class="part decision-part" aria-labelledby="part-decision-heading" data-testid="part-decision">
    <h2 id="part-decision-heading" tabindex="-1">${ctx.family ? "The decision for each child" : "Decision"}</h2>
    ${children.length === 0 ? html`<p class="empty">The chair has not named the children yet.</p>` : null}
    ${children.map((child) => html`<${ChildDecision} key=${child.id} ctx=${ctx} child=${child} />`)}
  </section>`;
}

function outcomeWords(decision) {
  if (!decision || !decision.outcome) return "";
  const categories = (decision.categories || []).map((c) => CATEGORIES[c] || c).join(", ");
  return `${OUTCOMES[decision.outcome]}${categories ? ` (${categories})` : ""}`;
}

function ChildDecision({ ctx, child }) {
  const { state, actions } = ctx;
  const decision = (state.board.decisions || []).find((d) => d.child_id === child.id) || null;
  const notes = (state.board.decision_notes || []).filter((n) => n.child_id === child.id);
  const headingId = `decision-${child.id}`;
  const recordForm = `decision:${child.id}`;
  const viewForm = `decisionview:${child.id}`;
  const recording = state.ui.editors[recordForm];
  const viewing = state.ui.editors[viewForm];
  const recorded = decision && decision.outcome;
  return html`<section ...${itemAttrs(ctx, "decision", child.id, `child-decision${decision && decision.restricted ? " is-restricted" : ""}`)}
    aria-labelledby=${headingId} data-testid="child-decision" data-child=${child.name}>
    <${FocusNote} ctx=${ctx} entity="decision" id=${child.id} />
    <h3 id=${headingId}>${child.name}${child.age !== null && child.age !== undefined ? `, ${child.age}` : ""}</h3>
    <${RestrictedBadge} item=${decision} entity="decision" />
    ${recorded && !recording
      ? html`<div class="decision-recorded" data-testid="decision-recorded">
          <p class="decision-outcome" data-testid="decision-outcome"><strong>${outcomeWords(decision)}</strong></p>
          ${decision.reasons ? html`<p data-testid="decision-reasons">Why: ${decision.reasons}</p>` : null}
          <${Byline} ctx=${ctx} item=${decision} label="Recorded by" />
        </div>`
      : null}
    ${!recorded && !recording ? html`<p class="empty" data-testid="decision-none">No decision recorded yet.</p>` : null}
    ${recording ? html`<${RecordForm} ctx=${ctx} form=${recordForm} />` : null}
    ${ctx.can("record_decision") && !recording
      ? html`<button type="button" class="primary" aria-describedby=${headingId} data-testid="decision-open" onClick=${() => actions.openEditor(recordForm)}>
          ${recorded ? "Change the decision" : "Record the decision"}
        </button>`
      : null}
    ${decision ? html`<${ItemTools} ctx=${ctx} entity="decision" id=${child.id} item=${decision} describedBy=${headingId} />` : null}

    <section class="decision-notes" aria-label=${`Recommendations and disagreement about ${child.name}`} data-testid="decision-notes">
      <h4>What each agency recommends</h4>
      ${notes.length === 0 ? html`<p class="empty">Nothing recorded yet.</p>` : null}
      <ul>
        ${notes.map(
          (note) => html`<li key=${note.id} class=${`note note-${note.kind}${note.restricted ? " is-restricted" : ""}`} data-testid="decision-note" data-kind=${note.kind}>
            ${note.kind === "dissent"
              ? html`<strong>${note.who} disagrees</strong>${note.reason ? `: ${note.reason}` : ""}`
              : html`<strong>${note.who}</strong> recommends: ${outcomeWords({ outcome: note.recommends, categories: note.categories })}${note.reason ? `. ${note.reason}` : ""}`}
            <${RestrictedBadge} item=${note} entity="decision_note" />
            ${ctx.can("remove_decision_note")
              ? html` <button type="button" class="quiet" onClick=${() => actions.send({ type: "remove_decision_note", note_id: note.id })}>Remove</button>`
              : null}
          </li>`,
        )}
      </ul>
      ${ctx.can("add_decision_note") ? html`<${NoteForm} ctx=${ctx} form=${`note:${child.id}`} />` : null}
    </section>

    <section class="family-view" aria-label=${`The family's view of the decision about ${child.name}`} data-testid="decision-family-view">
      <h4>${ctx.family ? "What you think of this decision" : "The family's view of the decision"}</h4>
      ${decision && decision.family_view && !viewing
        ? html`<p data-testid="family-view-words"><strong>${AGREEMENT[decision.family_view.agreement]}</strong>${decision.family_view.words ? html`: “${decision.family_view.words}”` : null}</p>
            <${Byline} ctx=${ctx} item=${decision.family_view} label="Given by" />`
        : null}
      ${!(decision && decision.family_view) && !viewing ? html`<p class="empty">Not given yet.</p>` : null}
      ${viewing ? html`<${ViewForm} ctx=${ctx} form=${viewForm} question=${ctx.family ? "Do you agree with this decision?" : "Does the family agree with this decision?"} />` : null}
      ${ctx.can("set_decision_view") && !viewing
        ? html`<button type="button" aria-describedby=${headingId} data-testid="decision-view-open" onClick=${() => actions.openEditor(viewForm)}>
            ${ctx.family ? "Say what you think" : "Write down the family's view"}
          </button>`
        : null}
    </section>
  </section>`;
}

function RecordForm({ ctx, form }) {
  const outcome = (ctx.state.ui.drafts[form] || {}).outcome;
  return html`<form class="decision-form" data-testid="decision-form" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    <${RadioGroup} ctx=${ctx} form=${form} name="outcome" legend="Does the child need a Child Protection plan?"
      options=${[["child_protection_plan", "Yes: a Child Protection plan"], ["no_plan", "No plan"]]} testid="decision-outcome-input" />
    ${outcome === "child_protection_plan"
      ? html`<${CheckList} ctx=${ctx} form=${form} name="categories" legend="Category" options=${Object.entries(CATEGORIES)} testid="decision-categories" />`
      : null}
    <${TextField} ctx=${ctx} form=${form} name="reasons" label="The reasons" multiline rows="3" testid="decision-reasons-input" />
    <${FormMessage} ctx=${ctx} form=${form} />
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="decision-save">Record the decision</button>
      <button type="button" onClick=${() => ctx.actions.closeEditor(form)}>Cancel</button>
    </div>
  </form>`;
}

function NoteForm({ ctx, form }) {
  const kind = (ctx.state.ui.drafts[form] || {}).kind || "recommendation";
  const recommends = (ctx.state.ui.drafts[form] || {}).recommends || "child_protection_plan";
  return html`<form class="note-form" data-testid="note-form" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    <div class="form-grid">
      <${SelectField} ctx=${ctx} form=${form} name="kind" label="Record" testid="note-kind"
        options=${[["recommendation", "An agency's recommendation"], ["dissent", "Someone disagrees with the decision"]]} />
      <${TextField} ctx=${ctx} form=${form} name="who" label=${kind === "dissent" ? "Who disagrees" : "Which agency"} maxlength="80" testid="note-who" />
      ${kind === "recommendation"
        ? html`<${SelectField} ctx=${ctx} form=${form} name="recommends" label="Recommends" testid="note-recommends" options=${Object.entries(OUTCOMES)} />`
        : null}
    </div>
    ${kind === "recommendation" && recommends === "child_protection_plan"
      ? html`<${CheckList} ctx=${ctx} form=${form} name="categories" legend="Category" options=${Object.entries(CATEGORIES)} testid="note-categories" />`
      : null}
    <${TextField} ctx=${ctx} form=${form} name="reason" label=${kind === "dissent" ? "Why they disagree" : "Their reason"} multiline rows="2" testid="note-reason" />
    <${FormMessage} ctx=${ctx} form=${form} />
    <button type="submit" data-testid="note-save">${kind === "dissent" ? "Record the disagreement" : "Record the recommendation"}</button>
  </form>`;
}
