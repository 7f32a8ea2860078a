// Safety scaling: the chair opens a round, everyone answers 0 to 10 on their own, and nobody sees another's
// answer until the chair reveals the round (the server withholds it). Then every screen shows the same chart.

import { html } from "../ui.js";
import { roleLabel } from "../kinds.js";
import { GROUPS, ROUND_LABELS } from "../words.js";
import { FocusNote, FormMessage, ItemTools, KeptWords, RadioGroup, RestrictedBadge, SelectField, TextField, itemAttrs } from "./fields.js";

const SCALE = Array.from({ length: 11 }, (_, n) => [String(n), String(n)]);

export function roundTitle(ctx, round) {
  const label = ROUND_LABELS[round.label] || round.label;
  if (!round.statement_id) return `${label}: overall, how safe are the children?`;
  return `${label}: ${statementTitle(ctx, round.statement_id)}`;
}

function statementTitle(ctx, statementId) {
  const statements = ctx.state.board.statements || [];
  const index = statements.findIndex((s) => s.id === statementId);
  if (index < 0) return "a danger statement";
  return `danger statement ${index + 1} (${statements[index].behaviour})`;
}

/** Who gave an answer, in the same words on every screen. */
function answerer(ctx, answer) {
  if (answer.attendee_id) {
    const attendee = (ctx.state.board.attendees || []).find((a) => a.id === answer.attendee_id);
    return {
      key: `a:${answer.attendee_id}`,
      name: attendee ? attendee.name : "Someone in the room",
      role: attendee ? attendee.role_label || GROUPS[attendee.group] || "" : "",
    };
  }
  return { key: `p:${answer.participant_id}`, name: ctx.nameOf(answer.participant_id), role: answer.role ? roleLabel(answer.role) : "" };
}

export function ScalingPart({ ctx }) {
  const rounds = ctx.state.board.rounds || [];
  return html`<section class="part scaling-part" aria-labelledby="part-scaling-heading" data-testid="part-scaling">
    <h2 id="part-scaling-heading">${ctx.family ? "How safe are the children? (0 to 10)" : "Safety scale"}</h2>
    <p class="help">0 means the children cannot stay safely at home; 10 means everyone is sure the children are safe enough for the case to close.
      Nobody sees anyone else's answer until the chair shows them all at once.</p>
    ${ctx.can("open_round") ? html`<${OpenRoundForm} ctx=${ctx} />` : null}
    ${rounds.length === 0 ? html`<p class="empty">No scaling round yet.</p>` : null}
    <ol class="round-list">
      ${rounds.map((round) => html`<${Round} key=${round.id} ctx=${ctx} round=${round} />`)}
    </ol>
    <${ScalingChart} ctx=${ctx} />
  </section>`;
}

function OpenRoundForm({ ctx }) {
  const statements = ctx.state.board.statements || [];
  const form = "round:new";
  return html`<form class="open-round" data-testid="open-round-form" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    <h3>Start a scaling round</h3>
    <div class="form-grid">
      <${SelectField} ctx=${ctx} form=${form} name="statement_id" label="What to scale" testid="round-statement" fallback=""
        options=${[["", "Overall: how safe are the children?"], ...statements.map((s, i) => [s.id, `Danger statement ${i + 1}: ${s.behaviour}`])]} />
      <${SelectField} ctx=${ctx} form=${form} name="label" label="When" testid="round-label" fallback="start"
        options=${[["start", "Start of the meeting"], ["end", "End of the meeting"], ["other", "During the meeting"]]} />
    </div>
    <${FormMessage} ctx=${ctx} form=${form} />
    <button type="submit" class="primary" data-testid="round-open">Start the round</button>
  </form>`;
}

