// The one door to the vendored renderer (frontend/vendor/README.md): Preact with htm templates, no build step.
// Views are functions of (state, actions) that return html`...`; Preact's keyed diffing keeps the DOM nodes,
// and so typing, focus and the caret, of whatever did not change.

import { Fragment, h, render } from "../vendor/preact/preact.mjs";
import { useEffect, useLayoutEffect, useRef } from "../vendor/preact/hooks.mjs";
import htm from "../vendor/htm/htm.mjs";

// Words people write may hold characters that reorder text: a right-to-left override (U+202E) in a name would
// also reverse whatever follows it on the same line ("changed by ...", the next name in a list). Every text that
// holds one is put in its own <bdi>, an isolate: it can reorder only itself. The templates' own words never hold
// one, so nothing else changes. Elements that may hold only text keep their text as it is.
const REORDERS = /[\u202a-\u202e\u2066-\u2069]/;
const TEXT_ONLY = new Set(["option", "textarea", "title", "style", "script"]);

function isolated(child) {
  if (typeof child === "string" && REORDERS.test(child)) return h("bdi", { "data-isolated": "" }, child);
  if (Array.isArray(child)) return child.map(isolated);
  return child;
}

function element(type, props, ...children) {
  return h(type, props, ...(TEXT_ONLY.has(type) ? children : children.map(isolated)));
}

export const html = htm.bind(element);
export { Fragment, render, useEffect, useLayoutEffect, useRef };
