// The three columns, their cards and the forms on them. Exposes only bind(handlers) and render(state).
//
// Cards are keyed by id and only rebuilt when what they show changes, so a remote edit elsewhere never
// disturbs the box someone is typing in; focus and the caret are put back if a rebuilt card held them.

import { h } from "../dom.js";
import { CARD_TEXT_MAX, COLUMNS, columnById, kindLabel } from "../kinds.js";

const COUNTER_FROM = CARD_TEXT_MAX - 200;

function counterText(length) {
  if (length < COUNTER_FROM) return "";
  const left = CARD_TEXT_MAX - length;
  if (left <= 0) return `That is the limit of ${CARD_TEXT_MAX} characters.`;
  return `${left} ${left === 1 ? "character" : "characters"} left`;
}

function kindSelect(id, kinds, selected, attrs = {}) {
  const select = h("select", { id, name: "kind", ...attrs });
  for (const kind of kinds) select.append(h("option", { value: kind }, kindLabel(kind)));
  select.value = kinds.includes(selected) ? selected : kinds[0];
  return select;
}

export class BoardView {
  constructor(root) {
    this.root = root;
    this.handlers = {};
    this.columnEls = new Map(); // column id -> {section, list, empty, form, select, textarea, counter, button}
    this.cardEls = new Map(); // key -> li
    this.lastFocusToken = null;
    this.built = false;
    this.readOnlyBanner = h(
      "p",
      { class: "read-only-banner", "data-testid": "read-only-banner", hidden: true },
      "This map has been finalised. It can be read but no longer changed.",
    );
  }

