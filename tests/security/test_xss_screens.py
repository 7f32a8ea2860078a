"""Stored XSS on every screen: a conference whose every text field holds an attack (tests/security/hostile_meeting.py:
<script>, <img onerror>, SVG onload, javascript: links, a right-to-left override, zero-width joiners, formulas),
shown in headless Chromium on the chair's laptop, a professional's, the family's tablet and the room screen, through
every part of the agenda, then the chair's record of who did what, then the finalised record on the chair's screen.

On each screen and at each step: no dialog opened, no script ran and the policy blocked nothing (a blocked inline
script would be a vulnerability the CSP happened to catch), no element or attribute came out of anyone's words,
and the words show literally. A reordering character stays inside an isolate that holds only its own words, so it
cannot reverse what follows it on the line.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ServerProcess
from tests.e2e.conftest import (  # noqa: F401 (the browser suite's fixtures, used here by name)
    Screens,
    _expect_timeout,
    browser,
    playwright_instance,
)
from tests.security.hostile_meeting import HostileMeeting, build, finalise_with_addendum
from tests.support.clients import BoardClient, Connections, Member

pytestmark = pytest.mark.browser
T = TypeVar("T")

PHASES = [
    ("welcome", "attendance"),
    ("worries", "map"),
    ("childs_voice", "voice"),
    ("danger_statements", "statements"),
    ("scaling", "scaling"),
    ("plan", "plan"),
    ("decision", "decision"),
]
"""Each part of the initial conference's agenda that shows its own items, with the part every screen then shows."""

WATCH = """() => {
    window.__sosCsp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__sosCsp.push(e.violatedDirective));
}"""

INJECTED = """() => {
    const found = [];
    for (const el of document.querySelectorAll("*")) {
        for (const attr of el.attributes) {
            if (/^on/i.test(attr.name)) found.push(`${el.tagName} ${attr.name}`);
            if (/^\\s*(javascript|vbscript|data):/i.test(attr.value) && ["href", "src", "action", "formaction",
                "xlink:href"].includes(attr.name)) found.push(`${el.tagName} ${attr.name}=${attr.value}`);
        }
    }
    document.querySelectorAll("script:not([src]), img[src='x'], iframe, object, embed, svg[onload]")
        .forEach((el) => found.push(el.outerHTML.slice(0, 80)));
    return found;
}"""

UNISOLATED = """() => {
    // Every text node holding a character that reorders text: its element must be an isolate holding only it.
    const reorders = /[\\u202a-\\u202e\\u2066-\\u2069]/;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!reorders.test(node.data)) continue;
        const parent = node.parentElement;
        // An option is a line of its own in its list, and may hold nothing but text.
        if (parent.tagName === "OPTION" && parent.textContent === node.data) continue;
        const isolate = ["isolate", "isolate-override", "plaintext"].includes(getComputedStyle(parent).unicodeBidi);
        if (!isolate || parent.textContent !== node.data) found.push(`${parent.tagName}: ${node.data.slice(0, 40)}`);
    }
    return found;
}"""


@dataclass
class Seen:
    """What one screen showed and did, over the whole run."""

    text: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def look(self, page: Page, where: str) -> None:
        self.text.append(page.locator("body").inner_text())
        self.problems += [f"{where}: injected {found}" for found in page.evaluate(INJECTED)]
        self.problems += [f"{where}: not isolated {found}" for found in page.evaluate(UNISOLATED)]
        self.problems += [f"{where}: CSP blocked {found}" for found in page.evaluate("() => window.__sosCsp")]

    def shown(self) -> str:
        return " ".join(" ".join(self.text).split())


@dataclass
class Conference:
    """The hostile meeting, its websocket clients on their own event loop in a thread of their own (Playwright's
    sync API keeps this thread's loop busy)."""

    server: ServerProcess
    meeting: HostileMeeting
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def send(self, op: dict[str, object]) -> None:
        chair: BoardClient = self.meeting.clients["chair"]
        answer = self.run(chair.request(op))
        assert answer["type"] == "ack", answer


