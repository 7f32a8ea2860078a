// Who the meeting is about (the children) and who is in the room: recorded by the chair for everyone without a
// device; people on a device say they are here themselves and the chair confirms.

import { html } from "../ui.js";
import { GROUPS, PRESENCE, formatTime } from "../words.js";
import { CheckField, FormMessage, SelectField, TextField, itemAttrs } from "./fields.js";

export function AttendancePart({ ctx }) {
  return html`<section class="part attendance-part" aria-labelledby="part-attendance-heading" data-testid="part-attendance">
    <h2 id="part-attendance-heading">${ctx.family ? "The children, and who is here" : "The children, and who is here"}</h2>
    <${Children} ctx=${ctx} />
    <${CheckIn} ctx=${ctx} />
    <${AttendanceList} ctx=${ctx} />
  </section>`;
}

function Children({ ctx }) {
  const { state, actions } = ctx;
  const children = state.board.children || [];
  const canAdd = ctx.can("add_child");
  return html`<section class="children" aria-labelledby="children-heading" data-testid="children">
    <h3 id="children-heading">The children</h3>
    ${children.length === 0 ? html`<p class="empty">No children named yet.</p>` : null}
    <ul class="child-list">
      ${children.map(
        (child) => html`<li key=${child.id} ...${itemAttrs(ctx, "child", child.id, "child")} data-testid="child">
          <span data-testid="child-label"><span class="child-name">${child.name}</span>${child.age !== null && child.age !== undefined ? html`<span class="child-age">, ${child.age}</span>` : null}</span>
          ${ctx.can("remove_child")
            ? html` <button type="button" class="quiet" aria-label=${`Remove ${child.name} from the meeting`} onClick=${() => actions.send({ type: "remove_child", child_id: child.id })}>Remove</button>`
            : null}
        </li>`,
      )}
    </ul>
    ${canAdd
      ? html`<form class="inline-form" data-testid="add-child-form" onSubmit=${(event) => {
          event.preventDefault();
          actions.submit("child:new");
        }}>
          <${TextField} ctx=${ctx} form="child:new" name="name" label="Child's first name or initials" maxlength="40" testid="child-name" />
          <${TextField} ctx=${ctx} form="child:new" name="age" label="Age (years)" type="number" testid="child-age" />
          <button type="submit" class="primary">Add child</button>
          <${FormMessage} ctx=${ctx} form="child:new" />
        </form>`
      : null}
  </section>`;
}

function CheckIn({ ctx }) {
  const { state, actions } = ctx;
  if (!ctx.can("check_in") || !state.me) return null;
  const mine = (state.board.attendees || []).find((a) => a.participant_id === state.me.id);
  if (mine && mine.status === "present") {
    return html`<p class="checked-in" data-testid="checked-in">
      ${mine.confirmed ? "You are marked as here." : "You are marked as here. The chair will confirm it."}
    </p>`;
  }
  return html`<div class="check-in">
    <button type="button" class="primary big" data-testid="check-in" onClick=${actions.checkIn}>
      ${ctx.family ? "Tell the chair you are here" : "I'm here: mark me present"}
    </button>
    <${FormMessage} ctx=${ctx} form="checkin:" />
  </div>`;
}

function statusWords(attendee) {
  const last = (attendee.history || [])[attendee.history.length - 1];
  const base = PRESENCE[attendee.status] || attendee.status;
  if ((attendee.status === "left" || attendee.status === "stepped_out") && last) return `${base} at ${formatTime(last.at)}`;
  return base;
}

