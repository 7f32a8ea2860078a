"""Static checks in the test command (`make lint`, `make audit-dependencies`): bandit finds risky code, and every
finding the project accepts says why on its own line; pip-audit never passes without having checked anything."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
BANDIT = Path(sys.executable).with_name("bandit")
SOURCES = sorted(p for folder in ("app", "realtime") for p in (ROOT / folder).rglob("*.py"))
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
JUSTIFIED = re.compile(r"^\s+(?P<ids>B\d{3}(?:[ ,]+B\d{3})*)\s+#\s*(?P<why>\S.{9,})$")
"""`# nosec B701 # Markdown, not HTML: ...`: which check is accepted, and (after a second #) why, in words."""


def nosec_lines() -> list[tuple[str, str]]:
    return [
        (f"{path.relative_to(ROOT)}:{number}", match.group("rest"))
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if (match := NOSEC.search(line))
    ]


def test_the_scan_sees_the_accepted_findings() -> None:
    where = [place for place, _ in nosec_lines()]
    assert any(place.startswith("app/exports/markdown.py") for place in where), where


@pytest.mark.parametrize(("place", "rest"), nosec_lines(), ids=lambda value: str(value)[:40])
def test_every_accepted_finding_names_its_check_and_says_why(place: str, rest: str) -> None:
    assert JUSTIFIED.match(rest), f"{place}: write `# nosec B### # <why this is safe>`, not `# nosec{rest}`"


def run_bandit(*targets: Path) -> subprocess.CompletedProcess[str]:
    """bandit exactly as `make lint` runs it."""
    return subprocess.run(
        [str(BANDIT), "--quiet", "--recursive", *map(str, targets), "--severity-level", "medium"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bandit_as_make_lint_runs_it_passes_on_the_app() -> None:
    result = run_bandit(ROOT / "app", ROOT / "realtime")
    assert result.returncode == 0, result.stdout


def test_bandit_as_make_lint_runs_it_fails_on_a_high_finding_without_a_reason(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("from jinja2 import Environment\n\nENV = Environment(autoescape=False)\n", encoding="utf-8")
    result = run_bandit(tmp_path)
    assert result.returncode == 1
    assert "B701" in result.stdout


def audit_dependencies_offline(**env: str) -> subprocess.CompletedProcess[str]:
    """scripts/audit-dependencies (what `make test` runs) with the vulnerability service made unreachable: every
    request goes to a proxy on a closed loopback port."""
    closed = f"http://127.0.0.1:{free_port()}"
    return subprocess.run(
        [str(ROOT / "scripts" / "audit-dependencies")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "HTTPS_PROXY": closed, "HTTP_PROXY": closed, "NO_PROXY": "", **env},
    )


def test_the_dependency_audit_never_passes_quietly_when_it_could_check_nothing() -> None:
    """pip-audit alone says "No known vulnerabilities found" and exits 0 when it could check no package at all; the
    step says instead, on every run, that nothing was checked."""
    result = audit_dependencies_offline()
    assert result.returncode == 0
    assert "could NOT check the dependencies" in result.stderr
    assert "Going on UNAUDITED" in result.stderr
    assert "No known vulnerabilities found" not in result.stdout + result.stderr


def test_where_the_audit_is_required_an_unreachable_service_fails() -> None:
    result = audit_dependencies_offline(SOSBOARD_REQUIRE_DEPENDENCY_AUDIT="1")
    assert result.returncode == 1
    assert "could NOT check the dependencies" in result.stderr
