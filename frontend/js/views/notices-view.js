// Plain-words messages for the person at the screen (refused changes, problems). bind(handlers) / render(state).

import { h } from "../dom.js";

export class NoticesView {
  constructor(root) {
    this.root = root;
    this.handlers = {};
    this.signature = "";
  }

  bind(handlers) {
    this.handlers = handlers;
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-notice-id]");
      if (button && typeof this.handlers.onDismiss === "function") {
        this.handlers.onDismiss(Number(button.dataset.noticeId));
      }
    });
  }

  render(state) {
    const signature = JSON.stringify(state.notices);
    if (signature === this.signature) return;
    this.signature = signature;
    this.root.replaceChildren(
      ...state.notices.map((notice) =>
        h(
          "div",
          { class: `notice notice-${notice.tone || "info"}`, "data-testid": "notice", role: "alert" },
          h("p", {}, notice.text),
          h("button", { type: "button", "data-notice-id": notice.id, "aria-label": "Dismiss this message" }, "OK"),
        ),
      ),
    );
  }
}
