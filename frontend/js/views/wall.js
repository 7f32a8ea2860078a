// The room screen (the projector, 1920x1080): read only, and none of the chrome a wall does not need. The whole map
// readable from the back of the room: the type fits itself to the screen (the largest size at which everything
// shows without scrolling, never under WALL_MIN_PX), in high contrast, with calm motion. It follows the chair's
// phase and focus; during the introductions it shows the room code and its QR code. A discreet "End" (shown on
// hover or keyboard focus, with a confirmation) lets whoever stands at the laptop end it.
//
// How 40 cards fit: the three columns share the width in proportion to how much each holds; inside a column the
// cards flow into as many sub-columns as its width allows (CSS multi-column, cards never split), and the type
// size is found by a binary search between WALL_MIN_PX and WALL_MAX_PX, measuring after each render (and on
// resize) whether anything overflows. All text on the map is sized in em of that one size, none smaller than 1em.
// If even the minimum cannot hold it all (far past 40 long cards), the map scrolls and follows the chair's focus.
//
// On a part with words of its own (the introductions, the children's words, the statements, scaling, the plan, the
// decision, the close) those words are what the room reads together, so they come first: the map stays under them
// in full only while everything still fits at WALL_PART_PX or more; past that it is summarised (how many cards of
// each kind each column holds), and past that left out, so that the part itself never has to scroll.

import { html, useEffect, useLayoutEffect, useRef } from "../ui.js";
import { COLUMNS } from "../kinds.js";
import { AttendancePart } from "./attendance.js";
import { Countdown } from "./agenda.js";
import { DecisionPart } from "./decision.js";
import { ConnectionStatus } from "./header.js";
import { WallJoin } from "./lobby.js";
import { PlanPart } from "./plan.js";
import { ScalingPart } from "./scaling.js";
import { StatementsPart } from "./statements.js";
import { VoicePart } from "./voice.js";

/** No text on the room screen is smaller than this (CSS pixels at 1920x1080). */
export const WALL_MIN_PX = 16;
const WALL_MAX_PX = 44;
/** Under a part with words of its own, the whole map only while those words can be at least this large. */
const WALL_PART_PX = 20;
/** The map under a part, from the most of it to the least: each a class on the main area, tried without a render. */
const MAP_UNDER_PART = ["map-full", "map-summarised", "map-left-out"];

const PART_VIEWS = {
  voice: VoicePart,
  statements: StatementsPart,
  scaling: ScalingPart,
  plan: PlanPart,
  decision: DecisionPart,
};

const WALL_KINDS = {
  harm: "Harm",
  complicating_factor: "Complicating factor",
  grey_area: "Grey area",
  strength: "Strength",
  existing_safety: "Existing safety",
  safety_goal: "Safety goal",
  next_step: "Next step",
};

function overflows(el) {
  return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
}

function fits(main) {
  if (overflows(main)) return false;
  for (const box of main.querySelectorAll("[data-fit]")) if (overflows(box)) return false;
  return true;
}

function setSize(main, px) {
  main.style.setProperty("--wall-size", `${px}px`);
}

/** The largest type size (to half a pixel) at which the room screen's main area shows everything: what the map
 * under a part can keep (MAP_UNDER_PART) is settled first, then the size. */
export function fitText(main) {
  main.classList.remove("wall-overflow", ...MAP_UNDER_PART);
  // Only a region that scrolls needs to be reachable with the keyboard (and then it must be).
  main.tabIndex = -1;
  const ladder = main.querySelector(".wall-map-summary") ? MAP_UNDER_PART : [];
  for (const shown of ladder.slice(0, -1)) {
    main.classList.add(shown);
    setSize(main, WALL_PART_PX);
    if (fits(main)) return largestFit(main, WALL_PART_PX);
    main.classList.remove(shown);
  }
  if (ladder.length) main.classList.add(ladder[ladder.length - 1]);
  setSize(main, WALL_MIN_PX);
  if (!fits(main)) {
    main.classList.add("wall-overflow");
    main.tabIndex = 0;
    return WALL_MIN_PX;
  }
  return largestFit(main, WALL_MIN_PX);
}

/** Binary search between `floor` (at which everything fits) and WALL_MAX_PX. */
function largestFit(main, floor) {
  setSize(main, WALL_MAX_PX);
  if (fits(main)) return WALL_MAX_PX;
  let low = floor;
  let high = WALL_MAX_PX;
  while (high - low > 0.5) {
    const middle = (low + high) / 2;
    setSize(main, middle);
    if (fits(main)) low = middle;
    else high = middle;
  }
  setSize(main, low);
  main.dataset.fitted = String(low);
  return low;
}

