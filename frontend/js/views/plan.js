// The plan: the family's safety network, the next steps (what, who, by when, how we will know), and the dates
// of the next meetings.

import { html } from "../ui.js";
import { formatDate } from "../words.js";
import { Byline, CheckList, FocusNote, FormMessage, ItemTools, RestrictedBadge, SelectField, TextField, childNames, itemAttrs } from "./fields.js";

export function PlanPart({ ctx }) {
  return html`<section class="part plan-part" aria-labelledby="part-plan-heading" data-testid="part-plan">
    <h2 id="part-plan-heading">${ctx.family ? "The plan: who will do what" : "What needs to happen: the plan"}</h2>
    <${Network} ctx=${ctx} />
    <${Steps} ctx=${ctx} />
    <${Dates} ctx=${ctx} />
  </section>`;
}

function Network({ ctx }) {
  const network = ctx.state.board.network || [];
  return html`<section class="network" aria-labelledby="network-heading" data-testid="network">
    <h3 id="network-heading">${ctx.family ? "The people who will help keep the children safe" : "The safety network"}</h3>
    ${network.length === 0 ? html`<p class="empty">Nobody named yet.</p>` : null}
    <ul class="network-list">
      ${network.map((m) => html`<${Member} key=${m.id} ctx=${ctx} member=${m} />`)}
    </ul>
    ${ctx.can("add_network_member") ? html`<${MemberForm} ctx=${ctx} form="member:new" />` : null}
  </section>`;
}

function Member({ ctx, member }) {
  const m = member;
  const editor = ctx.state.ui.editors[`member:${m.id}`];
  const nameId = `member-${m.id}`;
  return html`<li ...${itemAttrs(ctx, "network_member", m.id, `member${m.restricted ? " is-restricted" : ""}`)} data-testid="network-member">
    <${FocusNote} ctx=${ctx} entity="network_member" id=${m.id} />
    ${editor
      ? html`<${MemberForm} ctx=${ctx} form=${`member:${m.id}`} editing=${true} />`
      : html`<p><strong id=${nameId}>${m.name}</strong>${m.relationship ? `, ${m.relationship}` : ""}</p>
          ${m.agreed_to ? html`<p class="agreed">Has agreed to: ${m.agreed_to}</p>` : null}
          <${RestrictedBadge} item=${m} entity="network_member" />
          <${Byline} ctx=${ctx} item=${m} label="Added by" />
          ${ctx.canOn("edit_network_member", m)
            ? html`<div class="card-actions">
                <button type="button" aria-describedby=${nameId} onClick=${() => ctx.actions.openEditor(`member:${m.id}`)}>Edit</button>
                <button type="button" aria-describedby=${nameId} onClick=${() => ctx.actions.send({ type: "remove_network_member", member_id: m.id, base_version: m.version })}>Remove</button>
              </div>`
            : null}
          <${ItemTools} ctx=${ctx} entity="network_member" id=${m.id} item=${m} describedBy=${nameId} />`}
  </li>`;
}

function MemberForm({ ctx, form, editing = false }) {
  return html`<form class="member-form" data-testid=${editing ? "member-edit-form" : "add-member-form"} onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    ${editing ? null : html`<h4>Add someone to the safety network</h4>`}
    <div class="form-grid">
      <${TextField} ctx=${ctx} form=${form} name="name" label="Name" maxlength="80" testid="member-name" />
      <${TextField} ctx=${ctx} form=${form} name="relationship" label="Who they are to the family (for example Gran, neighbour)" maxlength="120" testid="member-relationship" />
    </div>
    <${TextField} ctx=${ctx} form=${form} name="agreed_to" label="What they have agreed to do" multiline rows="2" testid="member-agreed" />
    <${FormMessage} ctx=${ctx} form=${form} />
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="member-save">${editing ? "Save" : "Add to the safety network"}</button>
      ${editing ? html`<button type="button" onClick=${() => ctx.actions.closeEditor(form)}>Cancel</button>` : null}
    </div>
  </form>`;
}

export function ownerWords(ctx, who) {
  if (!who) return "";
  if (who.kind === "attendee") {
    const a = (ctx.state.board.attendees || []).find((x) => x.id === who.attendee_id);
    return a ? a.name : "Someone at the meeting";
  }
  if (who.kind === "network") {
    const m = (ctx.state.board.network || []).find((x) => x.id === who.member_id);
    return m ? m.name : "Someone in the safety network";
  }
  return who.name || "";
}

function Steps({ ctx }) {
  const steps = ctx.state.board.steps || [];
  return html`<section class="steps" aria-labelledby="steps-heading" data-testid="steps">
    <h3 id="steps-heading">${ctx.family ? "What will happen next" : "Next steps"}</h3>
    ${steps.length === 0 ? html`<p class="empty">No steps yet.</p>` : null}
    <ol class="step-list">
      ${steps.map((s) => html`<${Step} key=${s.id} ctx=${ctx} step=${s} />`)}
    </ol>
    ${ctx.can("add_step") ? html`<${StepForm} ctx=${ctx} form="step:new" />` : null}
  </section>`;
}