@pytest.fixture(scope="module")
def conference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Conference]:
    database = tmp_path_factory.mktemp("xss") / "board.db"
    server = ServerProcess(f"sqlite+aiosqlite:///{database}", ops_per_second="1000", ops_burst="1000").start()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    connections = Connections()
    try:
        meeting = asyncio.run_coroutine_threadsafe(build(server, connections), loop).result(timeout=60)
        yield Conference(server, meeting, loop)
    finally:
        asyncio.run_coroutine_threadsafe(connections.close_all(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        server.stop()


def open_as(screens: Screens, server: ServerProcess, member: Member, seen: Seen, width: int, height: int) -> Page:
    page = screens.open(width=width, height=height)
    name, value = member.cookie.split("=", 1)
    page.context.add_cookies([{"name": name, "value": value, "url": server.url}])
    page.add_init_script(script=f"({WATCH})()")
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server.url}/meetings/{member.meeting_id}")
    expect(page.get_by_test_id("board")).to_be_visible()
    return page


def fields_missing(seen: Seen, meeting: HostileMeeting, leave_out: set[str]) -> list[str]:
    shown = seen.shown()
    return [
        name
        for name, text in meeting.texts.by_field.items()
        if name not in leave_out and " ".join(text.split()) not in shown
    ]


def test_hostile_words_stay_words_on_every_screen(conference: Conference, browser: Browser) -> None:  # noqa: F811
    screens = Screens(browser)
    meeting = conference.meeting
    views = {"chair": Seen(), "professional": Seen(), "family": Seen(), "projector": Seen()}
    try:
        pages = {
            "chair": open_as(screens, conference.server, meeting.chair, views["chair"], 1366, 768),
            "professional": open_as(screens, conference.server, meeting.professional, views["professional"], 1366, 768),
            "family": open_as(screens, conference.server, meeting.family, views["family"], 1024, 768),
            "projector": open_as(screens, conference.server, meeting.projector, views["projector"], 1920, 1080),
        }
        previous = None
        for phase, part in PHASES:
            conference.send({"type": "set_phase", "phase": phase, "from_phase": previous})
            previous = phase
            for who, page in pages.items():
                expect(page.get_by_test_id("board")).to_have_attribute("data-part", part)
                views[who].look(page, f"{who} at {phase}")

        # The chair's record of who did what names everyone (hostile display names).
        chair = pages["chair"]
        chair.get_by_test_id("audit-toggle").click()
        panel = chair.get_by_test_id("audit-panel")
        panel.get_by_role("button", name="Show the record of who did what").click()
        expect(panel.get_by_test_id("audit-entry").first).to_be_visible()
        views["chair"].look(chair, "chair's audit panel")

        # Finalised: the record on the chair's screen, with an addendum.
        conference.run(finalise_with_addendum(meeting))
        addendum = " ".join(meeting.texts.by_field["addendum text"].split())
        for who in ("chair", "professional"):
            expect(pages[who].get_by_test_id("board")).to_contain_text(addendum)
            views[who].look(pages[who], f"{who}, finalised")
        assert screens.errors == []
    finally:
        screens.close()

    for who, seen in views.items():
        assert seen.dialogs == [], who
        assert seen.problems == [], who
    # The literal words, every field on the screens that see the whole meeting, but two no screen shows: the room
    # screen's own name, and a round's own question (screens title a round by its label and what it scales).
    not_on_screens = {"projector display name", "round question"}
    assert fields_missing(views["chair"], meeting, not_on_screens) == []
    assert fields_missing(views["professional"], meeting, not_on_screens) == []
    # The family's tablet says goodbye when the record is finalised, before any addendum.
    assert fields_missing(views["family"], meeting, not_on_screens | {"addendum text", "addendum reason"}) == []
    shown_on_wall = views["projector"].shown()
    assert " ".join(meeting.texts.by_field["card: worries"].split()) in shown_on_wall
    assert " ".join(meeting.texts.by_field["statement: behaviour"].split()) in shown_on_wall
