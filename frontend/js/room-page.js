// The room page (/room): a family's tablet or the room screen joins by the short room code the chair shows.
// Type it (any case, with or without the dash or spaces), or scan the QR code (/room#ABCD-EFGH: the code rides in
// the fragment, which no server sees, and is taken out of the address bar at once). The device then waits in the
// lobby ("Waiting for the chair to let you in"), asking every two seconds, until the chair lets it in (the answer
// sets the meeting's session cookie; the lobby cookie is then dropped and the meeting opens) or turns it away.
// Nothing of the meeting is shown here, and nothing is stored in the browser.

import { ApiError, lobbyApi } from "./api.js";
import { html, render as renderTree } from "./ui.js";

const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"; // app/store/lobby.py: no 0, 1, I, L or O
const CODE_LENGTH = 8;
const POLL_MS = 2000;

const root = document.getElementById("app");

const state = {
  step: "enter", // enter | sending | waiting | admitted | turned_away | expired | used
  code: "",
  problem: "", // plain words under the code box
  offline: false, // the last question to the server did not get through (still waiting, still asking)
};

let pollTimer = null;
let focusAfterRender = null;

/** What was typed, as the code people read: upper case, only letters and digits, a dash after the fourth. */
export function tidyCode(typed) {
  const hash = typed.lastIndexOf("#"); // the whole join link pasted in: the code is after its #
  const code = hash >= 0 ? typed.slice(hash + 1) : typed;
  const symbols = code.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, CODE_LENGTH);
  return symbols.length > 4 ? `${symbols.slice(0, 4)}-${symbols.slice(4)}` : symbols;
}

/** Why this cannot be a code, in plain words, before spending a try on the server; "" when it can be. */
export function codeProblem(code) {
  const symbols = code.replace(/-/g, "");
  if (symbols.length === 0) return "Please type the room code shown on the room screen.";
  const wrong = [...symbols].filter((s) => !ALPHABET.includes(s));
  if (wrong.length) {
    return `Room codes never use 0, 1, I, L or O, and this one has ${[...new Set(wrong)].join(", ")}. Check the code on the room screen.`;
  }
  if (symbols.length < CODE_LENGTH) return `The room code has 8 letters and numbers; this has ${symbols.length}.`;
  return "";
}

function set(changes) {
  Object.assign(state, changes);
  render();
}

function render() {
  renderTree(html`<${RoomPage} />`, root);
  if (focusAfterRender) {
    const target = document.querySelector(focusAfterRender);
    focusAfterRender = null;
    if (target) target.focus();
  }
}

function focusNext(selector) {
  focusAfterRender = selector;
}

// ---- talking to the lobby ---------------------------------------------------------------------------------------

async function submit(event) {
  if (event) event.preventDefault();
  const code = tidyCode(state.code);
  const problem = codeProblem(code);
  if (problem) {
    focusNext("#room-code");
    set({ code, problem });
    return;
  }
  set({ code, step: "sending", problem: "" });
  try {
    await lobbyApi.wait(code);
    focusNext("#room-heading");
    set({ step: "waiting", offline: false });
    schedulePoll();
  } catch (error) {
    focusNext("#room-code");
    set({ step: "enter", problem: refusalWords(error) });
  }
}

function refusalWords(error) {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  if (error.status === 0) return "Could not reach the server. Check this device's connection, then try again.";
  if (error.code === "room_code_not_found" || error.status === 404) {
    return "That code did not work. Check it on the room screen (it may have been changed), then try again.";
  }
  if (error.code === "lobby_full") return error.message || "Too many screens are waiting already. Ask the chair.";
  if (error.code === "too_many_tries" || error.status === 429) return error.message;
  if (error.status === 422) return "That is not a room code: it has 8 letters and numbers, like ABCD-EFGH.";
  return error.message;
}

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  pollTimer = null;
  if (state.step !== "waiting") return;
  let answer;
  try {
    answer = await lobbyApi.state();
  } catch {
    set({ offline: true });
    schedulePoll();
    return;
  }
  if (state.step !== "waiting") return;
  if (answer === null) {
    // The lobby forgot this screen (its place was cleared): start again.
    focusNext("#room-code");
    set({ step: "enter", problem: "This screen is no longer waiting. Type the room code again.", offline: false });
    return;
  }
  if (answer.state === "waiting") {
    if (state.offline) set({ offline: false });
    schedulePoll();
    return;
  }
  if (answer.state === "admitted" && answer.meeting_id) return openMeeting(answer.meeting_id);
  await forgetLobby();
  focusNext("#room-heading");
  set({ step: answer.state, offline: false });
}

/** Let in: the session cookie came with that answer (once). The lobby's own cookie has done its job; the
 * meeting opens in place of this page, so going back does not return to the lobby. */
async function openMeeting(meetingId) {
  set({ step: "admitted", offline: false });
  await forgetLobby();
  location.replace(`/meetings/${encodeURIComponent(meetingId)}`);
}