function Step({ ctx, step }) {
  const s = step;
  const editor = ctx.state.ui.editors[`step:${s.id}`];
  const whatId = `step-${s.id}`;
  return html`<li ...${itemAttrs(ctx, "step", s.id, `step${s.restricted ? " is-restricted" : ""}`)} data-testid="step">
    <${FocusNote} ctx=${ctx} entity="step" id=${s.id} />
    ${editor
      ? html`<${StepForm} ctx=${ctx} form=${`step:${s.id}`} editing=${true} />`
      : html`<p class="step-what" id=${whatId} data-testid="step-what">${s.what}</p>
          <dl class="fields compact">
            ${s.who ? html`<div><dt>Who</dt><dd data-testid="step-who">${ownerWords(ctx, s.who)}</dd></div>` : null}
            ${s.by_when ? html`<div><dt>By when</dt><dd data-testid="step-by-when">${/^\d{4}-\d{2}-\d{2}$/.test(s.by_when) ? formatDate(s.by_when) : s.by_when}</dd></div>` : null}
            ${s.how_we_know ? html`<div><dt>How we will know</dt><dd>${s.how_we_know}</dd></div>` : null}
            ${s.child_ids && s.child_ids.length ? html`<div><dt>For</dt><dd>${childNames(ctx, s.child_ids)}</dd></div>` : null}
          </dl>
          <${RestrictedBadge} item=${s} entity="step" />
          <${Byline} ctx=${ctx} item=${s} label="Added by" />
          ${ctx.canOn("edit_step", s)
            ? html`<div class="card-actions">
                <button type="button" aria-describedby=${whatId} onClick=${() => ctx.actions.openEditor(`step:${s.id}`)}>Edit</button>
                <button type="button" aria-describedby=${whatId} onClick=${() => ctx.actions.send({ type: "delete_step", step_id: s.id, base_version: s.version })}>Delete</button>
              </div>`
            : null}
          <${ItemTools} ctx=${ctx} entity="step" id=${s.id} item=${s} describedBy=${whatId} />`}
  </li>`;
}

function StepForm({ ctx, form, editing = false }) {
  const attendees = (ctx.state.board.attendees || []).filter((a) => a.status !== "apologies" && a.status !== "absent");
  const network = ctx.state.board.network || [];
  const children = ctx.state.board.children || [];
  const whoOptions = [
    ["", "Not decided yet"],
    ...attendees.map((a) => [`attendee:${a.id}`, `${a.name}${a.role_label ? `, ${a.role_label}` : ""} (at the meeting)`]),
    ...network.map((m) => [`network:${m.id}`, `${m.name}${m.relationship ? `, ${m.relationship}` : ""} (safety network)`]),
    ["person", "Someone else: write their name"],
  ];
  const who = (ctx.state.ui.drafts[form] || {}).who || "";
  return html`<form class="step-form" data-testid=${editing ? "step-edit-form" : "add-step-form"} onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    ${editing ? null : html`<h4>Add a next step</h4>`}
    <${TextField} ctx=${ctx} form=${form} name="what" label="What will happen" multiline rows="2" testid="step-what-input" />
    <div class="form-grid">
      <${SelectField} ctx=${ctx} form=${form} name="who" label="Who will do it" testid="step-who-input" options=${whoOptions} fallback="" />
      ${who === "person" ? html`<${TextField} ctx=${ctx} form=${form} name="who_name" label="Their name" maxlength="80" testid="step-who-name" />` : null}
      <${TextField} ctx=${ctx} form=${form} name="by_when" label="By when (a date, or words)" maxlength="120" testid="step-by-when-input" />
    </div>
    <${TextField} ctx=${ctx} form=${form} name="how_we_know" label="How we will know it has happened" multiline rows="2" testid="step-how-input" />
    ${children.length
      ? html`<${CheckList} ctx=${ctx} form=${form} name="child_ids" legend="For which children" testid="step-children" options=${children.map((c) => [c.id, c.name])} />`
      : null}
    <${FormMessage} ctx=${ctx} form=${form} />
    <div class="card-actions">
      <button type="submit" class="primary" data-testid="step-save">${editing ? "Save" : "Add the step"}</button>
      ${editing ? html`<button type="button" onClick=${() => ctx.actions.closeEditor(form)}>Cancel</button>` : null}
    </div>
  </form>`;
}

function Dates({ ctx }) {
  const dates = ctx.state.board.plan_dates || {};
  const canSet = ctx.can("set_plan_dates");
  return html`<section class="plan-dates" aria-labelledby="dates-heading" data-testid="plan-dates">
    <h3 id="dates-heading">${ctx.family ? "When we will meet again" : "The next meetings"}</h3>
    <dl class="fields compact">
      <div><dt>${ctx.family ? "The next meeting like this one" : "Review conference"}</dt><dd data-testid="review-date">${dates.review_conference ? formatDate(dates.review_conference) : "Not set yet"}</dd></div>
      <div><dt>${ctx.family ? "The smaller meeting to check the plan is working" : "Core group meeting"}</dt><dd data-testid="core-group-date">${dates.core_group ? formatDate(dates.core_group) : "Not set yet"}</dd></div>
    </dl>
    ${canSet
      ? html`<form class="dates-form inline-form" data-testid="dates-form" onSubmit=${(event) => {
          event.preventDefault();
          ctx.actions.submit("dates:");
        }}>
          <${TextField} ctx=${ctx} form="dates:" name="review_conference" label="Review conference date" type="date" testid="review-date-input" fallback=${dates.review_conference || ""} />
          <${TextField} ctx=${ctx} form="dates:" name="core_group" label="Core group date" type="date" testid="core-group-date-input" fallback=${dates.core_group || ""} />
          <button type="submit" data-testid="dates-save">Save the dates</button>
          <${FormMessage} ctx=${ctx} form="dates:" />
        </form>`
      : null}
  </section>`;
}
