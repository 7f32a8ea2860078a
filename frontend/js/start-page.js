// "Start a conference map": choose the kind of meeting (its agenda), create it as its chair, then open the board.

import { api, meetingsApi } from "./api.js";

const form = document.querySelector("[data-testid=start-form]");
const errorBox = document.querySelector("[data-testid=start-error]");
const submit = form.querySelector("button[type=submit]");
const kindSelect = form.elements.kind;

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

async function loadKinds() {
  try {
    const kinds = await api("GET", "/api/meeting-kinds");
    const chosen = kindSelect.value;
    kindSelect.replaceChildren(
      ...kinds.map((kind) => {
        const option = document.createElement("option");
        option.value = kind.kind;
        option.textContent = kind.label;
        return option;
      }),
    );
    if (kinds.some((kind) => kind.kind === chosen)) kindSelect.value = chosen;
  } catch {
    // The first kind stays offered: the meeting can still be started.
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = form.elements.title.value.trim();
  const chairName = form.elements.chair_name.value.trim();
  if (!title) {
    showError("Please give the meeting a title.");
    form.elements.title.focus();
    return;
  }
  if (!chairName) {
    showError("Please write your name.");
    form.elements.chair_name.focus();
    return;
  }
  showError("");
  submit.disabled = true;
  submit.textContent = "Starting…";
  try {
    const result = await meetingsApi.create(title, chairName, kindSelect.value);
    location.assign(`/meetings/${encodeURIComponent(result.meeting.id)}`);
  } catch (error) {
    showError(error.message);
    submit.disabled = false;
    submit.textContent = "Start the map";
  }
});

loadKinds();
