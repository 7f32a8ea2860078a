"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser).

One browser per test module; a fresh context per participant, so each has their own cookie jar, exactly
like separate laptops and the family tablet in the room.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread while it is open,
# and pytest-asyncio's tests in the modules after these need the thread free.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Screens:
    """Opens one page per participant, each in its own browser context; closes them all afterwards."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, *, width: int = 1280, height: int = 900, clipboard_origin: str | None = None) -> Page:
        context = self.browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        if clipboard_origin is not None:
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=clipboard_origin)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def screens(browser: Browser) -> Iterator[Screens]:
    screens = Screens(browser)
    try:
        yield screens
    finally:
        screens.close()
    # A script error on any page fails the test, even when the assertions happened to pass.
    assert screens.errors == []


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=10_000)


OpenScreen = Callable[..., Page]


# ---- axe-core: installed from the npm registry into an ignored folder, handed to each page by the test ------------

AXE_DIR = Path(__file__).resolve().parent / ".axe"
AXE_VERSION = "4.14.1"  # pinned: a new axe release can add rules, and a finding must come from our change
AXE_FILE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core (npm, AXE_VERSION), installed on first use into tests/e2e/.axe (git-ignored), as in CI."""
    installed = AXE_DIR / "node_modules" / "axe-core" / "package.json"
    AXE_DIR.mkdir(exist_ok=True)
    # `make test` runs two workers: the first to need axe installs it while the other waits here for it.
    with (AXE_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.exists() or json.loads(installed.read_text(encoding="utf-8"))["version"] != AXE_VERSION:
            _install_axe()
    return AXE_FILE.read_text(encoding="utf-8")


def _install_axe() -> None:
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(AXE_DIR),
            "--no-save",
            "--no-package-lock",
            "--no-audit",
            "--no-fund",
            f"axe-core@{AXE_VERSION}",
        ],
        check=True,
        timeout=300,
    )
