// Danger statements, each with the family's view of it and the safety goal paired with it.

import { html } from "../ui.js";
import { AGREEMENT, AGREEMENT_MINE, GOAL_FIELDS, STATEMENT_FIELDS } from "../words.js";
import {
  Byline,
  CheckList,
  FocusNote,
  FormMessage,
  ItemTools,
  RadioGroup,
  RestrictedBadge,
  TextField,
  childNames,
  itemAttrs,
} from "./fields.js";
import { ReadAloud } from "./tablet.js";

const GENTLE_LIMIT = 3;

export function StatementsPart({ ctx }) {
  const statements = ctx.state.board.statements || [];
  return html`<section class="part statements-part" aria-labelledby="part-statements-heading" data-testid="part-statements">
    <h2 id="part-statements-heading">${ctx.family ? "What people are worried could happen, and what needs to change" : "Danger statements and safety goals"}</h2>
    ${statements.length === 0 ? html`<p class="empty">No danger statements yet.</p>` : null}
    <ol class="statement-list">
      ${statements.map((s, index) => html`<${Statement} key=${s.id} ctx=${ctx} statement=${s} number=${index + 1} />`)}
    </ol>
    ${statements.length > GENTLE_LIMIT
      ? html`<p class="gentle-warning" data-testid="statements-warning">There are ${statements.length} danger statements. Usually there are no more than three: could some be joined together?</p>`
      : null}
    ${ctx.can("add_statement") ? html`<${StatementForm} ctx=${ctx} form="statement:new" count=${statements.length} />` : null}
  </section>`;
}

function StatementForm({ ctx, form, count = 0, editing = false }) {
  const { actions } = ctx;
  const children = ctx.state.board.children || [];
  return html`<form class="statement-form" data-testid=${editing ? "statement-edit-form" : "add-statement-form"}
    onSubmit=${(event) => {
      event.preventDefault();
      actions.submit(form);
    }}>
    ${editing ? null : html`<h3>Write a danger statement</h3>`}
    ${!editing && count >= GENTLE_LIMIT
      ? html`<p class="gentle-warning" data-testid="statements-limit-hint">There are already ${count} danger statements. Usually there are no more than three: could this one be part of another?</p>`
      : null}
    ${STATEMENT_FIELDS.map(
      ([name, label]) => html`<${TextField} key=${name} ctx=${ctx} form=${form} name=${name} label=${label} multiline rows="2"
        testid=${`statement-${name}`} required=${name === "behaviour"} />`,
    )}
    ${children.length
      ? html`<${CheckList} ctx=${ctx} form=${form} name="child_ids" legend="Which children" testid="statement-children"
          options=${children.map((c) => [c.id, c.name])} />`
      : null}
    <${FormMessage} ctx=${ctx} form=${form} />
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="statement-save">${editing ? "Save" : "Add danger statement"}</button>
      ${editing ? html`<button type="button" onClick=${() => actions.closeEditor(form)}>Cancel</button>` : null}
    </div>
  </form>`;
}

