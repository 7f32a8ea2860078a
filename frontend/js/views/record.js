// The record: the chair finalises (after a confirmation listing what is missing, a list, not a gate); from then
// on every screen says the record is finalised and offers no editing. The chair and the professionals get "The
// record" (downloads, whether it is unchanged, and for the chair the retention and legal hold); the chair adds
// addenda, listed after the record. The family's tablet and the room screen say goodbye, then forget it all.

import { recordUrl } from "../api.js";
import { html } from "../ui.js";
import { CheckField, FormMessage, RestrictedBadge, TextField } from "./fields.js";

const dateTime = (iso) => {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const day = date.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return `${day} at ${time}`;
};

const dayOf = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ""
    : date.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
};

/** The chair, before finalising: may finalise at all. */
function mayFinalise(ctx) {
  return ctx.can("finalise");
}

/** The chair, after finalising: may add an addendum (the one op a finalised meeting takes). */
function mayAddAddendum(ctx) {
  const scope = ctx.state.permissions.add_addendum;
  return Boolean(ctx.state.board.read_only) && Boolean(scope) && scope !== "none";
}

// ---- before: finalising ------------------------------------------------------------------------------------

/** The button in the chair's controls; the same confirmation opens from the close phase's own section. */
export function FinaliseButton({ ctx }) {
  if (!mayFinalise(ctx)) return null;
  const confirming = ctx.state.record.confirming;
  return html`<button type="button" class=${ctx.area === "close" ? "primary" : ""} data-testid="finalise-open"
    aria-expanded=${confirming ? "true" : "false"} aria-controls=${confirming || ctx.area === "close" ? "finalise-area" : undefined}
    onClick=${ctx.actions.finaliseAsk}>Finalise the record…</button>`;
}

const MISSING_LINK = {
  decision: "Record the decision",
  safety_goal: "Write the safety goal",
  owner: "Name who will do it",
  plain_words: "Change the words",
};

/** In the close phase, and wherever the chair opened it: what finalising means, and the confirmation. */
export function FinaliseArea({ ctx }) {
  const { state, actions } = ctx;
  if (!mayFinalise(ctx)) return null;
  const record = state.record;
  if (ctx.area !== "close" && !record.confirming) return null;
  if (!record.confirming) {
    return html`<section class="finalise-area" id="finalise-area" aria-labelledby="finalise-intro-heading" data-testid="finalise-area">
      <h2 id="finalise-intro-heading">Finish the meeting: finalise the record</h2>
      <p>When everyone has heard the plan and the decision, finalise the record. It is then locked and shared:
        nobody can change the map or the plan, a correction is added as an addendum, and the family's tablet and
        the room screen close a short while after.</p>
      <button type="button" class="primary" data-testid="finalise-open-close" onClick=${actions.finaliseAsk}>Finalise the record…</button>
    </section>`;
  }
  const missing = record.missing || [];
  return html`<section class="finalise-area is-confirming" id="finalise-area" aria-labelledby="finalise-heading" data-testid="finalise-confirm">
    <h2 id="finalise-heading" tabindex="-1">Finalise the record?</h2>
    <p>Once finalised, nobody can change the map, the plan or the decision. A correction or a later fact is added
      as an addendum, after the record. The family's tablet and the room screen close a short while after.</p>
    <div role="status" aria-live="polite" data-testid="finalise-check">
      ${record.checking ? html`<p>Checking what the record may be missing…</p>` : null}
      ${record.checkMessage ? html`<p class="form-error">${record.checkMessage}</p>` : null}
      ${!record.checking && record.missing && missing.length === 0
        ? html`<p class="all-there" data-testid="finalise-nothing-missing">Nothing is missing: every child has a decision, every
            danger statement has a safety goal, every next step names someone, and no words are flagged as hard for the family.</p>`
        : null}
      ${!record.checking && missing.length
        ? html`<p data-testid="finalise-missing-count">${missing.length === 1
            ? "Before you finalise, you may want to look at this:"
            : `Before you finalise, you may want to look at these ${missing.length} things:`}</p>`
        : null}
    </div>
    ${!record.checking && missing.length
      ? html`<ul class="missing-list" data-testid="finalise-missing">
          ${missing.map((item, index) => {
            const id = `missing-${index}`;
            return html`<li key=${`${item.what}:${item.entity}:${item.item_id}:${index}`} data-testid="missing-item" data-what=${item.what}>
              <span id=${id}>${item.message}</span>${" "}
              <button type="button" class="link" aria-describedby=${id} data-testid="missing-go"
                onClick=${() => actions.goToItem(item.what, item.entity, item.item_id)}>${MISSING_LINK[item.what] || "Go to it"}</button>
            </li>`;
          })}
        </ul>
        <p class="help">This is a list, not a rule: you can finalise all the same.</p>`
      : null}
    <${FormMessage} ctx=${ctx} form="finalise:" />
    <div class="card-actions">
      <button type="button" class="danger" data-testid="finalise-now" disabled=${record.finalising} onClick=${actions.finaliseNow}>
        ${record.finalising ? "Finalising…" : "Finalise now"}
      </button>
      <button type="button" data-testid="finalise-cancel" onClick=${actions.finaliseCancel}>Go back</button>
    </div>
  </section>`;
}

