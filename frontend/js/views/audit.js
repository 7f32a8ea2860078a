// Chair only: the record of who did what (GET /api/meetings/{id}/audit), loaded when asked, in plain words
// ("10:42 — Sam (professional) added a card"), with the same record to download as a spreadsheet (audit.csv).
// The trail names no card's words: only who did what kind of thing, and when.

import { html } from "../ui.js";
import { roleLabel } from "../kinds.js";

const OP_WORDS = {
  add_card: "added a card",
  edit_card: "changed a card",
  move_card: "moved a card",
  delete_card: "removed a card",
  set_phase: "moved the meeting to another part of the agenda",
  set_timer: "set the timer",
  add_child: "added a child",
  edit_child: "changed a child's details",
  remove_child: "removed a child",
  add_attendee: "added someone to the attendance list",
  edit_attendee: "changed someone's attendance details",
  set_attendance: "marked someone's attendance",
  check_in: "said they are here",
  confirm_attendee: "confirmed someone is here",
  remove_attendee: "removed someone from the attendance list",
  add_statement: "wrote a danger statement",
  edit_statement: "changed a danger statement",
  delete_statement: "removed a danger statement",
  set_family_view: "gave a view on a danger statement",
  set_safety_goal: "wrote a safety goal",
  open_round: "opened a scaling question",
  answer_round: "answered a scaling question",
  answer_for: "gave a scaling answer for someone",
  reveal_round: "showed everyone's scaling answers",
  add_network_member: "added someone to the safety network",
  edit_network_member: "changed a safety network member's details",
  remove_network_member: "removed someone from the safety network",
  add_step: "added a next step to the plan",
  edit_step: "changed a next step",
  delete_step: "removed a next step",
  set_plan_dates: "set the review and core group dates",
  record_decision: "recorded a decision",
  clear_decision: "cleared a decision",
  set_decision_view: "gave a view on the decision",
  add_decision_note: "added a note to the decision",
  remove_decision_note: "removed a note from the decision",
  add_child_words: "wrote down the child's words",
  edit_child_words: "changed the child's words",
  delete_child_words: "removed the child's words",
  start_closed_part: "started a closed part of the meeting",
  end_closed_part: "ended the closed part of the meeting",
  set_restricted: "changed who can see an item",
  set_focus: "pointed everyone at an item",
  finalise: "finalised the record",
  add_addendum: "added an addendum to the record",
};

const FORMATS = { pdf: "PDF", json: "JSON", md: "Markdown", csv: "spreadsheet" };

/** What an action (not an op) says, given the person it was about ("Pat", "Pat (family)"). */
const EVENT_WORDS = {
  meeting_created: () => "started the meeting",
  participant_invited: (e, about) => `invited ${about.withRole}`,
  link_reissued: (e, about) => `made a new invite link for ${about.name}`,
  link_revoked: (e, about) => `revoked ${possessive(about.name)} link`,
  joined: () => "joined with their invite link",
  left: () => "left the meeting",
  admitted: (e, about) => `let ${about.name} in`,
  record_read: (e) => (e.detail.via === "websocket" ? "opened the finalised record" : "read the meeting's record"),
  record_exported: (e) =>
    `downloaded ${e.detail.copy === "family" ? "the family's copy of the record" : "the record"}` +
    (FORMATS[e.detail.format] ? ` (${FORMATS[e.detail.format]})` : ""),
  audit_read: (e) =>
    e.detail.format === "csv" ? "downloaded this record of who did what (spreadsheet)" : "looked at this record of who did what",
  verified: () => "checked that the record has not been changed",
  hold_placed: () => "placed a legal hold on the meeting",
  hold_lifted: () => "lifted the legal hold",
  purged: () => "deleted the meeting at the end of its retention period",
  purge_run: () => "ran the purge of meetings past their retention period",
};

function possessive(name) {
  return `${name}'s`;
}

function role(value) {
  return value ? roleLabel(value).toLowerCase() : "";
}

function who(entry) {
  if (!entry.actor_id) return "The system";
  const name = entry.actor_name || "Someone who was at the meeting";
  return entry.actor_role ? `${name} (${role(entry.actor_role)})` : name;
}

function plainWords(action) {
  return action.replace(/_/g, " ");
}

/** One entry as a sentence, without its time: "Sam (professional) added a card". */
export function describeEntry(entry) {
  if (entry.kind === "op") return `${who(entry)} ${OP_WORDS[entry.action] || plainWords(entry.action)}`;
  const name = entry.participant_name || "someone";
  const aboutRole = entry.participant_role || entry.detail.role;
  const about = { name, withRole: aboutRole ? `${name} (${role(aboutRole)})` : name };
  const words = EVENT_WORDS[entry.action];
  return `${who(entry)} ${words ? words(entry, about) : plainWords(entry.action)}`;
}

const timeOf = (at) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const dayOf = (at) => new Date(at).toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: "numeric" });

/** The entries under a heading for each day (a meeting's record is often read days after it). */
function byDay(entries) {
  const days = [];
  for (const entry of entries) {
    const day = dayOf(entry.at);
    if (!days.length || days[days.length - 1].day !== day) days.push({ day, entries: [] });
    days[days.length - 1].entries.push(entry);
  }
  return days;
}

export function AuditPanel({ ctx }) {
  const { state, actions } = ctx;
  const audit = state.audit;
  if (ctx.role !== "chair" || !audit || !state.meeting) return null;
  const csvUrl = `/api/meetings/${encodeURIComponent(state.meeting.id)}/audit.csv`;
  const entries = audit.entries;
  return html`<aside class="people-aside" aria-label="Record of who did what">
    <details class="people audit" data-testid="audit-panel">
      <summary data-testid="audit-toggle">Record of who did what</summary>
      <div class="audit-body">
        <p class="help">Every change to this meeting, and every invite, join, download and look at its record: who, in which role, and when. It never shows what anyone wrote.</p>
        <div class="card-actions">
          <button type="button" data-testid="audit-show" disabled=${audit.loading} onClick=${actions.showAudit}>
            ${entries ? "Show the latest" : "Show the record of who did what"}
          </button>
          ${entries ? html`<button type="button" data-testid="audit-hide" onClick=${actions.hideAudit}>Hide it</button>` : null}
          <a class="button-link" href=${csvUrl} download data-testid="audit-csv">Download it as a spreadsheet (CSV)</a>
        </div>
        <p class="people-status" role="status" aria-live="polite" data-testid="audit-status">
          ${audit.loading ? "Loading the record…" : audit.message || ""}
        </p>
        ${entries
          ? entries.length === 0
            ? html`<p class="empty">Nothing has happened yet.</p>`
            : byDay(entries).map(
                ({ day, entries: ofDay }) => html`<section key=${day} class="audit-day">
                  <h3>${day}</h3>
                  <ol class="people-list audit-list">
                    ${ofDay.map(
                      (entry, index) => html`<li key=${`${entry.kind}:${entry.seq ?? ""}:${entry.at}:${index}`} data-testid="audit-entry"
                        data-action=${entry.action} data-kind=${entry.kind}>
                        <time datetime=${entry.at}>${timeOf(entry.at)}</time> — ${describeEntry(entry)}
                      </li>`,
                    )}
                  </ol>
                </section>`,
              )
          : null}
      </div>
    </details>
  </aside>`;
}
