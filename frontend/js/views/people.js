// Chair only, in the People and joining drawer (views/console.js): everyone invited or let in, whether each is
// here now, add people and hand out their invite links, revoke or replace links.

import { html } from "../ui.js";
import { roleLabel } from "../kinds.js";
import { submitOnCtrlEnter } from "./fields.js";

const INVITE_WORDS = {
  active: "Link not used yet",
  revoked: "Link revoked: no longer in the meeting",
};

/** Whether someone is here now, in words, from the presence list (updated live by the server). */
function hereWords(present) {
  if (!present) return "";
  const screens = present.connections || 1;
  return screens > 1 ? `Here now, on ${screens} screens` : "Here now";
}

const ROLE_CHOICES = [
  ["professional", "Professional"],
  ["family", "Family"],
  ["observer", "Observer (read only)"],
  ["projector", "Room screen (projector, read only)"],
  ["chair", "Chair"],
];

export function PeopleSection({ ctx }) {
  const { state, actions } = ctx;
  const people = state.people;
  if (!people.enabled) return null;
  const here = new Map(state.present.map((p) => [p.participant_id, p]));
  const form = people.form;
  const set = (name) => (event) => actions.peopleDraft(name, event.currentTarget.value);
  // Once finalised, nobody is added and no new link is made (the server refuses both); revoking stays possible.
  const finalised = Boolean(state.board.read_only);
  return html`<section class="drawer-section people" aria-labelledby="people-heading" data-testid="people-section">
    <h3 id="people-heading">People and invite links</h3>
    <div class="people-body">
      ${finalised
        ? html`<p class="person-form help" data-testid="people-finalised">The record is finalised: nobody can be added to this meeting, and no new links made. You can still revoke a link.</p>`
        : html`<form class="person-form" data-testid="add-person-form"
            onSubmit=${(event) => {
              event.preventDefault();
              actions.addPerson();
            }}>
            <label for="person-name">Name</label>
            <input id="person-name" name="display_name" required maxlength="80" autocomplete="off" data-testid="person-name"
              value=${form.display_name} onInput=${set("display_name")} onKeyDown=${submitOnCtrlEnter} disabled=${people.busy} />
            <label for="person-role">Role</label>
            <select id="person-role" name="role" data-testid="person-role" value=${form.role} onChange=${set("role")} disabled=${people.busy}>
              ${ROLE_CHOICES.map(([value, words]) => html`<option key=${value} value=${value}>${words}</option>`)}
            </select>
            <label for="person-agency">Organisation (optional)</label>
            <input id="person-agency" name="agency" maxlength="120" autocomplete="off" data-testid="person-agency"
              value=${form.agency} onInput=${set("agency")} onKeyDown=${submitOnCtrlEnter} disabled=${people.busy} />
            <button type="submit" class="primary" data-testid="person-submit" disabled=${people.busy}>Add and make a link</button>
          </form>`}
      ${people.newLink
        ? html`<div class="new-link" data-testid="new-link">
            <p class="new-link-for">Link for ${people.newLink.name}</p>
            <label for="invite-link">Their link</label>
            <input id="invite-link" readonly data-testid="invite-link" aria-describedby="invite-link-help" value=${people.newLink.url} />
            <p id="invite-link-help" class="help">Send it to this person only: anyone with the link can join as them. You can revoke it at any time.</p>
            <button type="button" data-testid="copy-link" onClick=${() => actions.copyLink(people.newLink.url)}>Copy link</button>
            <p class="copy-status" data-testid="copy-status" role="status" aria-live="polite">${people.copyStatus || ""}</p>
          </div>`
        : null}
      <p class="people-status" role="status" aria-live="polite">${people.message || ""}</p>
      <h4 class="people-list-heading">Everyone in this meeting</h4>
      <ul class="people-list" data-testid="people-list">
        ${people.list.map(({ participant, invite }) => {
          const status = invite ? invite.status : null;
          const isMe = state.me && participant.id === state.me.id;
          const present = here.get(participant.id);
          const words = present ? hereWords(present) : status === "used" ? "Joined, not connected now" : INVITE_WORDS[status] || "";
          return html`<li key=${participant.id} data-participant-id=${participant.id} data-testid="person" data-invite=${status || "none"}
            data-here=${present ? "true" : "false"}>
            <span class=${`presence-dot${present ? " is-here" : ""}`} aria-hidden="true"></span>
            <span class="person-name" id=${`person-${participant.id}`}>${participant.display_name}</span>${" "}
            <span class="person-role">(${roleLabel(participant.role)}${participant.agency ? `, ${participant.agency}` : ""}${isMe ? ", you" : ""})</span>
            <span class="invite-status" data-testid="person-status">${words}</span>
            ${isMe
              ? null
              : html`<div class="card-actions">
                  ${status === "active" || status === "used"
                    ? html`<button type="button" disabled=${people.busy} aria-describedby=${`person-${participant.id}`}
                        onClick=${() => actions.revokeLink(participant.id)}>Revoke link</button>`
                    : null}
                  ${finalised
                    ? null
                    : html`<button type="button" disabled=${people.busy} aria-describedby=${`person-${participant.id}`}
                        onClick=${() => actions.newLink(participant.id)}>New link</button>`}
                </div>`}
          </li>`;
        })}
      </ul>
    </div>
  </section>`;
}
