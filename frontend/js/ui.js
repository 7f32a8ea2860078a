// The one door to the vendored renderer (frontend/vendor/README.md): Preact with htm templates, no build step.
// Views are functions of (state, actions) that return html`...`; Preact's keyed diffing keeps the DOM nodes,
// and so typing, focus and the caret, of whatever did not change.

import { Fragment, h, render } from "../vendor/preact/preact.mjs";
import { useEffect, useLayoutEffect, useRef } from "../vendor/preact/hooks.mjs";
import htm from "../vendor/htm/htm.mjs";

export const html = htm.bind(h);
export { Fragment, render, useEffect, useLayoutEffect, useRef };
