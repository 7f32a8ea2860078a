// The agenda, the phase the meeting is in ("where to work now"), its timer, and the chair's controls to move it.
// Looking at another part of the agenda is local to this screen: it never moves the meeting.

import { html, useLayoutEffect, useRef } from "../ui.js";
import { PARTS } from "../words.js";
import { FormMessage, TextField } from "./fields.js";
import { FinaliseButton } from "./record.js";

function twoDigits(n) {
  return String(n).padStart(2, "0");
}

export function timerWords(remainingMs) {
  const over = remainingMs < 0;
  const total = Math.ceil(Math.abs(remainingMs) / 1000);
  const minutes = Math.floor(total / 60);
  const text = `${minutes}:${twoDigits(total % 60)}`;
  return over ? `Over time by ${text}` : `${text} left`;
}

/** Counts down by itself: the server sends no event per second. Only this element re-renders each second. */
export function Countdown({ timer, skewMs }) {
  const ref = useRef(null);
  useLayoutEffect(() => {
    const end = Date.parse(timer.started_at) + timer.seconds * 1000;
    const tick = () => {
      if (!ref.current) return;
      const remaining = end - (Date.now() + skewMs);
      ref.current.textContent = timerWords(remaining);
      ref.current.dataset.over = remaining < 0 ? "true" : "false";
    };
    tick();
    const id = setInterval(tick, 1000);
    return () => clearInterval(id);
  }, [timer.started_at, timer.seconds, skewMs]);
  return html`<p class="timer" data-testid="phase-timer" role="timer" aria-label="Time left for this part">
    <span ref=${ref}></span>
  </p>`;
}

export function AgendaNav({ ctx }) {
  const { state, actions } = ctx;
  const agenda = state.board.agenda || [];
  const current = ctx.phase ? ctx.phase.id : null;
  const viewed = ctx.viewedPhase ? ctx.viewedPhase.id : null;
  return html`<nav class="agenda" aria-label="Agenda" data-testid="agenda">
    <h2 class="visually-hidden">Agenda</h2>
    <ol>
      ${agenda.map((phase, index) => {
        const isCurrent = phase.id === current;
        const isViewed = phase.id === viewed;
        const cls = `${isCurrent ? "is-current" : ""}${isViewed ? " is-viewed" : ""}`;
        const label = html`<span class="agenda-number">${index + 1}</span> <span class="agenda-title">${phase.title}</span>${isCurrent
            ? html`<span class="agenda-now"> (now)</span>`
            : null}`;
        return html`<li key=${phase.id} class=${cls} data-phase=${phase.id} aria-current=${isCurrent ? "step" : undefined}>
          ${ctx.projector
            ? html`<span class="agenda-item">${label}</span>`
            : html`<button type="button" class="agenda-item" aria-pressed=${isViewed ? "true" : "false"}
                onClick=${() => actions.lookAt(phase.id)}>${label}</button>`}
        </li>`;
      })}
    </ol>
  </nav>`;
}

export function PhaseBox({ ctx }) {
  const { state, actions } = ctx;
  const phase = ctx.phase;
  if (!phase) return null;
  const timer = state.board.phase && state.board.phase.timer;
  const viewed = ctx.viewedPhase;
  const lookingElsewhere = viewed && viewed.id !== phase.id;
  const moved = state.ui.movedNote;
  // Named by "Now" and the title together: the part on screen below has a heading with the same title, and two
  // regions of one name are one too many for a screen reader's list of landmarks.
  return html`<section class="phase-box" aria-labelledby="phase-label phase-title" data-testid="phase-box">
    <p class="phase-label" id="phase-label">${ctx.family ? "Where we are now" : "Now"}</p>
    <h2 id="phase-title" data-testid="phase-title">${phase.title}</h2>
    <p class="phase-prompt" data-testid="phase-prompt">${phase.prompt}</p>
    ${timer ? html`<${Countdown} timer=${timer} skewMs=${state.clockSkewMs} />` : null}
    <div role="status" aria-live="polite" class="phase-status">
      ${moved && lookingElsewhere
        ? html`<p class="moved-note" data-testid="moved-note">
            The meeting has moved on to “${phase.title}”. Your words are kept here.
          </p>`
        : null}
      ${lookingElsewhere
        ? html`<p class="looking-elsewhere" data-testid="looking-elsewhere">
            You are looking at “${viewed.title}”. The meeting has not moved.
            <button type="button" class="link" data-testid="follow-meeting" onClick=${actions.followMeeting}>Go to where the meeting is</button>
          </p>`
        : null}
    </div>
    ${state.board.focus && !ctx.projector ? html`<${PointedAt} ctx=${ctx} />` : null}
  </section>`;
}

