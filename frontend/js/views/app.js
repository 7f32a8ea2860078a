// The whole board page as a function of the controller's state. Views only render and call `actions`; the
// controller (board-page.js) owns the state, the connection and every decision about what to send.

import { html } from "../ui.js";
import { currentPhase } from "../meeting-model.js";
import { partOfArea } from "../words.js";
import { AgendaNav, ChairControls, ClosedBanner, PhaseBox, PrivateScreen } from "./agenda.js";
import { AttendancePart } from "./attendance.js";
import { AuditPanel } from "./audit.js";
import { DecisionPart } from "./decision.js";
import { EndState, Header, Loading, Notices } from "./header.js";
import { MapPart } from "./map.js";
import { PeopleDrawer } from "./console.js";
import { FamilyAddPanel } from "./tablet.js";
import { WallPage } from "./wall.js";
import { PlanPart } from "./plan.js";
import { AddendaPart, FinaliseArea, FinalisedBanner, FinishedScreen, RecordPanel } from "./record.js";
import { ScalingPart, roundTitle } from "./scaling.js";
import { StatementsPart } from "./statements.js";
import { VoicePart } from "./voice.js";

const PART_VIEWS = {
  attendance: AttendancePart,
  voice: VoicePart,
  statements: StatementsPart,
  scaling: ScalingPart,
  plan: PlanPart,
  decision: DecisionPart,
};

/** What every view needs to know besides the state: who this screen is and what it may do. */
export function makeContext(state, actions) {
  const board = state.board;
  const me = state.me;
  const role = me ? me.role : "";
  const family = role === "family";
  const projector = role === "projector";
  const can = (opType) => !board.read_only && Boolean(state.permissions[opType]) && state.permissions[opType] !== "none";
  const canOn = (opType, item) => {
    if (board.read_only) return false;
    const scope = state.permissions[opType];
    return scope === "any" || (scope === "own" && Boolean(me) && Boolean(item) && item.author_id === me.id);
  };
  const nameOf = (participantId) => {
    const person = state.names.get(participantId);
    return person ? person.display_name : "Someone who was at the meeting";
  };
  const childName = (id) => {
    const child = (board.children || []).find((c) => c.id === id);
    return child ? child.name : "";
  };
  const focus = board.focus;
  const isFocused = (entity, id) => Boolean(focus) && focus.entity === entity && focus.item_id === id;
  const phase = currentPhase(board);
  const viewedPhase = !projector && state.ui.viewPhase ? (board.agenda || []).find((p) => p.id === state.ui.viewPhase) || null : null;
  const shownPhase = viewedPhase || phase;
  let part = shownPhase ? partOfArea(shownPhase.area) : "map";
  if (projector && state.ui.followPart) part = state.ui.followPart;
  const ctx = {
    state,
    actions,
    me,
    role,
    family,
    projector,
    can,
    canOn,
    nameOf,
    childName,
    isFocused,
    phase,
    viewedPhase,
    part,
    area: shownPhase ? shownPhase.area : "",
    closedForMe: Boolean(board.closed_part && board.closed_part.active) && (family || projector),
  };
  ctx.describeItem = (entity, id) => describeItem(ctx, entity, id);
  return ctx;
}

function describeItem(ctx, entity, id) {
  const board = ctx.state.board;
  const find = (list) => (list || []).find((item) => item.id === id);
  switch (entity) {
    case "card": {
      for (const cards of Object.values(board.columns)) {
        const card = cards.find((c) => c.id === id);
        if (card) return card.text;
      }
      return "";
    }
    case "statement": {
      const index = (board.statements || []).findIndex((s) => s.id === id);
      return index < 0 ? "" : `Danger statement ${index + 1}: ${board.statements[index].behaviour}`;
    }
    case "round": {
      const round = find(board.rounds);
      return round ? `Scaling round: ${roundTitle(ctx, round)}` : "";
    }
    case "step":
      return (find(board.steps) || {}).what || "";
    case "network_member":
      return (find(board.network) || {}).name || "";
    case "decision":
      return `The decision for ${ctx.childName(id)}`;
    case "voice":
      return (find(board.voices) || {}).words || "";
    case "child":
      return ctx.childName(id);
    case "attendee":
      return (find(board.attendees) || {}).name || "";
    default:
      return "";
  }
}

export function App({ state, actions }) {
  if (state.phase === "loading") return html`<${Loading} />`;
  if (state.phase !== "board") return html`<${EndState} state=${state} />`;
  const ctx = makeContext(state, actions);
  // A finalised meeting stays on the family's tablet and the room screen only to say goodbye.
  if ((ctx.family || ctx.projector) && state.board.read_only) return html`<${FinishedScreen} ctx=${ctx} />`;
  if (ctx.closedForMe) return html`<${PrivateScreen} ctx=${ctx} />`;
  if (ctx.projector) return html`<${WallPage} ctx=${ctx} />`;
  const PartView = PART_VIEWS[ctx.part];
  return html`
    <a class="skip-link" href="#board">Skip to the meeting</a>
    <${Header} ctx=${ctx} />
    <${PeopleDrawer} ctx=${ctx} />
    <div class=${`meeting-layout${state.console.drawer ? " with-drawer" : ""}`}>
      <${AgendaNav} ctx=${ctx} />
      <main id="board" class="board" data-testid="board" tabindex="-1" data-part=${ctx.part}>
        ${ctx.family ? html`<${FamilyAddPanel} ctx=${ctx} />` : null}
        <${Notices} ctx=${ctx} />
        <${FinalisedBanner} ctx=${ctx} />
        <${RecordPanel} ctx=${ctx} />
        <${PhaseBox} ctx=${ctx} />
        <${ChairControls} ctx=${ctx} />
        <${FinaliseArea} ctx=${ctx} />
        <${ClosedBanner} ctx=${ctx} />
        ${PartView
          ? html`<div class="part-panel" data-testid="part-panel"><${PartView} ctx=${ctx} /></div>`
          : null}
        <${MapPart} ctx=${ctx} currentArea=${ctx.area} />
        <${AddendaPart} ctx=${ctx} />
      </main>
    </div>
    <${AuditPanel} ctx=${ctx} />`;
}
