// Meeting title, who you are, the connection in words, who is here, and "Leave this meeting".

import { html } from "../ui.js";
import { roleLabel } from "../kinds.js";
import { ConsoleButtons, ShortcutsHelp } from "./console.js";
import { FamilyAddButton, TextSizeControl } from "./tablet.js";

const STATUS_WORDS = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting... your changes are kept and will be sent",
  offline: "Offline: your changes are kept and will be sent when the connection is back",
  ended: "Session ended",
  stopped: "Not connected",
};

export function ConnectionStatus({ connection }) {
  return html`<p class="connection" data-testid="connection-status" data-state=${connection.state} role="status" aria-live="polite">
    ${STATUS_WORDS[connection.state] || connection.state}
  </p>`;
}

export function Header({ ctx }) {
  const { state } = ctx;
  const connection = state.connection;
  const pending = connection.pending || 0;
  const me = state.me;
  const agency = me && me.agency ? `, ${me.agency}` : "";
  const chair = ctx.role === "chair";
  return html`<header class=${`meeting-header header-${ctx.role || "none"}`} data-testid="meeting-header">
    <div class="meeting-title-block">
      <p class="brand">SoS Board · Signs of Safety map</p>
      <h1 data-testid="meeting-title">${state.meeting ? state.meeting.title : "Opening the meeting…"}</h1>
      <p class="you" data-testid="you">${me ? `You: ${me.display_name} (${roleLabel(me.role)}${agency})` : ""}</p>
    </div>
    <div class="meeting-status">
      <${ConnectionStatus} connection=${connection} />
      <p class="pending-count" data-testid="pending-count" hidden=${pending === 0 || connection.state === "ended"}>
        ${pending === 1 ? "1 change is waiting to be sent." : `${pending} changes are waiting to be sent.`}
      </p>
    </div>
    <div class="header-tools">
      ${ctx.family ? html`<${TextSizeControl} ctx=${ctx} />` : null}
      ${chair ? html`<${ConsoleButtons} ctx=${ctx} />` : null}
      <${LeaveArea} ctx=${ctx} pending=${pending} />
    </div>
    ${ctx.family ? html`<${FamilyAddButton} ctx=${ctx} />` : null}
    ${ctx.family ? null : html`<${Presence} ctx=${ctx} />`}
    ${chair ? html`<${ShortcutsHelp} ctx=${ctx} />` : null}
  </header>`;
}

/** Who is here now (the family's tablet leaves it out: the family can see the room). */
function Presence({ ctx }) {
  const { state } = ctx;
  const me = state.me;
  return html`<section class="presence" aria-labelledby="presence-heading">
      <h2 id="presence-heading">Here now</h2>
      <ul data-testid="presence">
        ${state.present.map(
          (person) => html`<li key=${person.participant_id} data-participant-id=${person.participant_id}>
            <span class="person-name">${person.display_name}</span>${" "}
            <span class="person-role">(${roleLabel(person.role)}${person.agency ? `, ${person.agency}` : ""}${me && person.participant_id === me.id ? ", you" : ""})</span>
          </li>`,
        )}
      </ul>
    </section>`;
}

export function LeaveArea({ ctx, pending, label = "Leave this meeting", question = "Leave now? This screen will forget the meeting." }) {
  const { state, actions } = ctx;
  return html`<div class="leave-area">
    ${state.ui.confirmingLeave
      ? html`<div class="leave-confirm" data-testid="leave-confirm" role="group" aria-label=${label}>
          <p>${question}</p>
          ${pending > 0
            ? html`<p class="leave-warning" data-testid="leave-warning">
                ${pending === 1 ? "1 change has" : `${pending} changes have`} not been sent yet and will be lost.
              </p>`
            : null}
          <div class="card-actions">
            <button type="button" class="danger" data-testid="leave-confirm-button" onClick=${actions.leaveConfirm}>Yes, leave</button>
            <button type="button" onClick=${actions.leaveCancel}>Stay</button>
          </div>
        </div>`
      : html`<button type="button" class="leave" data-testid="leave-button" onClick=${actions.leaveAsk}>${label}</button>`}
  </div>`;
}

export function Notices({ ctx }) {
  const { state, actions } = ctx;
  return html`<div class="notices" data-testid="notices" aria-live="polite">
    ${state.notices.map(
      (notice) => html`<div key=${notice.id} class=${`notice notice-${notice.tone || "info"}`} data-testid="notice" role="alert">
        <p id=${`notice-${notice.id}`}>${notice.text}</p>
        <button type="button" aria-describedby=${`notice-${notice.id}`} onClick=${() => actions.dismissNotice(notice.id)}>Dismiss</button>
      </div>`,
    )}
  </div>`;
}

const END_WORDS = {
  ended: (message) => ["Your session has ended", message || "Your session has ended. Ask the chair for a new link."],
  left: (message) => [
    "You have left the meeting",
    "Nothing from the meeting is kept on this screen. To join again, ask the chair for a new link.",
    message,
  ],
  failed: (message) => ["This meeting could not be opened", message || "Please try again in a moment."],
  finished: () => [
    "The meeting is finished. Thank you.",
    "This screen has forgotten the meeting: nothing of it is kept here. For a copy of the record, ask the chair.",
  ],
};

export function EndState({ state }) {
  const words = (END_WORDS[state.phase] || END_WORDS.failed)(state.endMessage);
  return html`<main class="end-state" data-testid="end-state" data-state=${state.phase}>
    <div role="status">
      <h1>${words[0]}</h1>
      <p>${words[1]}</p>
      ${words[2] ? html`<p class="end-warning" data-testid="end-warning">${words[2]}</p>` : null}
    </div>
    ${state.phase === "finished" && state.endWords.length
      ? html`<section class="end-words" aria-labelledby="end-words-heading" data-testid="end-words">
          <h2 id="end-words-heading">Your words that could not be added</h2>
          <p>The meeting had already been finished when these words of yours were sent, so they are not in the record.
            If they matter, please tell the chair.</p>
          <ul>${state.endWords.map((words) => html`<li key=${words}>${words}</li>`)}</ul>
        </section>`
      : null}
  </main>`;
}

export function Loading() {
  return html`<main class="end-state" data-testid="loading"><h1 role="status">Opening the meeting…</h1></main>`;
}