function Round({ ctx, round }) {
  const { state, actions } = ctx;
  const answers = (state.board.answers || []).filter((a) => a.round_id === round.id);
  const headingId = `round-heading-${round.id}`;
  const me = state.me ? state.me.id : "";
  const mine = answers.find((a) => a.participant_id === me);
  const canAnswer = !round.revealed && ctx.can("answer_round");
  return html`<li ...${itemAttrs(ctx, "round", round.id, `round${round.revealed ? " is-revealed" : " is-open"}`)} data-testid="round"
    data-round-label=${round.label} data-revealed=${round.revealed ? "true" : "false"}>
    <article aria-labelledby=${headingId}>
      <${FocusNote} ctx=${ctx} entity="round" id=${round.id} />
      <h3 id=${headingId} data-testid="round-title">${roundTitle(ctx, round)}</h3>
      <${RestrictedBadge} item=${round} entity="round" />
      <p class="round-state" data-testid="round-state">${round.revealed ? "Everyone's answers are shown below." : "Open: answers stay hidden until the chair shows them."}</p>
      <p class="answered" data-testid="answered">
        ${answers.length
          ? html`Answered (${answers.length}): ${answers
              .map((a) => `${answerer(ctx, a).name}${a.entered_by_chair ? " (entered by the chair)" : ""}`)
              .join(", ")}`
          : "Nobody has answered yet."}
      </p>
      ${mine && !round.revealed && mine.value !== null
        ? html`<p class="my-answer" data-testid="my-answer">Your answer: <strong>${mine.value}</strong>${mine.reason ? ` because “${mine.reason}”` : ""}. You can change it until the chair shows everyone's answers.</p>`
        : null}
      ${canAnswer ? html`<${AnswerForm} ctx=${ctx} round=${round} answered=${Boolean(mine)} />` : null}
      ${state.ui.lostEdits
        .filter((l) => l.roundId === round.id)
        .map((kept) => html`<${KeptAnswer} key=${kept.id} ctx=${ctx} kept=${kept} />`)}
      ${!round.revealed && ctx.can("answer_for") ? html`<${AnswerForForm} ctx=${ctx} round=${round} />` : null}
      ${!round.revealed && ctx.can("reveal_round") ? html`<${StillToAnswer} ctx=${ctx} answers=${answers} />` : null}
      ${!round.revealed && ctx.can("reveal_round")
        ? html`<button type="button" class="primary" data-testid="round-reveal" aria-describedby=${headingId} onClick=${() => actions.send({ type: "reveal_round", round_id: round.id })}>
            Show everyone's answers
          </button>`
        : null}
      <${ItemTools} ctx=${ctx} entity="round" id=${round.id} item=${round} describedBy=${headingId} />
    </article>
  </li>`;
}

/** An answer still in its form when the chair showed everyone's: kept, with what happened, in calm words. */
function KeptAnswer({ ctx, kept }) {
  const chose = kept.value === "" ? "" : ` You had chosen ${kept.value}.`;
  return html`<${KeptWords} ctx=${ctx} kept=${kept}
    what=${`The chair showed everyone's answers before yours was sent, so it is not in the chart.${chose} If it matters, tell the chair.`} />`;
}

/** For the chair, before showing the answers: how many of the people here on a screen have answered. */
function StillToAnswer({ ctx, answers }) {
  const answerers = new Set(["chair", "professional", "family"]);
  const here = ctx.state.present.filter((p) => answerers.has(p.role)).map((p) => p.participant_id);
  if (!here.length) return null;
  const answered = here.filter((id) => answers.some((a) => a.participant_id === id)).length;
  const people = here.length === 1 ? "person" : "people";
  return html`<p class="help" data-testid="round-answered-here">
    ${answered} of the ${here.length} ${people} here on a screen ${answered === 1 ? "has" : "have"} answered.
  </p>`;
}

function AnswerForm({ ctx, round, answered }) {
  const form = `answer:${round.id}`;
  return html`<form class="answer-form" data-testid="answer-form" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    <${RadioGroup} ctx=${ctx} form=${form} name="value" legend=${ctx.family ? "Your answer, from 0 to 10" : "Your answer (0 to 10)"}
      options=${SCALE} testid="answer-scale" className=${ctx.family ? "scale-choices scale-large" : "scale-choices"} />
    ${ctx.family
      ? html`<p class="scale-ends help" data-testid="scale-ends"><span>0: the children cannot stay safely at home</span>
          <span>10: everyone is sure the children are safe</span></p>`
      : null}
    <${TextField} ctx=${ctx} form=${form} name="reason" label=${ctx.family ? "Why? In your own words" : "Your reason"} multiline rows="2" testid="answer-reason" />
    <${FormMessage} ctx=${ctx} form=${form} />
    <button type="submit" class="primary big" data-testid="answer-submit">${answered ? "Change my answer" : "Give my answer"}</button>
  </form>`;
}

function AnswerForForm({ ctx, round }) {
  const form = `answerfor:${round.id}`;
  const attendees = (ctx.state.board.attendees || []).filter((a) => !a.participant_id && a.status === "present");
  if (!attendees.length) return null;
  return html`<form class="answer-for-form" data-testid="answer-for-form" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    <h4>Enter the answer of someone without a device</h4>
    <${SelectField} ctx=${ctx} form=${form} name="attendee_id" label="Whose answer" testid="answer-for-person"
      options=${attendees.map((a) => [a.id, `${a.name}${a.role_label ? `, ${a.role_label}` : ""}`])} />
    <${RadioGroup} ctx=${ctx} form=${form} name="value" legend="Their answer (0 to 10)" options=${SCALE} testid="answer-for-scale" className="scale-choices" />
    <${TextField} ctx=${ctx} form=${form} name="reason" label="Their reason" multiline rows="2" testid="answer-for-reason" />
    <${FormMessage} ctx=${ctx} form=${form} />
    <button type="submit" data-testid="answer-for-submit">Enter their answer</button>
  </form>`;
}

/** Every revealed round, grouped by what was scaled; start and end side by side, one row per person. */
export function ScalingChart({ ctx }) {
  const revealed = (ctx.state.board.rounds || []).filter((r) => r.revealed);
  if (!revealed.length) return null;
  const groups = [];
  for (const round of revealed) {
    const key = round.statement_id || "";
    let group = groups.find((g) => g.key === key);
    if (!group) groups.push((group = { key, rounds: [] }));
    group.rounds.push(round);
  }
  const order = { start: 0, other: 1, end: 2 };
  return html`<section class="scaling-chart" aria-labelledby="chart-heading" data-testid="scaling-chart">
    <h3 id="chart-heading">Everyone's answers</h3>
    ${groups.map((group) => {
      const rounds = [...group.rounds].sort((a, b) => order[a.label] - order[b.label] || a.opened_at.localeCompare(b.opened_at));
      const title = group.key ? `${statementTitle(ctx, group.key).replace(/^d/, "D")}` : "Overall: how safe are the children?";
      const people = new Map();
      for (const round of rounds) {
        for (const answer of ctx.state.board.answers || []) {
          if (answer.round_id !== round.id || answer.value === null) continue;
          const who = answerer(ctx, answer);
          if (!people.has(who.key)) people.set(who.key, { ...who, cells: {} });
          people.get(who.key).cells[round.id] = answer;
        }
      }
      const rows = [...people.values()].sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
      return html`<div class="chart-group" key=${group.key || "overall"} data-testid="chart-group">
        <table class="chart-table">
          <caption>${title}</caption>
          <thead>
            <tr>
              <th scope="col">Person</th><th scope="col">Role</th>
              ${rounds.map((r) => html`<th scope="col" key=${r.id}>${ROUND_LABELS[r.label]} (0 to 10)</th>`)}
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (row) => html`<tr key=${row.key} data-testid="chart-row">
                <th scope="row">${row.name}</th>
                <td>${row.role}</td>
                ${rounds.map((r) => {
                  const answer = row.cells[r.id];
                  return html`<td key=${r.id} data-testid="chart-cell">${answer
                    ? html`<strong class="chart-value">${answer.value}</strong>${answer.reason ? html` <span class="chart-reason">“${answer.reason}”</span>` : null}${answer.entered_by_chair ? html` <span class="chart-entered">(entered by the chair)</span>` : null}`
                    : "—"}</td>`;
                })}
              </tr>`,
            )}
          </tbody>
        </table>
        <div class="scales" aria-hidden="true">
          ${rounds.map(
            (r) => html`<div class="scale-line" key=${r.id}>
              <span class="scale-name">${ROUND_LABELS[r.label]}</span>
              <div class="scale-track">
                ${SCALE.map(([n]) => html`<span class="scale-tick" key=${n} style=${{ left: `${Number(n) * 10}%` }}>${n}</span>`)}
                ${rows
                  .filter((row) => row.cells[r.id])
                  .map(
                    (row, i) => html`<span class="scale-marker" key=${row.key} title=${row.name}
                      style=${{ left: `${row.cells[r.id].value * 10}%`, top: `${1.6 + (i % 4) * 0.9}rem` }}>${initials(row.name)}</span>`,
                  )}
              </div>
            </div>`,
          )}
        </div>
      </div>`;
    })}
  </section>`;
}

function initials(name) {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part[0])
    .join("")
    .slice(0, 3)
    .toUpperCase();
}
