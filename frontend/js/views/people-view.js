// Chair only: add people, hand out their invite links, revoke or replace links. bind(handlers) / render(state).

import { h } from "../dom.js";
import { roleLabel } from "../kinds.js";

const INVITE_WORDS = {
  active: "Link not used yet",
  used: "Joined with their link",
  revoked: "Link revoked",
};

const ROLE_CHOICES = ["professional", "family", "observer", "projector", "chair"];

export class PeopleView {
  constructor(root) {
    this.root = root;
    this.handlers = {};
    this.resetToken = null;
    this.listSignature = "";
    this._build();
  }

  _build() {
    const roleSelect = h("select", { id: "person-role", name: "role", "data-testid": "person-role" });
    for (const role of ROLE_CHOICES) {
      const words = role === "projector" ? "Room screen (projector, read only)" : roleLabel(role);
      roleSelect.append(h("option", { value: role }, role === "observer" ? "Observer (read only)" : words));
    }
    this.form = h(
      "form",
      { class: "person-form", "data-testid": "add-person-form" },
      h("label", { for: "person-name" }, "Name"),
      h("input", {
        id: "person-name",
        name: "display_name",
        required: true,
        maxlength: 80,
        autocomplete: "off",
        "data-testid": "person-name",
      }),
      h("label", { for: "person-role" }, "Role"),
      roleSelect,
      h("label", { for: "person-agency" }, "Organisation (optional)"),
      h("input", { id: "person-agency", name: "agency", maxlength: 120, autocomplete: "off", "data-testid": "person-agency" }),
      h("button", { type: "submit", class: "primary", "data-testid": "person-submit" }, "Add and make a link"),
    );
    this.linkBox = h("div", { class: "new-link", "data-testid": "new-link", hidden: true });
    this.linkFor = h("p", { class: "new-link-for" });
    this.linkInput = h("input", {
      id: "invite-link",
      readonly: true,
      "data-testid": "invite-link",
      "aria-describedby": "invite-link-help",
    });
    this.copyStatus = h("p", { class: "copy-status", "data-testid": "copy-status", role: "status", "aria-live": "polite" });
    this.linkBox.append(
      this.linkFor,
      h("label", { for: "invite-link" }, "Their link"),
      this.linkInput,
      h(
        "p",
        { id: "invite-link-help", class: "help" },
        "Send it to this person only: anyone with the link can join as them. You can revoke it at any time.",
      ),
      h("button", { type: "button", "data-action": "copy", "data-testid": "copy-link" }, "Copy link"),
      this.copyStatus,
    );
    this.status = h("p", { class: "people-status", role: "status", "aria-live": "polite" });
    this.list = h("ul", { class: "people-list", "data-testid": "people-list" });
    this.body = this.root.querySelector(".people-body");
    this.body.append(this.form, this.linkBox, this.status, h("h3", {}, "Invited"), this.list);
  }

  bind(handlers) {
    this.handlers = handlers;
    const call = (name, ...args) => typeof this.handlers[name] === "function" && this.handlers[name](...args);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(this.form);
      const agency = String(data.get("agency") || "").trim();
      call("onAddPerson", {
        display_name: String(data.get("display_name") || "").trim(),
        role: String(data.get("role")),
        agency: agency || null,
      });
    });
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      const action = button.dataset.action;
      if (action === "copy") {
        call("onCopy", this.linkInput.value, this.linkInput);
        return;
      }
      const pid = button.closest("[data-participant-id]")?.dataset.participantId;
      if (action === "revoke") call("onRevoke", pid);
      if (action === "new-link") call("onNewLink", pid);
    });
  }

  render(state) {
    const people = state.people;
    this.root.hidden = !people.enabled;
    if (!people.enabled) return;
    if (people.resetToken !== this.resetToken) {
      this.resetToken = people.resetToken;
      this.form.reset();
    }
    for (const el of this.form.elements) el.disabled = people.busy;
    this.status.textContent = people.message || "";

    this.linkBox.hidden = !people.newLink;
    if (people.newLink) {
      this.linkFor.textContent = `Link for ${people.newLink.name}`;
      if (this.linkInput.value !== people.newLink.url) this.linkInput.value = people.newLink.url;
      this.copyStatus.textContent = people.copyStatus || "";
    }

    const signature = JSON.stringify([people.list, people.busy, state.me && state.me.id]);
    if (signature === this.listSignature) return;
    this.listSignature = signature;
    this.list.replaceChildren(
      ...people.list.map(({ participant, invite }) => {
        const status = invite ? invite.status : null;
        const isMe = state.me && participant.id === state.me.id;
        const actions = h("div", { class: "card-actions" });
        if (!isMe) {
          if (status === "active" || status === "used") {
            actions.append(h("button", { type: "button", "data-action": "revoke", disabled: people.busy }, "Revoke link"));
          }
          actions.append(h("button", { type: "button", "data-action": "new-link", disabled: people.busy }, "New link"));
        }
        return h(
          "li",
          { "data-participant-id": participant.id, "data-testid": "person", "data-invite": status || "none" },
          h("span", { class: "person-name" }, participant.display_name),
          " ",
          h(
            "span",
            { class: "person-role" },
            `(${roleLabel(participant.role)}${participant.agency ? `, ${participant.agency}` : ""}${isMe ? ", you" : ""})`,
          ),
          h("span", { class: "invite-status" }, isMe ? "" : INVITE_WORDS[status] || ""),
          actions,
        );
      }),
    );
  }
}
