// Meeting title, who you are, the connection in words, who is here, and "Leave this meeting".
// Exposes only bind(handlers) and render(state).

import { h } from "../dom.js";
import { roleLabel } from "../kinds.js";

const STATUS_WORDS = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting... your changes are kept and will be sent",
  offline: "Offline: your changes are kept and will be sent when the connection is back",
  ended: "Session ended",
  stopped: "Not connected",
};

export class HeaderView {
  constructor(root) {
    this.root = root;
    this.title = root.querySelector("[data-testid=meeting-title]");
    this.you = root.querySelector("[data-testid=you]");
    this.status = root.querySelector("[data-testid=connection-status]");
    this.waiting = root.querySelector("[data-testid=pending-count]");
    this.presence = root.querySelector("[data-testid=presence]");
    this.leaveButton = root.querySelector("[data-testid=leave-button]");
    this.leaveConfirm = root.querySelector("[data-testid=leave-confirm]");
    this.leaveWarning = root.querySelector("[data-testid=leave-warning]");
    this.handlers = {};
  }

  bind(handlers) {
    this.handlers = handlers;
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      const name = { "leave-ask": "onLeaveAsk", "leave-confirm": "onLeaveConfirm", "leave-cancel": "onLeaveCancel" }[
        button.dataset.action
      ];
      if (name && typeof this.handlers[name] === "function") this.handlers[name]();
    });
  }

  render(state) {
    if (state.meeting) {
      this.title.textContent = state.meeting.title;
      document.title = `${state.meeting.title} · SoS Board`;
    }
    if (state.me) {
      const agency = state.me.agency ? `, ${state.me.agency}` : "";
      this.you.textContent = `You: ${state.me.display_name} (${roleLabel(state.me.role)}${agency})`;
    }

    const connection = state.connection;
    this.status.dataset.state = connection.state;
    const words = STATUS_WORDS[connection.state] || connection.state;
    if (this.status.textContent !== words) this.status.textContent = words;
    const pending = connection.pending || 0;
    this.waiting.hidden = pending === 0 || connection.state === "ended";
    this.waiting.textContent =
      pending === 1 ? "1 change is waiting to be sent." : `${pending} changes are waiting to be sent.`;

    const items = state.present.map((person) =>
      h(
        "li",
        { "data-participant-id": person.participant_id },
        h("span", { class: "person-name" }, person.display_name),
        " ",
        h(
          "span",
          { class: "person-role" },
          `(${roleLabel(person.role)}${person.agency ? `, ${person.agency}` : ""}${
            state.me && person.participant_id === state.me.id ? ", you" : ""
          })`,
        ),
      ),
    );
    const signature = JSON.stringify(state.present);
    if (this.presence.dataset.signature !== signature) {
      this.presence.dataset.signature = signature;
      this.presence.replaceChildren(...items);
    }

    this.leaveButton.hidden = state.ui.confirmingLeave;
    this.leaveConfirm.hidden = !state.ui.confirmingLeave;
    this.leaveWarning.textContent =
      pending > 0
        ? `${pending === 1 ? "1 change has" : `${pending} changes have`} not been sent yet and will be lost.`
        : "";
  }
}
