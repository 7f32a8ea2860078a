// "Start a conference map": create the meeting as its chair, then open the board.

import { meetingsApi } from "./api.js";

const form = document.querySelector("[data-testid=start-form]");
const errorBox = document.querySelector("[data-testid=start-error]");
const submit = form.querySelector("button[type=submit]");

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
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
    const result = await meetingsApi.create(title, chairName);
    location.assign(`/meetings/${encodeURIComponent(result.meeting.id)}`);
  } catch (error) {
    showError(error.message);
    submit.disabled = false;
    submit.textContent = "Start the map";
  }
});