// ---- after: finalised ------------------------------------------------------------------------------------------

/** Every screen that still shows the board, once finalised. The live region is there from the start, so the
 * moment of finalising is announced politely. */
export function FinalisedBanner({ ctx }) {
  const board = ctx.state.board;
  const finalised = board.finalised;
  const when = finalised ? dateTime(finalised.at) : "";
  const who = finalised ? ctx.nameOf(finalised.by) : "";
  return html`<div class="finalised-status" role="status" aria-live="polite">
    ${board.read_only
      ? html`<section class="finalised-banner" aria-labelledby="finalised-heading" data-testid="finalised-banner">
          <h2 id="finalised-heading" tabindex="-1">This record is finalised</h2>
          <p>${when ? `Finalised on ${when}${who ? ` by ${who}` : ""}. ` : ""}It can be read, but no longer changed.
            ${mayAddAddendum(ctx)
              ? " A correction or a later fact goes in an addendum, after the record."
              : " A correction is added by the chair as an addendum, after the record."}</p>
        </section>`
      : null}
  </div>`;
}

/** The chair and the professionals: the record to download, whether it is unchanged, and (chair) how long it
 * is kept. */
export function RecordPanel({ ctx }) {
  const { state } = ctx;
  if (!state.board.read_only || !(ctx.role === "chair" || ctx.role === "professional") || !state.meeting) return null;
  const id = state.meeting.id;
  const addenda = (state.board.addenda || []).length;
  return html`<section class="record-panel part" aria-labelledby="record-heading" data-testid="record-panel">
    <h2 id="record-heading">The record</h2>
    <section aria-labelledby="record-downloads-heading">
      <h3 id="record-downloads-heading">Download it</h3>
      <ul class="download-list">
        <li><a class="button-link" href=${recordUrl(id, "record.pdf")} download data-testid="download-pdf">The record (PDF)</a>
          <span class="help"> to print or file; holds everything, items kept from the family marked.</span></li>
        <li><a class="button-link" href=${recordUrl(id, "record.pdf", "family")} download data-testid="download-family-pdf">Family's copy (PDF)</a>
          <span class="help"> what the family may see, to print or send to them.</span></li>
        <li><a class="button-link" href=${recordUrl(id, "record.json")} download data-testid="download-json">For the case system (JSON)</a></li>
        <li><a class="button-link" href=${recordUrl(id, "record.md")} download data-testid="download-md">As text to paste (Markdown)</a></li>
        <li><a class="button-link" href=${recordUrl(id, "audit.csv")} download data-testid="download-audit">Who did what (spreadsheet, CSV)</a></li>
      </ul>
      ${addenda ? html`<p><a href="#addenda-heading">${addenda === 1 ? "1 addendum" : `${addenda} addenda`} after the record</a></p>` : null}
    </section>
    <${Verification} ctx=${ctx} />
    ${ctx.role === "chair" ? html`<${Retention} ctx=${ctx} />` : null}
  </section>`;
}