function Statement({ ctx, statement, number }) {
  const { state, actions } = ctx;
  const s = statement;
  const headingId = `statement-heading-${s.id}`;
  const editor = state.ui.editors[`statement:${s.id}`];
  const goalEditor = state.ui.editors[`goal:${s.id}`];
  const viewEditor = state.ui.editors[`view:${s.id}`];
  const canEdit = ctx.canOn("edit_statement", s);
  const canDelete = ctx.canOn("delete_statement", s);
  const canGoal = ctx.can("set_safety_goal");
  const canView = ctx.can("set_family_view");
  const name = `${ctx.family ? "Worry" : "Danger statement"} ${number}`;
  return html`<li ...${itemAttrs(ctx, "statement", s.id, `statement${s.restricted ? " is-restricted" : ""}`)} data-testid="statement">
    <article aria-labelledby=${headingId}>
      <${FocusNote} ctx=${ctx} entity="statement" id=${s.id} />
      <h3 id=${headingId}>${name}</h3>
      <${RestrictedBadge} item=${s} entity="statement" />
      ${editor
        ? html`<${StatementForm} ctx=${ctx} form=${`statement:${s.id}`} editing=${true} />`
        : html`<dl class="fields" data-testid="statement-words">
            ${STATEMENT_FIELDS.filter(([name]) => s[name]).map(
              ([name, label]) => html`<div key=${name}><dt>${label}</dt><dd data-testid=${`statement-${name}`}>${s[name]}</dd></div>`,
            )}
            ${s.child_ids && s.child_ids.length ? html`<div><dt>Which children</dt><dd>${childNames(ctx, s.child_ids)}</dd></div>` : null}
          </dl>`}
      <${Byline} ctx=${ctx} item=${s} />
      ${editor ? null : html`<${ReadAloud} ctx=${ctx} itemKey=${`statement:${s.id}`} text=${spoken(s, number)} describedBy=${headingId} />`}
      ${!editor && (canEdit || canDelete)
        ? html`<div class="card-actions">
            ${canEdit ? html`<button type="button" aria-describedby=${headingId} data-testid="statement-edit" onClick=${() => actions.openEditor(`statement:${s.id}`)}>Edit statement</button>` : null}
            ${canDelete ? html`<button type="button" aria-describedby=${headingId} onClick=${() => actions.send({ type: "delete_statement", statement_id: s.id, base_version: s.version })}>Delete statement</button>` : null}
          </div>`
        : null}
      <${ItemTools} ctx=${ctx} entity="statement" id=${s.id} item=${s} describedBy=${headingId} />

      <section class="family-view" aria-label=${ctx.family ? `What you think about worry ${number}` : `The family's view of danger statement ${number}`} data-testid="family-view">
        <h4>${ctx.family ? "What you think" : "The family's view"}</h4>
        ${s.family_view && !viewEditor
          ? html`<p data-testid="family-view-words"><strong>${AGREEMENT[s.family_view.agreement]}</strong>${s.family_view.words ? html`: “${s.family_view.words}”` : null}</p>
              <${Byline} ctx=${ctx} item=${s.family_view} label="Given by" />`
          : null}
        ${!s.family_view && !viewEditor ? html`<p class="empty">Not given yet.</p>` : null}
        ${viewEditor ? html`<${ViewForm} ctx=${ctx} form=${`view:${s.id}`} />` : null}
        ${canView && !viewEditor
          ? html`<button type="button" aria-describedby=${headingId} data-testid="family-view-open" onClick=${() => actions.openEditor(`view:${s.id}`)}>
              ${ctx.family ? (s.family_view ? "Change what you think" : "Say what you think") : s.family_view ? "Change the family's view" : "Write down the family's view"}
            </button>`
          : null}
      </section>

      <section class="goal" aria-label=${ctx.family ? `What needs to be different for worry ${number}` : `Safety goal for danger statement ${number}`} data-testid="safety-goal">
        <h4>${ctx.family ? "What needs to be different" : "Safety goal"}</h4>
        ${s.goal && !goalEditor
          ? html`<dl class="fields" data-testid="goal-words">
                ${GOAL_FIELDS.filter(([name]) => s.goal[name]).map(
                  ([name, label]) => html`<div key=${name}><dt>${label}</dt><dd data-testid=${`goal-${name}`}>${s.goal[name]}</dd></div>`,
                )}
              </dl>
              <${Byline} ctx=${ctx} item=${s.goal} />`
          : null}
        ${!s.goal && !goalEditor ? html`<p class="empty">No safety goal yet.</p>` : null}
        ${goalEditor ? html`<${GoalForm} ctx=${ctx} form=${`goal:${s.id}`} />` : null}
        ${canGoal && !goalEditor
          ? html`<button type="button" aria-describedby=${headingId} data-testid="goal-open" onClick=${() => actions.openEditor(`goal:${s.id}`)}>
              ${s.goal ? "Edit the safety goal" : "Write the safety goal"}
            </button>`
          : null}
      </section>
    </article>
  </li>`;
}

/** A statement as the family's tablet reads it aloud: each part with its label, then what needs to be different. */
function spoken(s, number) {
  const parts = [`Worry ${number}.`];
  for (const [name, label] of STATEMENT_FIELDS) if (s[name]) parts.push(`${label}: ${s[name]}.`);
  if (s.goal) {
    parts.push("What needs to be different.");
    for (const [name, label] of GOAL_FIELDS) if (s.goal[name]) parts.push(`${label}: ${s.goal[name]}.`);
  }
  return parts.join(" ");
}

function GoalForm({ ctx, form }) {
  return html`<form class="goal-form" data-testid="goal-form" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    ${GOAL_FIELDS.map(([name, label]) => html`<${TextField} key=${name} ctx=${ctx} form=${form} name=${name} label=${label} multiline rows="2" testid=${`goal-${name}`} />`)}
    <${FormMessage} ctx=${ctx} form=${form} />
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="goal-save">Save the safety goal</button>
      <button type="button" onClick=${() => ctx.actions.closeEditor(form)}>Cancel</button>
    </div>
  </form>`;
}

export function ViewForm({ ctx, form, question }) {
  const choices = Object.entries(ctx.family ? AGREEMENT_MINE : AGREEMENT);
  return html`<form class="view-form" data-testid="view-form" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    <${RadioGroup} ctx=${ctx} form=${form} name="agreement" legend=${question || (ctx.family ? "Do you agree?" : "Does the family agree?")}
      options=${choices} testid="view-agreement" className="big-choices" />
    <${TextField} ctx=${ctx} form=${form} name="words" label=${ctx.family ? "In your own words" : "In the family's own words"} multiline rows="2" testid="view-words" />
    <${FormMessage} ctx=${ctx} form=${form} />
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="view-save">${ctx.family ? "Save what I think" : "Save the family's view"}</button>
      <button type="button" onClick=${() => ctx.actions.closeEditor(form)}>Cancel</button>
    </div>
  </form>`;
}