function PointedAt({ ctx }) {
  const focus = ctx.state.board.focus;
  const words = ctx.describeItem(focus.entity, focus.item_id);
  if (!words) return null;
  return html`<p class="pointed-at" data-testid="pointed-at">
    The chair is pointing everyone at: <strong>${words}</strong>${" "}
    <button type="button" class="link" onClick=${() => ctx.actions.showFocus()}>Show me</button>
  </p>`;
}

export function ChairControls({ ctx }) {
  const { state, actions } = ctx;
  if (!ctx.can("set_phase")) return null;
  const agenda = state.board.agenda || [];
  const phase = ctx.phase;
  const index = agenda.findIndex((p) => p.id === (phase && phase.id));
  const next = index >= 0 ? agenda[index + 1] : null;
  const previousId = state.board.phase && state.board.phase.previous;
  const previous = agenda.find((p) => p.id === previousId);
  const viewed = ctx.viewedPhase;
  const timer = state.board.phase && state.board.phase.timer;
  const closed = state.board.closed_part && state.board.closed_part.active;
  return html`<section class="chair-controls" aria-labelledby="chair-controls-heading" data-testid="chair-controls">
    <h2 id="chair-controls-heading" class="visually-hidden">Run the meeting</h2>
      <button type="button" data-testid="phase-back" aria-keyshortcuts="b" disabled=${!previous} onClick=${() => previous && actions.setPhase(previous.id)}>
        ${previous ? `Back to “${previous.title}”` : "Back"}
      </button>
      <button type="button" class="primary" data-testid="phase-next" aria-keyshortcuts="n" disabled=${!next} onClick=${() => next && actions.setPhase(next.id)}>
        ${next ? `Next: ${next.title}` : "This is the last part"}
      </button>
      ${viewed && phase && viewed.id !== phase.id
        ? html`<button type="button" data-testid="phase-jump" onClick=${() => actions.setPhase(viewed.id)}>Move the meeting to “${viewed.title}”</button>`
        : null}
    <form class="timer-form" onSubmit=${(event) => {
      event.preventDefault();
      actions.startTimer();
    }}>
      <${TextField} ctx=${ctx} form="timer:" name="minutes" label="Minutes for this part" type="number" testid="timer-minutes"
        help=${phase && phase.minutes ? `Suggested: ${phase.minutes}` : undefined} />
      <button type="submit" data-testid="timer-start">Start timer</button>
      ${timer ? html`<button type="button" data-testid="timer-stop" onClick=${actions.stopTimer}>Stop timer</button>` : null}
    </form>
      ${closed
        ? html`<button type="button" class="danger" data-testid="end-closed-part" aria-keyshortcuts="c" onClick=${actions.endClosedPart}>End the closed part: ask the family back</button>`
        : html`<button type="button" data-testid="start-closed-part" aria-keyshortcuts="c" onClick=${actions.startClosedPart}>Start a closed part (the family steps out)</button>`}
      ${state.board.focus ? html`<button type="button" data-testid="clear-focus" aria-keyshortcuts="x" onClick=${() => actions.focus(null)}>Stop pointing</button>` : null}
      <${FinaliseButton} ctx=${ctx} />
    <${FormMessage} ctx=${ctx} form="phase:" />
  </section>`;
}

export function ClosedBanner({ ctx }) {
  const closed = ctx.state.board.closed_part && ctx.state.board.closed_part.active;
  if (!closed) return null;
  return html`<p class="closed-banner" role="status" data-testid="closed-banner">
    Closed part: the family is out of the room. Everything added now is kept from the family and the room screen.
  </p>`;
}

export function PrivateScreen({ ctx }) {
  return html`<main class="private-screen" data-testid="private-screen">
    <h1>This part of the meeting is private; you will be asked back</h1>
  </main>`;
}

export function partTitle(part) {
  return PARTS[part] || "";
}