function Verification({ ctx }) {
  const record = ctx.state.record;
  const result = record.verification;
  const sound = result && result.holds && result.record_matches_log;
  return html`<section aria-labelledby="record-check-heading" data-testid="record-check">
    <h3 id="record-check-heading">Is it unchanged?</h3>
    <div role="status" aria-live="polite" data-testid="record-check-result" data-holds=${result ? String(Boolean(sound)) : undefined}>
      ${record.verifying && !result ? html`<p>Checking the record…</p>` : null}
      ${record.verifyMessage ? html`<p class="form-error">${record.verifyMessage}</p>` : null}
      ${result && sound
        ? html`<p class="record-sound">The record has not been changed since it was written: all ${result.ops} changes
            to this meeting check out${record.checkedAt ? ` (checked at ${new Date(record.checkedAt).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })})` : ""}.</p>`
        : null}
      ${result && !result.holds
        ? html`<p class="record-broken"><strong>Warning: the record has been changed since it was written.</strong>
            ${result.problem ? ` ${result.problem}` : ""}${result.first_broken_seq ? ` The first change that does not check out is number ${result.first_broken_seq}.` : ""}
            Tell your records manager before you use it.</p>`
        : null}
      ${result && result.holds && !result.record_matches_log
        ? html`<p class="record-broken"><strong>Warning: the meeting as stored differs from its history of changes.</strong>
            Tell your records manager before you use it.</p>`
        : null}
    </div>
    ${result && result.last_hash
      ? html`<p class="fingerprint">Fingerprint (the record's hash, printed on every page of the PDF):
          <code data-testid="record-hash">${result.last_hash}</code></p>`
      : null}
    <button type="button" class="quiet" data-testid="record-check-again" disabled=${record.verifying} onClick=${ctx.actions.checkRecord}>Check again</button>
  </section>`;
}

function Retention({ ctx }) {
  const record = ctx.state.record;
  const retention = record.retention;
  const hold = Boolean(retention && retention.legal_hold);
  let words = "Reading how long the record is kept…";
  if (retention === false) words = "";
  else if (retention) {
    const until = retention.purge_after ? dayOf(retention.purge_after) : "";
    const period = retention.retention_days ? ` (this service keeps meetings for ${retention.retention_days} days)` : "";
    if (hold) words = `Under legal hold: kept until the hold is lifted${until ? `, even past ${until}` : ""}.`;
    else if (until) words = `Kept until ${until}${period}, then deleted.`;
    else words = "This service sets no retention period: the record is kept until it is deleted by hand.";
  }
  return html`<section aria-labelledby="record-retention-heading" data-testid="record-retention">
    <h3 id="record-retention-heading">How long it is kept</h3>
    <p data-testid="retention-words">${words}</p>
    ${retention
      ? html`<div class="field check">
          <input type="checkbox" id="legal-hold" data-testid="legal-hold" checked=${record.holdBusy ? Boolean(record.holdWanted) : hold}
            aria-busy=${record.holdBusy ? "true" : undefined}
            aria-describedby="legal-hold-help" onChange=${(event) => ctx.actions.setHold(event.currentTarget.checked)} />
          <label for="legal-hold">Legal hold</label>
          <p class="help" id="legal-hold-help">Keep this record past its retention date, for example while a court case or a complaint is open. Placing or lifting it is in the record of who did what.</p>
        </div>`
      : null}
    <p class="people-status" role="status" aria-live="polite" data-testid="hold-status">${record.holdMessage || ""}</p>
  </section>`;
}

/** After the record: each addendum with its reason, who added it and when; the chair's form to add one. */
export function AddendaPart({ ctx }) {
  const board = ctx.state.board;
  if (!board.read_only) return null;
  const addenda = board.addenda || [];
  const canAdd = mayAddAddendum(ctx);
  if (!addenda.length && !canAdd) return null;
  return html`<section class="part addenda-part" aria-labelledby="addenda-heading" data-testid="addenda">
    <h2 id="addenda-heading" tabindex="-1">Addenda: added after the record was finalised</h2>
    <p class="help">The record above is exactly as it was finalised. Each addendum is a correction or a later fact, with its reason.</p>
    ${addenda.length === 0 ? html`<p class="empty">No addenda.</p>` : null}
    <ol class="addenda-list" aria-live="polite">
      ${addenda.map(
        (a, index) => html`<li key=${a.id} class=${`addendum${a.restricted ? " is-restricted" : ""}`} data-testid="addendum" data-item=${`addendum:${a.id}`}>
          <h3>Addendum ${index + 1}</h3>
          <p class="addendum-text" data-testid="addendum-text">${a.text}</p>
          <p class="addendum-reason" data-testid="addendum-reason">Why it was added: ${a.reason}</p>
          <p class="byline">Added by ${ctx.nameOf(a.author_id)}${a.at ? ` on ${dateTime(a.at)}` : ""}</p>
          ${a.restricted ? html`<p class="badge badge-private" data-testid="private-badge">Kept from the family's copy</p>` : null}
        </li>`,
      )}
    </ol>
    ${canAdd ? html`<${AddendumForm} ctx=${ctx} />` : null}
  </section>`;
}

function AddendumForm({ ctx }) {
  const form = "addendum:new";
  return html`<form class="addendum-form" data-testid="addendum-form" aria-labelledby="addendum-form-heading" onSubmit=${(event) => {
    event.preventDefault();
    ctx.actions.submit(form);
  }}>
    <h3 id="addendum-form-heading">Add an addendum</h3>
    <${TextField} ctx=${ctx} form=${form} name="text" label="The correction, or the later fact" multiline rows="3" testid="addendum-text-input" required=${true} />
    <${TextField} ctx=${ctx} form=${form} name="reason" label="Why it is added now" multiline rows="2" testid="addendum-reason-input" required=${true} />
    <${CheckField} ctx=${ctx} form=${form} name="restricted" label="Keep from the family's copy" testid="addendum-restricted"
      help="The family's copy of the record, and the family's screen, will not show it." />
    <${FormMessage} ctx=${ctx} form=${form} />
    <button type="submit" class="primary" data-testid="addendum-save">Add the addendum</button>
  </form>`;
}

// ---- the family's tablet and the room screen ------------------------------------------------------------------

/** A finalised meeting on a shared screen: goodbye, the family's copy offered, then everything forgotten. */
export function FinishedScreen({ ctx }) {
  const { state } = ctx;
  const id = state.meeting ? state.meeting.id : "";
  return html`<main class="finished-screen" data-testid="finished-screen">
    <div class="finished-inner">
      <h1 tabindex="-1">The meeting is finished. Thank you.</h1>
      <p>This record is finalised: nothing on it can change now.</p>
      <p role="status" aria-live="polite" data-testid="finished-forget">This screen will forget the meeting shortly, so that nothing of it stays here.</p>
      ${ctx.family && id
        ? html`<section class="family-copy" aria-labelledby="family-copy-heading" data-testid="family-copy">
            <h2 id="family-copy-heading">Your copy of the record</h2>
            <p class="family-copy-note" id="family-copy-note" data-testid="family-copy-note">If this is a shared tablet, ask the chair for a printed copy instead.</p>
            <a class="button-link big" href=${recordUrl(id, "record.pdf")} download aria-describedby="family-copy-note"
              data-testid="family-copy-pdf">Download your copy (PDF)</a>
          </section>`
        : null}
    </div>
  </main>`;
}