export function WallPage({ ctx }) {
  const { state } = ctx;
  const main = useRef(null);
  // Fit after every render, before the screen is painted; and again when the window changes size.
  useLayoutEffect(() => {
    if (main.current) fitText(main.current);
  });
  useEffect(() => {
    const refit = () => main.current && fitText(main.current);
    window.addEventListener("resize", refit);
    return () => window.removeEventListener("resize", refit);
  }, []);
  const part = ctx.part;
  const PartView = PART_VIEWS[part];
  const anyCards = Object.values(state.display).some((entries) => entries.length) || (state.board.statements || []).length > 0;
  let top = null;
  if (part === "attendance") {
    top = html`<div class="wall-intro">
      <${WallJoin} ctx=${ctx} />
      <div class="part-panel" data-testid="part-panel"><${AttendancePart} ctx=${ctx} /></div>
    </div>`;
  } else if (PartView) {
    top = html`<div class="part-panel wall-part" data-testid="part-panel"><${PartView} ctx=${ctx} /></div>`;
  }
  // The map is always there, under the part the meeting is on (when that part has words of its own, the map
  // only shows once it has cards, and fitText picks the map in full, its summary, or neither).
  const perColumn = top && !anyCards ? null : mapItems(ctx);
  const body = html`${top}${perColumn ? html`<${WallMap} ctx=${ctx} perColumn=${perColumn} />` : null}${top && perColumn
    ? html`<${WallMapSummary} perColumn=${perColumn} />`
    : null}`;
  return html`<div class="wall" data-testid="wall">
    <${WallHeader} ctx=${ctx} />
    <main id="board" class="wall-main" data-testid="board" data-part=${part} ref=${main} tabindex="-1">
      ${state.notices.length ? html`<${WallNotices} ctx=${ctx} />` : null}
      ${body}
    </main>
  </div>`;
}

function WallHeader({ ctx }) {
  const { state } = ctx;
  const phase = ctx.phase;
  const agenda = state.board.agenda || [];
  const index = phase ? agenda.findIndex((p) => p.id === phase.id) : -1;
  const timer = state.board.phase && state.board.phase.timer;
  return html`<header class="wall-header" data-testid="meeting-header">
    <div class="wall-where">
      <p class="wall-title" data-testid="meeting-title">${state.meeting ? state.meeting.title : ""}${index >= 0 ? html`<span class="wall-step"> · part ${index + 1} of ${agenda.length}</span>` : null}</p>
      ${phase
        ? html`<h1 class="wall-phase" id="phase-title" data-testid="phase-title">${phase.title}</h1>
            <p class="wall-prompt" data-testid="phase-prompt">${phase.prompt}</p>`
        : html`<h1 class="wall-phase">SoS Board</h1>`}
    </div>
    <div class="wall-side">
      ${timer ? html`<${Countdown} timer=${timer} skewMs=${state.clockSkewMs} />` : null}
      <${ConnectionStatus} connection=${state.connection} />
      <${WallEnd} ctx=${ctx} />
    </div>
  </header>`;
}

/** For whoever stands at the laptop: out of sight until hovered or reached with Tab, and asks first. */
function WallEnd({ ctx }) {
  const { state, actions } = ctx;
  if (state.ui.confirmingLeave) {
    return html`<div class="wall-end-confirm" role="group" aria-labelledby="wall-end-question" data-testid="wall-end-confirm">
      <p id="wall-end-question">End the room screen? It forgets the meeting; to show it again, join with the room code.</p>
      <div class="card-actions">
        <button type="button" class="danger" data-testid="wall-end-yes" onClick=${actions.leaveConfirm}>Yes, end it</button>
        <button type="button" data-testid="wall-end-no" onClick=${actions.leaveCancel}>No, keep showing</button>
      </div>
    </div>`;
  }
  return html`<button type="button" class="wall-end" data-testid="wall-end" aria-label="End the room screen" onClick=${actions.leaveAsk}>End</button>`;
}

function WallNotices({ ctx }) {
  return html`<div class="wall-notices" role="status">${ctx.state.notices.map((n) => html`<p key=${n.id}>${n.text}</p>`)}</div>`;
}

/** How much a column holds, to share the screen's width: its words, plus a little for each card's frame. */
function weightOf(items) {
  return 90 + items.reduce((sum, item) => sum + item.text.length + 45, 0);
}