async function forgetLobby() {
  try {
    await lobbyApi.stop();
  } catch {
    // nothing to forget
  }
}

async function stopWaiting() {
  clearTimeout(pollTimer);
  pollTimer = null;
  await forgetLobby();
  focusNext("#room-code");
  set({ step: "enter", problem: "", offline: false });
}

function again() {
  focusNext("#room-code");
  set({ step: "enter", problem: "", code: "" });
}

// ---- the page -----------------------------------------------------------------------------------------------

const ENDINGS = {
  turned_away: [
    "The chair did not let this screen in",
    "If that was a mistake, ask the chair, then type the room code again.",
  ],
  expired: [
    "The wait has ended",
    "Nobody let this screen in in time, or the meeting has ended. To try again, type the room code shown on the room screen.",
  ],
  used: [
    "This screen has already been let in once",
    "To join again, type the room code, and the chair will let this screen in again.",
  ],
};

function RoomPage() {
  return html`<main class="narrow" data-testid="room-page" data-step=${state.step}>
    <p class="brand">SoS Board · Signs of Safety map</p>
    ${state.step === "waiting" || state.step === "admitted"
      ? html`<${Waiting} />`
      : ENDINGS[state.step]
        ? html`<${Ended} words=${ENDINGS[state.step]} />`
        : html`<${Enter} />`}
  </main>`;
}

function Enter() {
  const sending = state.step === "sending";
  return html`<h1 id="room-heading" tabindex="-1" data-testid="room-heading">Join the room</h1>
    <p class="lead">Type the room code shown on the room screen. The chair then lets this screen in.</p>
    <form data-testid="room-form" novalidate onSubmit=${submit}>
      <label for="room-code">Room code</label>
      <p class="help" id="room-code-help">8 letters and numbers, like ABCD-EFGH. Small letters and spaces are fine.</p>
      <input id="room-code" name="code" class="room-code-input" data-testid="room-code-input" value=${state.code}
        autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" inputmode="text" maxlength="20"
        aria-describedby=${state.problem ? "room-code-help room-problem" : "room-code-help"} aria-invalid=${state.problem ? "true" : undefined}
        onInput=${(event) => set({ code: tidyCode(event.currentTarget.value), problem: "" })} />
      <div role="alert" data-testid="room-alert">
        ${state.problem ? html`<p class="room-problem" id="room-problem" data-testid="room-problem">${state.problem}</p>` : null}
      </div>
      <button type="submit" class="primary big" data-testid="room-submit" disabled=${sending}>${sending ? "Checking the code…" : "Join"}</button>
    </form>`;
}

function Waiting() {
  const admitted = state.step === "admitted";
  return html`<section class="room-waiting" aria-labelledby="room-heading" data-testid="room-waiting">
    <h1 id="room-heading" tabindex="-1" data-testid="room-heading"><span class="room-spinner" aria-hidden="true"></span>${admitted
        ? "You are in. Opening the meeting…"
        : "Waiting for the chair to let you in"}</h1>
    <p role="status" aria-live="polite" data-testid="room-status">
      ${admitted
        ? ""
        : state.offline
          ? "Cannot reach the server just now. Still trying: keep this page open."
          : "The chair can see that a screen is waiting. Keep this page open: the meeting opens by itself."}
    </p>
    ${admitted ? null : html`<button type="button" data-testid="room-stop" onClick=${stopWaiting}>Stop waiting</button>`}
  </section>`;
}

function Ended({ words }) {
  return html`<section aria-labelledby="room-heading" data-testid="room-ended">
    <h1 id="room-heading" tabindex="-1" data-testid="room-heading">${words[0]}</h1>
    <p class="lead" data-testid="room-ended-words">${words[1]}</p>
    <button type="button" class="primary big" data-testid="room-again" onClick=${again}>Type the room code</button>
  </section>`;
}

// ---- start ----------------------------------------------------------------------------------------------------

async function start() {
  let fromQr = "";
  try {
    fromQr = decodeURIComponent(location.hash.slice(1));
  } catch {
    fromQr = "";
  }
  if (location.hash) history.replaceState(null, "", location.pathname); // the code never stays in the history
  if (fromQr.trim()) {
    state.code = tidyCode(fromQr);
    render();
    await submit();
    return;
  }
  // Opened again while waiting (a reload): carry on waiting if the lobby still knows this screen.
  try {
    const answer = await lobbyApi.state();
    if (answer && answer.state === "waiting") {
      state.step = "waiting";
      render();
      schedulePoll();
      return;
    }
    if (answer && answer.state === "admitted" && answer.meeting_id) return openMeeting(answer.meeting_id);
    if (answer && answer.state) await forgetLobby();
  } catch {
    // not waiting: the usual start
  }
  render();
  focusNext("#room-code");
  render();
}

render();
start();
