// The chair's console: the buttons in the header (People and joining, Keyboard shortcuts), the drawer that holds
// the room code, the lobby and the people (closed by default, beside the board, never pushing it down), and the
// list of keyboard shortcuts (js/shortcuts.js).

import { html } from "../ui.js";
import { SHORTCUTS } from "../shortcuts.js";
import { LobbyPanel, RoomCodePanel } from "./lobby.js";
import { PeopleSection } from "./people.js";

export function ConsoleButtons({ ctx }) {
  const { state, actions } = ctx;
  const waiting = state.room.lobby.length;
  return html`<div class="console-buttons">
    <button type="button" class=${`console-button${waiting ? " has-waiting" : ""}`} data-testid="people-toggle"
      aria-expanded=${state.console.drawer ? "true" : "false"} aria-controls="people-drawer" onClick=${() => actions.drawer()}>
      People and joining${waiting ? html` <span class="waiting-count" data-testid="waiting-count">(${waiting} waiting)</span>` : null}
    </button>
    <button type="button" class="console-button" data-testid="shortcuts-toggle" aria-expanded=${state.console.help ? "true" : "false"}
      aria-controls="shortcuts-help" onClick=${() => actions.shortcutsHelp()}>Keyboard shortcuts</button>
  </div>`;
}

export function PeopleDrawer({ ctx }) {
  const { state, actions } = ctx;
  if (!state.people.enabled) return null;
  const open = state.console.drawer;
  // A new element each time it opens: it starts at its top, whatever was scrolled to last time.
  return html`<aside key=${open ? "open" : "closed"} id="people-drawer" class="drawer" aria-labelledby="drawer-heading"
    data-testid="people-panel" hidden=${!open}>
    ${open
      ? html`<div class="drawer-head">
            <h2 id="drawer-heading" tabindex="-1">People and joining</h2>
            <button type="button" data-testid="drawer-close" onClick=${() => actions.drawer(false)}>Close</button>
          </div>
          <${RoomCodePanel} ctx=${ctx} />
          <${LobbyPanel} ctx=${ctx} />
          <${PeopleSection} ctx=${ctx} />`
      : null}
  </aside>`;
}

export function ShortcutsHelp({ ctx }) {
  const { state, actions } = ctx;
  if (!state.console.help) return null;
  return html`<section id="shortcuts-help" class="shortcuts-help" aria-labelledby="shortcuts-heading" data-testid="shortcuts-help">
    <h2 id="shortcuts-heading" tabindex="-1">Keyboard shortcuts</h2>
    <p class="help">Press the key anywhere on the board, except while writing in a box. Esc closes a panel.</p>
    <table class="shortcut-table">
      <caption class="visually-hidden">Keys and what they do</caption>
      <thead><tr><th scope="col">Key</th><th scope="col">What it does</th></tr></thead>
      <tbody>
        ${SHORTCUTS.map(
          (s) => html`<tr key=${s.key} data-testid="shortcut">
            <th scope="row"><kbd>${s.key === "?" ? "?" : s.key.toUpperCase()}</kbd></th>
            <td>${s.words}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    <div class="field check">
      <input type="checkbox" id="shortcuts-on" data-testid="shortcuts-on" checked=${state.console.shortcutsOn}
        onChange=${(event) => actions.shortcutsOn(event.currentTarget.checked)} />
      <label for="shortcuts-on">Use these shortcuts (turn them off if they get in your way; ? still shows this list)</label>
    </div>
    <button type="button" data-testid="shortcuts-close" onClick=${() => actions.shortcutsHelp(false)}>Close</button>
  </section>`;
}