/** Each column of the map with what the wall shows in it: its cards, then the danger statements or safety goals. */
function mapItems(ctx) {
  const { state } = ctx;
  const statements = state.board.statements || [];
  return COLUMNS.map((column) => {
    const items = (state.display[column.id] || [])
      .filter((entry) => entry.pending !== "add")
      .map(({ card }) => ({ key: `card:${card.id}`, entity: "card", id: card.id, kind: WALL_KINDS[card.kind] || card.kind, cls: card.kind, text: card.text, card }));
    if (column.id === "worries") {
      statements.forEach((s, i) =>
        items.push({ key: `statement:${s.id}`, entity: "statement", id: s.id, kind: `Danger statement ${i + 1}`, countAs: "Danger statement", cls: "statement", text: s.behaviour }),
      );
    }
    if (column.id === "needs_to_happen") {
      statements.forEach((s, i) => {
        if (!s.goal) return;
        const words = s.goal.adults_will || s.goal.child_will_experience || s.goal.professionals_will_see;
        if (words) items.push({ key: `goal:${s.id}`, entity: "statement", id: s.id, kind: `Safety goal ${i + 1}`, countAs: WALL_KINDS.safety_goal, cls: "goal", text: words });
      });
    }
    return { column, items };
  });
}

function WallMap({ ctx, perColumn }) {
  const template = perColumn.map(({ items }) => `minmax(11em, ${weightOf(items)}fr)`).join(" ");
  return html`<section class="wall-map" aria-labelledby="map-heading">
    <h2 id="map-heading" class="visually-hidden">The map</h2>
    <div class="wall-columns" style=${{ gridTemplateColumns: template }}>
      ${perColumn.map(({ column, items }) => {
        const current = ctx.area === column.id;
        const headingId = `heading-${column.id}`;
        return html`<section key=${column.id} class=${`wall-column column-${column.id}${current ? " is-current" : ""}`} data-fit
          data-testid=${`column-${column.id}`} data-column=${column.id} aria-current=${current ? "true" : undefined} aria-labelledby=${headingId}>
          <h2 id=${headingId} class="column-question">${column.question}</h2>
          ${items.length
            ? html`<ol class="wall-cards" data-testid=${`cards-${column.id}`} aria-labelledby=${headingId}>
                ${items.map((item) => html`<${WallItem} key=${item.key} ctx=${ctx} item=${item} />`)}
              </ol>`
            : html`<p class="empty">Nothing here yet.</p>`}
        </section>`;
      })}
    </div>
  </section>`;
}

function WallItem({ ctx, item }) {
  const focused = ctx.isFocused(item.entity, item.id) && (item.entity === "card" || item.cls === "statement");
  const card = item.card;
  const author = card ? ctx.state.names.get(card.author_id) : null;
  const family = author && author.role === "family";
  const editor = card && card.edited_by && card.edited_by !== card.author_id ? ctx.nameOf(card.edited_by) : "";
  const attrs = {
    "data-item": `${item.entity}:${item.id}`,
    "data-focused": focused ? "true" : undefined,
    class: `wall-card kind-${item.cls}${focused ? " is-focused" : ""}${card && card.restricted ? " is-restricted" : ""}`,
  };
  return html`<li ...${attrs} data-testid=${card ? "card" : "wall-statement"} data-card-id=${card ? card.id : undefined}
    data-kind=${card ? card.kind : item.cls}>
    ${focused ? html`<p class="wall-focus-note" data-testid="focus-note">The chair is pointing here</p>` : null}
    <p class="wall-card-words"><span class="wall-kind" data-testid="card-kind">${item.kind}</span>${" "}<span
      class="card-text" data-testid="card-text">${item.text}</span></p>
    ${family
      ? html`<p class="wall-byline"><span class="wall-family">The family's words:</span> <span data-testid="card-author">${author.display_name}${editor ? `, changed by ${editor}` : ""}</span></p>`
      : null}
  </li>`;
}

/** The map in a few words under a part that needs the room's eyes: how many of each kind every column holds. */
function WallMapSummary({ perColumn }) {
  return html`<section class="wall-map-summary" aria-labelledby="map-summary-heading" data-testid="map-summary">
    <h2 id="map-summary-heading" class="visually-hidden">The map, in short</h2>
    <ul class="wall-summary-columns">
      ${perColumn.map(({ column, items }) => {
        const counts = new Map();
        for (const item of items) counts.set(item.countAs || item.kind, (counts.get(item.countAs || item.kind) || 0) + 1);
        return html`<li key=${column.id} class=${`wall-summary-column column-${column.id}`} data-testid=${`summary-${column.id}`}>
          <p class="column-question">${column.question}</p>
          <p>${items.length ? [...counts].map(([kind, count], i) => html`${i ? " · " : ""}<span class="wall-count">${kind}: <strong>${count}</strong></span>`) : "Nothing here yet."}</p>
        </li>`;
      })}
    </ul>
  </section>`;
}