function AttendanceList({ ctx }) {
  const { state, actions } = ctx;
  const attendees = state.board.attendees || [];
  const chair = ctx.can("set_attendance");
  return html`<section class="attendance" aria-labelledby="attendance-heading" data-testid="attendance">
    <h3 id="attendance-heading">Who is at the meeting</h3>
    ${attendees.length === 0 ? html`<p class="empty">Nobody written down yet.</p>` : null}
    ${attendees.length
      ? html`<table class="attendance-table">
          <caption class="visually-hidden">Everyone at the meeting, with their part and whether they are here</caption>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Organisation</th><th scope="col">Here?</th><th scope="col">Report</th>${chair ? html`<th scope="col">Chair</th>` : null}</tr>
          </thead>
          <tbody>
            ${attendees.map((a) => html`<${AttendeeRow} key=${a.id} ctx=${ctx} attendee=${a} chair=${chair} />`)}
          </tbody>
        </table>`
      : null}
    ${ctx.can("add_attendee")
      ? html`<form class="attendee-form" data-testid="add-attendee-form" onSubmit=${(event) => {
          event.preventDefault();
          actions.submit("attendee:new");
        }}>
          <h4>Write down someone in the room</h4>
          <div class="form-grid">
            <${TextField} ctx=${ctx} form="attendee:new" name="name" label="Name" maxlength="80" testid="attendee-name" />
            <${TextField} ctx=${ctx} form="attendee:new" name="role_label" label="Their part (for example Mum, Health visitor)" maxlength="120" testid="attendee-role" />
            <${TextField} ctx=${ctx} form="attendee:new" name="agency" label="Organisation" maxlength="120" testid="attendee-agency" />
            <${SelectField} ctx=${ctx} form="attendee:new" name="group" label="Group" testid="attendee-group" fallback="professional"
              options=${Object.entries(GROUPS)} />
            <${SelectField} ctx=${ctx} form="attendee:new" name="status" label="Here?" testid="attendee-status"
              options=${[["present", "Here"], ["apologies", "Sent apologies"], ["absent", "Not here"]]} />
            <${CheckField} ctx=${ctx} form="attendee:new" name="report_sent" label="Sent a report" testid="attendee-report" />
          </div>
          <button type="submit" class="primary" data-testid="attendee-submit">Add to the list</button>
          <${FormMessage} ctx=${ctx} form="attendee:new" />
        </form>`
      : null}
  </section>`;
}

function AttendeeRow({ ctx, attendee, chair }) {
  const { actions } = ctx;
  const a = attendee;
  const nameId = `attendee-name-${a.id}`;
  return html`<tr ...${itemAttrs(ctx, "attendee", a.id)} data-testid="attendee" data-status=${a.status} data-confirmed=${a.confirmed ? "true" : "false"}>
    <th scope="row" id=${nameId}>${a.name}${a.participant_id ? html`<span class="on-device"> (on a device)</span>` : null}</th>
    <td>${a.role_label || (GROUPS[a.group] || "")}</td>
    <td>${a.agency}</td>
    <td data-testid="attendee-status-words">${statusWords(a)}${a.confirmed ? null : html`<span class="unconfirmed" data-testid="unconfirmed"> (waiting for the chair to confirm)</span>`}</td>
    <td>${a.report_sent ? "Report sent" : ""}</td>
    ${chair
      ? html`<td class="row-actions">
          ${a.confirmed ? null : html`<button type="button" class="primary" data-testid="confirm-attendee" aria-describedby=${nameId}
            onClick=${() => actions.send({ type: "confirm_attendee", attendee_id: a.id })}>Confirm</button>`}
          <label class="visually-hidden" for=${`status-${a.id}`}>Is ${a.name} here?</label>
          <select id=${`status-${a.id}`} value=${a.status} data-testid="attendee-set-status"
            onChange=${(event) => actions.send({ type: "set_attendance", attendee_id: a.id, status: event.currentTarget.value })}>
            ${Object.entries(PRESENCE).map(([value, words]) => html`<option key=${value} value=${value}>${words}</option>`)}
          </select>
          ${a.status === "present"
            ? html`<button type="button" class="quiet" aria-describedby=${nameId} data-testid="attendee-left"
                onClick=${() => actions.send({ type: "set_attendance", attendee_id: a.id, status: "left" })}>Left early</button>`
            : null}
          <button type="button" class="quiet" aria-describedby=${nameId}
            onClick=${() => actions.send({ type: "edit_attendee", attendee_id: a.id, base_version: a.version, name: a.name, role_label: a.role_label, agency: a.agency, group: a.group, report_sent: !a.report_sent })}>
            ${a.report_sent ? "No report" : "Report sent"}
          </button>
        </td>`
      : null}
  </tr>`;
}

