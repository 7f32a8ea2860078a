"""axe-core against a page as it is on screen: WCAG 2.2 A and AA, and axe's best practices (which hold its
landmark and `region` rules). A test fails on any serious or critical violation, and on any landmark or region
finding whatever its impact; every other finding is written to test-artifacts/axe/ for review.

axe is handed to the page over the DevTools protocol (`page.evaluate` of its source): the app's own
Content-Security-Policy (script-src 'self') refuses an injected <script> tag, as it should, and this way the page
is tested with that policy on. The source comes from npm (the `axe_source` fixture), never from a CDN."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "axe"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
LANDMARKS = re.compile(r"^(region$|landmark-)")

RUN = """async ({tags, exclude}) => {
  const context = exclude.length ? {include: [document], exclude: exclude.map((s) => [s])} : document;
  const result = await axe.run(context, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def check_accessibility(
    page: Page, axe_source: str, name: str, *, exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Run axe on the page now; fail on serious, critical, landmark and region findings. Returns all findings."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    violations: list[dict[str, Any]] = page.evaluate(RUN, {"tags": TAGS, "exclude": list(exclude)})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(violations, indent=2), encoding="utf-8")
    failing = [v for v in violations if v["impact"] in ("serious", "critical") or LANDMARKS.match(v["id"])]
    assert not failing, f"axe on {name}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"][:5])
        for v in failing
    )
    return violations
