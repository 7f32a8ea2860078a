// Joining the room by code: the chair's room code and QR code, the lobby (let a waiting screen in with a name
// and a role, or turn it away), and the code and QR code large on the room screen during the introductions.

import { roomCodeQrUrl } from "../api.js";
import { html } from "../ui.js";
import { formatTime } from "../words.js";
import { submitOnCtrlEnter } from "./fields.js";

const ADMIT_ROLES = [
  ["family", "Family (the family's tablet)"],
  ["projector", "Room screen (read only)"],
  ["professional", "Professional"],
  ["observer", "Observer (read only)"],
];

function roomAddress() {
  return `${location.host}/room`;
}

export function RoomCodePanel({ ctx }) {
  const { state, actions } = ctx;
  const room = state.room;
  const code = room.code;
  const finalised = Boolean(state.board.read_only);
  return html`<section class="drawer-section room-code-panel" aria-labelledby="room-code-heading" data-testid="room-code-panel">
    <h3 id="room-code-heading">Join by room code</h3>
    <p class="help">For the family's tablet and the room screen: on that device, open <strong>${roomAddress()}</strong>${" "}and type the code, or scan the QR code. It then waits below until you let it in.</p>
    ${code
      ? html`<div class="room-code-box">
          <p class="room-code" data-testid="room-code" aria-label=${`Room code: ${code.code.split("").join(" ")}`}>${code.code}</p>
          <img class="room-qr room-qr-small" src=${roomCodeQrUrl(state.meeting.id, code)} data-testid="room-qr"
            alt=${`QR code: opens ${roomAddress()} with the code ${code.code} filled in`} />
          <p class="help">Works until ${formatTime(code.expires_at)}, or until the record is finalised.</p>
          <div class="card-actions">
            <button type="button" data-testid="new-room-code" disabled=${room.busy} onClick=${actions.makeRoomCode}>New code</button>
            <button type="button" data-testid="withdraw-room-code" disabled=${room.busy} onClick=${actions.withdrawRoomCode}>Stop this code</button>
          </div>
        </div>`
      : finalised
        ? html`<p class="help">The record is finalised: nobody joins by code any more.</p>`
        : html`<button type="button" class="primary" data-testid="make-room-code" disabled=${room.busy || code === undefined}
            onClick=${actions.makeRoomCode}>Make a room code</button>`}
    <p class="people-status" role="status" aria-live="polite" data-testid="room-code-status">${room.message}</p>
  </section>`;
}

export function LobbyPanel({ ctx }) {
  const { state } = ctx;
  const waiting = state.room.lobby;
  if (state.board.read_only) return null;
  return html`<section class="drawer-section lobby-panel" aria-labelledby="lobby-heading" data-testid="lobby-panel">
    <h3 id="lobby-heading" tabindex="-1">Waiting to join${waiting.length ? ` (${waiting.length})` : ""}</h3>
    ${waiting.length === 0
      ? html`<p class="empty" data-testid="lobby-empty">No screen is waiting.</p>`
      : html`<p class="help">Let a screen in only when you can see whose it is. Its name shows to everyone.</p>`}
    <ol class="lobby-list">
      ${waiting.map((entry, index) => html`<${LobbyEntry} key=${entry.id} ctx=${ctx} entry=${entry} number=${index + 1} />`)}
    </ol>
    <p class="people-status" role="status" aria-live="polite" data-testid="lobby-status">${state.room.lobbyMessage}</p>
  </section>`;
}

function LobbyEntry({ ctx, entry, number }) {
  const { state, actions } = ctx;
  const form = state.room.admit[entry.id] || { display_name: "", role: "family", agency: "" };
  const id = (name) => `admit-${name}-${entry.id}`;
  const headingId = id("heading");
  return html`<li class="lobby-entry" data-testid="lobby-entry" data-entry-id=${entry.id}>
    <form aria-labelledby=${headingId} onSubmit=${(event) => {
      event.preventDefault();
      actions.admit(entry.id);
    }}>
      <h4 id=${headingId}>Screen ${number}, waiting since ${formatTime(entry.arrived_at)}</h4>
      <div class="form-grid">
        <div class="field">
          <label for=${id("name")}>Name to show everyone</label>
          <input id=${id("name")} name="display_name" maxlength="80" autocomplete="off" data-testid="admit-name" value=${form.display_name}
            onInput=${(event) => actions.admitDraft(entry.id, "display_name", event.currentTarget.value)} onKeyDown=${submitOnCtrlEnter} />
        </div>
        <div class="field">
          <label for=${id("role")}>Joins as</label>
          <select id=${id("role")} name="role" data-testid="admit-role" value=${form.role}
            onChange=${(event) => actions.admitDraft(entry.id, "role", event.currentTarget.value)}>
            ${ADMIT_ROLES.map(([value, words]) => html`<option key=${value} value=${value}>${words}</option>`)}
          </select>
        </div>
        ${form.role === "professional"
          ? html`<div class="field">
              <label for=${id("agency")}>Organisation (optional)</label>
              <input id=${id("agency")} name="agency" maxlength="120" autocomplete="off" value=${form.agency || ""}
                onInput=${(event) => actions.admitDraft(entry.id, "agency", event.currentTarget.value)} onKeyDown=${submitOnCtrlEnter} />
            </div>`
          : null}
      </div>
      <div class="card-actions">
        <button type="submit" class="primary" data-testid="admit" disabled=${state.room.busy}>Let in</button>
        <button type="button" data-testid="turn-away" disabled=${state.room.busy} aria-describedby=${headingId}
          onClick=${() => actions.turnAway(entry.id)}>Turn away</button>
      </div>
    </form>
  </li>`;
}

/** On the room screen during the introductions: how to join, large, with the QR code. */
export function WallJoin({ ctx }) {
  const { state } = ctx;
  const code = state.room.code;
  return html`<section class="wall-join" aria-labelledby="wall-join-heading" data-testid="wall-join">
    <h2 id="wall-join-heading">Join on a tablet</h2>
    ${code
      ? html`<p class="wall-join-how">Open <strong>${roomAddress()}</strong>${" "}and type</p>
          <p class="wall-code" data-testid="wall-room-code" aria-label=${`Room code: ${code.code.split("").join(" ")}`}>${code.code}</p>
          <p class="wall-join-how">or scan:</p>
          <img class="room-qr wall-qr" src=${roomCodeQrUrl(state.meeting.id, code)} data-testid="wall-room-qr"
            alt=${`QR code: opens ${roomAddress()} with the code ${code.code} filled in`} />`
      : html`<p class="wall-join-how" data-testid="wall-no-code">The chair will show the room code here.</p>`}
  </section>`;
}