  bind(handlers) {
    this.handlers = handlers;
    const call = (name, ...args) => {
      const fn = this.handlers[name];
      if (typeof fn === "function") fn(...args);
    };
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button || !this.root.contains(button)) return;
      const cardEl = button.closest("[data-key]");
      const cardId = cardEl ? cardEl.dataset.cardId : undefined;
      const action = button.dataset.action;
      if (action === "move-to") {
        const select = cardEl.querySelector("select[name=column]");
        call("onMove", cardId, { column: select.value });
        return;
      }
      const map = {
        edit: "onEditStart",
        "edit-cancel": "onEditCancel",
        move: "onMoveStart",
        "move-up": "onMoveUp",
        "move-down": "onMoveDown",
        "move-done": "onMoveDone",
        delete: "onDeleteAsk",
        "delete-confirm": "onDeleteConfirm",
        "delete-cancel": "onDeleteCancel",
      };
      if (map[action]) {
        event.preventDefault();
        call(map[action], cardId);
      }
    });
    this.root.addEventListener("input", (event) => {
      const target = event.target;
      const addForm = target.closest("form[data-add-column]");
      if (addForm) {
        call("onAddDraft", addForm.dataset.addColumn, { [target.name]: target.value });
        return;
      }
      const editForm = target.closest("form[data-edit-card]");
      if (editForm) call("onEditDraft", editForm.dataset.editCard, { [target.name]: target.value });
    });
    this.root.addEventListener("change", (event) => {
      const target = event.target;
      if (target.tagName !== "SELECT" || target.name !== "kind") return;
      const addForm = target.closest("form[data-add-column]");
      if (addForm) call("onAddDraft", addForm.dataset.addColumn, { kind: target.value });
      const editForm = target.closest("form[data-edit-card]");
      if (editForm) call("onEditDraft", editForm.dataset.editCard, { kind: target.value });
    });
    this.root.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const cardEl = event.target.closest("[data-key]");
      if (!cardEl || !cardEl.dataset.cardId) return;
      if (event.target.closest("form[data-edit-card]")) call("onEditCancel", cardEl.dataset.cardId);
      else if (cardEl.querySelector("[data-testid=move-panel]")) call("onMoveDone", cardEl.dataset.cardId);
      else if (cardEl.querySelector("[data-testid=delete-confirm]")) call("onDeleteCancel", cardEl.dataset.cardId);
    });
    this.root.addEventListener("submit", (event) => {
      const form = event.target;
      event.preventDefault();
      if (form.dataset.addColumn) call("onAdd", form.dataset.addColumn);
      else if (form.dataset.editCard) call("onEditSave", form.dataset.editCard);
    });
  }

  _build() {
    this.root.replaceChildren(this.readOnlyBanner);
    const grid = h("div", { class: "columns" });
    for (const column of COLUMNS) {
      const headingId = `heading-${column.id}`;
      const list = h("ol", { class: "cards", "data-testid": `cards-${column.id}`, "aria-labelledby": headingId });
      const empty = h("p", { class: "empty" }, "Nothing here yet.");
      const select = kindSelect(`add-kind-${column.id}`, column.kinds, column.kinds[0], {
        "data-testid": `add-kind-${column.id}`,
      });
      const textarea = h("textarea", {
        id: `add-text-${column.id}`,
        name: "text",
        rows: 3,
        maxlength: CARD_TEXT_MAX,
        "data-testid": `add-text-${column.id}`,
        "aria-describedby": `add-counter-${column.id}`,
      });
      const counter = h("p", { class: "counter", id: `add-counter-${column.id}`, "aria-live": "polite" });
      const button = h("button", { type: "submit", class: "primary", "data-testid": `add-submit-${column.id}` }, "Add card");
      const form = h(
        "form",
        { class: "add-card", "data-add-column": column.id, "data-testid": `add-card-${column.id}` },
        h("h3", { class: "add-heading" }, "Add a card"),
        h("label", { for: `add-kind-${column.id}` }, "Type of card"),
        select,
        h("label", { for: `add-text-${column.id}` }, "Words on the card"),
        textarea,
        counter,
        button,
      );
      const section = h(
        "section",
        { class: `column column-${column.id}`, "data-testid": `column-${column.id}`, "data-column": column.id },
        h("h2", { id: headingId, class: "column-question" }, column.question),
        h("p", { class: "column-hint" }, column.hint),
        list,
        empty,
        form,
      );
      grid.append(section);
      this.columnEls.set(column.id, { section, list, empty, form, select, textarea, counter, button });
    }
    this.root.append(grid);
    this.built = true;
  }

  render(state) {
    if (!this.built) this._build();
    const focus = this._captureFocus();
    this.readOnlyBanner.hidden = !state.readOnly;
    const canAdd = !state.readOnly && state.permissions.add_card !== "none";

    const seen = new Set();
    for (const column of COLUMNS) {
      const els = this.columnEls.get(column.id);
      const entries = state.display[column.id] || [];
      const nodes = entries.map((entry, index) => {
        const vm = this._cardModel(state, entry, index, entries.length);
        seen.add(vm.key);
        return this._cardElement(vm);
      });
      this._reorder(els.list, nodes);
      els.empty.hidden = entries.length > 0;

      els.form.hidden = !canAdd;
      const draft = state.ui.addDrafts[column.id] || { text: "", kind: column.kinds[0] };
      if (els.textarea.value !== draft.text) els.textarea.value = draft.text;
      if (els.select.value !== draft.kind) els.select.value = draft.kind;
      els.counter.textContent = counterText(draft.text.length);
      els.button.disabled = draft.text.trim().length === 0;
    }
    for (const [key, el] of this.cardEls) {
      if (!seen.has(key)) {
        el.remove();
        this.cardEls.delete(key);
      }
    }
    this._restoreFocus(focus, state.ui.focusRequest);
  }

  // ---- one card -----------------------------------------------------------------------------------------

  _cardModel(state, entry, index, count) {
    const { card, pending } = entry;
    const mine = state.me && card.author_id === state.me.id;
    const allowed = (opType) => {
      if (state.readOnly || pending) return false;
      const scope = state.permissions[opType];
      return scope === "any" || (scope === "own" && mine);
    };
    const editing = state.ui.editing[card.id];
    let mode = "view";
    if (editing && !pending) mode = "edit";
    else if (state.ui.moving === card.id && allowed("move_card")) mode = "move";
    else if (state.ui.confirmingDelete === card.id && allowed("delete_card")) mode = "delete";
    const author = state.names.get(card.author_id);
    return {
      key: card.id,
      card,
      pending,
      index,
      count,
      mode,
      mine,
      authorName: author ? author.display_name : "",
      canEdit: allowed("edit_card"),
      canMove: allowed("move_card"),
      canDelete: allowed("delete_card"),
      editing: editing || null,
    };
  }

  _signature(vm) {
    const { card } = vm;
    return JSON.stringify([
      card.text,
      card.kind,
      card.column,
      card.version,
      vm.pending,
      vm.mode,
      vm.mine,
      vm.authorName,
      vm.canEdit,
      vm.canMove,
      vm.canDelete,
      vm.mode === "move" ? [vm.index, vm.count] : null,
      vm.mode === "edit" ? [vm.editing.conflict, vm.editing.note] : null,
    ]);
  }

  _cardElement(vm) {
    const signature = this._signature(vm);
    let el = this.cardEls.get(vm.key);
    if (el && el.dataset.signature === signature) {
      if (vm.mode === "edit") this._patchEdit(el, vm);
      return el;
    }
    const fresh = this._buildCard(vm);
    fresh.dataset.signature = signature;
    if (el) el.replaceWith(fresh);
    this.cardEls.set(vm.key, fresh);
    el = fresh;
    return el;
  }

  _buildCard(vm) {
    const { card, pending } = vm;
    const textId = `card-text-${vm.key}`;
    const li = h("li", {
      class: `card kind-${card.kind}${pending ? " is-pending" : ""}${vm.mode !== "view" ? " is-active" : ""}`,
      "data-testid": "card",
      "data-key": vm.key,
      "data-card-id": pending === "add" ? null : card.id,
      "data-kind": card.kind,
      "data-version": card.version,
      "data-pending": pending || null,
      "data-mine": vm.mine ? "true" : null,
    });
    li.append(
      h("p", { class: "card-kind", "data-testid": "card-kind" }, kindLabel(card.kind)),
      h("p", { class: "card-text", id: textId, "data-testid": "card-text" }, card.text),
    );
    if (vm.authorName) {
      li.append(h("p", { class: "card-author", "data-testid": "card-author" }, vm.mine ? `${vm.authorName} (you)` : vm.authorName));
    }
    if (pending) {
      const words = {
        add: "Waiting to be sent",
        edit: "Your change is waiting to be sent",
        move: "Your move is waiting to be sent",
        delete: "Waiting to be deleted",
      };
      li.append(h("p", { class: "card-pending", "data-testid": "card-pending" }, words[pending]));
      return li;
    }
    if (vm.mode === "edit") li.append(this._editForm(vm));
    else if (vm.mode === "move") li.append(this._movePanel(vm, textId));
    else if (vm.mode === "delete") li.append(this._deletePanel(vm, textId));
    else if (vm.canEdit || vm.canMove || vm.canDelete) {
      const actions = h("div", { class: "card-actions" });
      const button = (action, label) =>
        h("button", { type: "button", "data-action": action, "aria-describedby": textId }, label);
      if (vm.canEdit) actions.append(button("edit", "Edit"));
      if (vm.canMove) actions.append(button("move", "Move"));
      if (vm.canDelete) actions.append(button("delete", "Delete"));
      li.append(actions);
    }
    return li;
  }

  _editForm(vm) {
    const { card, editing } = vm;
    const column = columnById(card.column);
    const textareaId = `edit-text-${vm.key}`;
    const counterId = `edit-counter-${vm.key}`;
    const form = h("form", { class: "card-edit", "data-edit-card": card.id, "data-testid": "edit-form" });
    form.append(
      h("label", { for: `edit-kind-${vm.key}` }, "Type of card"),
      kindSelect(`edit-kind-${vm.key}`, column.kinds, editing.kind, { "data-testid": "edit-kind" }),
      h("label", { for: textareaId }, "Words on the card"),
      h("textarea", {
        id: textareaId,
        name: "text",
        rows: 4,
        maxlength: CARD_TEXT_MAX,
        value: editing.text,
        "data-testid": "edit-text",
        "aria-describedby": counterId,
      }),
      h("p", { class: "counter", id: counterId, "aria-live": "polite" }, counterText(editing.text.length)),
    );
    if (editing.conflict) {
      form.append(
        h(
          "div",
          { class: "conflict", role: "alert", "data-testid": "edit-conflict" },
          h("p", {}, "Someone changed this card while you were working on it. Your words are still in the box above."),
          h("p", { class: "conflict-label" }, "The card now says:"),
          h("blockquote", { "data-testid": "edit-conflict-current" }, editing.conflict.text),
          h("p", {}, "Save to put your words on the card instead, or Cancel to keep it as it is now."),
        ),
      );
    } else if (editing.note) {
      form.append(h("p", { class: "conflict", role: "alert", "data-testid": "edit-note" }, editing.note));
    }
    form.append(
      h(
        "div",
        { class: "card-actions" },
        h("button", { type: "submit", class: "primary", "data-testid": "edit-save" }, "Save"),
        h("button", { type: "button", "data-action": "edit-cancel" }, "Cancel"),
      ),
    );
    return form;
  }

  _patchEdit(el, vm) {
    const textarea = el.querySelector("textarea[name=text]");
    if (textarea && textarea.value !== vm.editing.text) textarea.value = vm.editing.text;
    const select = el.querySelector("select[name=kind]");
    if (select && select.value !== vm.editing.kind) select.value = vm.editing.kind;
    const counter = el.querySelector(".counter");
    if (counter) counter.textContent = counterText(vm.editing.text.length);
  }

  _movePanel(vm, textId) {
    const { card } = vm;
    const others = COLUMNS.filter((c) => c.id !== card.column);
    const selectId = `move-column-${vm.key}`;
    const select = h("select", { id: selectId, name: "column", "data-testid": "move-column" });
    for (const column of others) select.append(h("option", { value: column.id }, column.question));
    const button = (action, label, disabled = false) =>
      h("button", { type: "button", "data-action": action, "aria-describedby": textId, disabled }, label);
    return h(
      "div",
      { class: "card-move", role: "group", "aria-label": "Move this card", "data-testid": "move-panel" },
      h(
        "div",
        { class: "card-actions" },
        button("move-up", "Move up", vm.index === 0),
        button("move-down", "Move down", vm.index >= vm.count - 1),
      ),
      h("label", { for: selectId }, "Move to another column"),
      select,
      h("div", { class: "card-actions" }, button("move-to", "Move to that column"), button("move-done", "Done")),
    );
  }

  _deletePanel(vm, textId) {
    return h(
      "div",
      { class: "card-delete", role: "group", "aria-label": "Delete this card", "data-testid": "delete-confirm" },
      h("p", {}, "Delete this card for everyone in the meeting?"),
      h(
        "div",
        { class: "card-actions" },
        h("button", { type: "button", class: "danger", "data-action": "delete-confirm", "aria-describedby": textId }, "Yes, delete it"),
        h("button", { type: "button", "data-action": "delete-cancel" }, "No, keep it"),
      ),
    );
  }

  // ---- DOM order and focus ------------------------------------------------------------------------------

  _reorder(list, nodes) {
    nodes.forEach((node, index) => {
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    while (list.children.length > nodes.length) list.lastElementChild.remove();
  }

  _captureFocus() {
    const active = document.activeElement;
    if (!active || !this.root.contains(active)) return null;
    const cardEl = active.closest("[data-key]");
    if (!cardEl) return null;
    return {
      element: active,
      key: cardEl.dataset.key,
      action: active.dataset.action || null,
      name: active.getAttribute("name"),
      selection: typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null,
    };
  }

  _restoreFocus(focus, request) {
    if (request && request.token !== this.lastFocusToken) {
      this.lastFocusToken = request.token;
      const el = this.cardEls.get(request.key);
      const target = el && el.querySelector(request.selector);
      if (target) {
        target.focus();
        if (typeof target.selectionStart === "number" && target.tagName === "TEXTAREA") {
          target.selectionStart = target.selectionEnd = target.value.length;
        }
        return;
      }
    }
    if (!focus || document.activeElement === focus.element || focus.element.isConnected) return;
    const el = this.cardEls.get(focus.key);
    if (!el) return;
    let target = null;
    if (focus.action) target = el.querySelector(`[data-action="${focus.action}"]`);
    else if (focus.name) target = el.querySelector(`[name="${focus.name}"]`);
    if (!target || target.disabled) target = el.querySelector("button:not([disabled]), textarea, select");
    if (!target) return;
    target.focus();
    if (focus.selection && typeof target.selectionStart === "number") {
      [target.selectionStart, target.selectionEnd] = focus.selection;
    }
  }
}
