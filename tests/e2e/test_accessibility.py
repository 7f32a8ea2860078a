"""Every screen of a realistic meeting (30 cards), checked with axe-core (WCAG 2.2 AA: no serious or critical
violation, no landmark or region finding), and photographed for review at its own size: the wall 1920x1080, the
family's tablet 1024x768, the chair's and a professional's laptops 1366x768.

The pictures go to test-artifacts/screens/ (git-ignored); with SOSBOARD_WRITE_SCREENSHOTS=1 they go to
docs/screens/, the folder README.md names, to be committed. (The other views and states are checked by axe in the
test of each: test_room_code, test_wall, test_tablet, test_console, test_professional, test_record.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import check_accessibility
from tests.e2e.board_pages import card, close_people, invite_person, join_by_link, start_meeting
from tests.e2e.conference_pages import (
    add_child,
    add_child_words,
    add_statement,
    expect_phase,
    give_view,
    next_phase,
    open_conference,
    statement,
    words_item,
    write_goal,
)
from tests.e2e.conftest import Screens
from tests.e2e.realistic import CARDS, fill_board

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def screens_folder() -> Path:
    if os.environ.get("SOSBOARD_WRITE_SCREENSHOTS") == "1":
        folder = ROOT / "docs" / "screens"
    else:
        folder = ROOT / "test-artifacts" / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def photograph(page: Page, name: str) -> None:
    page.mouse.move(0, 0)  # no hover in the picture
    page.evaluate("() => window.scrollTo(0, 0)")
    size = page.viewport_size or {"width": 0, "height": 0}
    path = screens_folder() / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 20_000


def test_every_screen_of_a_realistic_meeting(live_server, screens: Screens, axe_source: str) -> None:
    # The pages before a meeting: the start page, and a join link that is not complete.
    start = screens.open(width=1366, height=768)
    start.goto(f"{live_server.url}/")
    check_accessibility(start, axe_source, "start-page")
    start.goto(f"{live_server.url}/join")
    expect(start.get_by_test_id("join-heading")).to_have_text("This link is not complete")
    check_accessibility(start, axe_source, "join-page")

    chair = start
    start_meeting(chair, live_server.url, "Initial conference for Mia and Leo", "Alex Morgan")
    links = {
        "professional": invite_person(chair, "Jo Patel", "professional", "Northfield School", copy=False),
        "family": invite_person(chair, "Sam Lee", "family", copy=False),
        "projector": invite_person(chair, "Room 3 screen", "projector", copy=False),
        "observer": invite_person(chair, "Kim Shaw", "observer", "Minutes", copy=False),
    }
    close_people(chair)
    professional = screens.open(width=1366, height=768)
    join_by_link(professional, links["professional"])
    family = screens.open(width=1024, height=768)
    join_by_link(family, links["family"])
    wall = screens.open(width=1920, height=1080)
    join_by_link(wall, links["projector"])

    chair.get_by_test_id("phase-next").click()
    fill_board({"chair": chair, "professional": professional, "family": family}, CARDS[:30], watcher=chair)
    expect(wall.get_by_test_id("card")).to_have_count(30)
    chair.get_by_test_id("phase-next").click()
    expect(wall.get_by_test_id("phase-title")).to_have_text("What's working well?")
    pointed = CARDS[15][3]
    card(chair, pointed).get_by_test_id("point-here").click()
    expect(card(wall, pointed)).to_have_attribute("data-focused", "true")

    for page, name in ((chair, "chair"), (professional, "professional"), (family, "tablet"), (wall, "wall")):
        expect(page.get_by_test_id("card")).to_have_count(30)
        check_accessibility(page, axe_source, f"{name}-realistic")
        photograph(page, name)

    observer = screens.open(width=1366, height=768)
    join_by_link(observer, links["observer"])
    expect(observer.get_by_test_id("card")).to_have_count(30)
    check_accessibility(observer, axe_source, "observer")


def test_the_childs_voice_and_two_danger_statements_on_every_screen(
    live_server, screens: Screens, axe_source: str
) -> None:
    # Parts where a heading repeats on every statement, or echoes the part the meeting is on: each region a screen
    # reader lists must still have a name of its own.
    room = open_conference(screens, live_server.url)
    chair, professional, family, _wall = room.all
    add_child(chair, "Mia", 7)
    for title in ("What are we worried about?", "What's working well?", "What the children say"):
        next_phase(chair, title)
    expect_phase(room, "What the children say")
    add_child_words(professional, "Mia", "dreams", "I love going to the park with Grandma Rose", shared=True)
    for page, name in zip(room.all, ("chair", "professional", "tablet", "wall"), strict=True):
        expect(words_item(page, "Grandma Rose")).to_be_visible()
        check_accessibility(page, axe_source, f"{name}-childs-voice")

    next_phase(chair, "Danger statements and safety goals")
    expect_phase(room, "Danger statements and safety goals")
    behaviours = ("Mia was left alone overnight on 14 October", "Mum and Dad shout and throw things when they argue")
    for behaviour in behaviours:
        add_statement(professional, "Jo Patel (school)", behaviour, "Mia is scared.", "Mia could be hurt.", ("Mia",))
        write_goal(professional, behaviour, "A grown-up is home.", "Mia feels safe.", "Visits see it.", "Six months")
        statement(family, behaviour).get_by_test_id("family-view-open").click()
        give_view(family, statement(family, behaviour), "I partly agree", "It happened once.")
    for page, name in zip(room.all, ("chair", "professional", "tablet", "wall"), strict=True):
        expect(page.get_by_test_id("family-view-words")).to_have_count(2)
        check_accessibility(page, axe_source, f"{name}-two-statements")
