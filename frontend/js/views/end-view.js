// The whole-page states where there is no board to show: session ended, left, or could not open.

export class EndView {
  constructor(root) {
    this.root = root;
    this.heading = root.querySelector("h1");
    this.text = root.querySelector("p");
  }

  bind() {}

  render(state) {
    const phase = state.phase;
    const visible = phase === "ended" || phase === "left" || phase === "failed";
    this.root.hidden = !visible;
    document.body.classList.toggle("is-ended", visible);
    if (!visible) return;
    this.root.dataset.state = phase;
    const words = {
      ended: ["Your session has ended", state.endMessage || "Your session has ended. Ask the chair for a new link."],
      left: [
        "You have left the meeting",
        "Nothing from the meeting is kept on this screen. To join again, ask the chair for a new link.",
      ],
      failed: ["This meeting could not be opened", state.endMessage || "Please try again in a moment."],
    }[phase];
    this.heading.textContent = words[0];
    this.text.textContent = words[1];
  }
}
