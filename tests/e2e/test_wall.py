"""The room screen (the projector, 1920x1080): 40 cards of realistic length all on screen at once, with no
scrollbar and no text under 16 px; every other part of a realistic conference on screen the same way, the map
summarised or left out under it when it does not fit; it follows the chair's phase and focus, keeps the closed part
private, respects reduced motion, and offers a discreet way to end it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import check_accessibility
from tests.e2e.board_pages import card, close_people, invite_person, join_by_link, start_meeting
from tests.e2e.conference_pages import PRIVATE_MESSAGE, jump_to, open_conference
from tests.e2e.conftest import Screens
from tests.e2e.realistic import CARDS, fill_board, hold_conference
from tests.e2e.test_room_code import make_room_code

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
MIN_PX = 16  # frontend/js/views/wall.js: WALL_MIN_PX

MEASURE = """() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const root = document.scrollingElement;
  const main = document.querySelector(".wall-main");
  const outside = [];
  for (const el of document.querySelectorAll("[data-testid=card]")) {
    const r = el.getBoundingClientRect();
    const column = el.closest(".wall-column").getBoundingClientRect();
    const offScreen = r.top < 0 || r.left < 0 || r.bottom > vh + 0.5 || r.right > vw + 0.5;
    if (offScreen || r.bottom > column.bottom + 0.5 || r.right > column.right + 0.5) {
      outside.push(el.textContent.slice(0, 40));
    }
  }
  const small = [];
  const cut = [];
  const shown = main.getBoundingClientRect();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden" || style.opacity === "0") continue;
    const size = parseFloat(style.fontSize);
    if (size < MIN) small.push(`${size}px: ${node.textContent.trim().slice(0, 40)}`);
    // Text in the main area must be inside it (it clips) and on screen.
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    const top = Math.max(0, shown.top), left = Math.max(0, shown.left);
    const bottom = Math.min(vh, shown.bottom), right = Math.min(vw, shown.right);
    const beyond = r.top < top - 0.5 || r.left < left - 0.5 || r.bottom > bottom + 0.5 || r.right > right + 0.5;
    if (main.contains(node) && r.width > 1 && beyond) {
      cut.push(node.textContent.trim().slice(0, 40));
    }
  }
  return {
    pageScrolls: root.scrollHeight > vh || root.scrollWidth > vw,
    mainScrolls: main.scrollHeight > main.clientHeight + 1 || main.scrollWidth > main.clientWidth + 1,
    overflowMode: main.classList.contains("wall-overflow"),
    fitted: parseFloat(getComputedStyle(main).fontSize),
    cards: document.querySelectorAll("[data-testid=card]").length,
    outside,
    small,
    cut,
    map: ["map-full", "map-summarised", "map-left-out"].find((c) => main.classList.contains(c)) || "map",
  };
}""".replace("MIN", str(MIN_PX))


def measure(wall: Page) -> dict[str, Any]:
    return dict(wall.evaluate(MEASURE))


def test_the_wall_shows_forty_cards_readable_and_follows_the_chair(
    live_server, screens: Screens, axe_source: str
) -> None:
    chair = screens.open(width=1366, height=768)
    start_meeting(chair, live_server.url, "Initial conference for Mia and Leo", "Alex Morgan")
    family_link = invite_person(chair, "Sam Lee", "family", copy=False)
    wall_link = invite_person(chair, "Room 3 screen", "projector", copy=False)
    close_people(chair)
    family = screens.open(width=1024, height=768)
    join_by_link(family, family_link)
    wall = screens.open(width=1920, height=1080)
    join_by_link(wall, wall_link)

    # Read only, and none of the chrome a wall does not need.
    expect(wall.get_by_test_id("you")).to_have_count(0)
    expect(wall.get_by_test_id("presence")).to_have_count(0)
    expect(wall.get_by_role("button", name="Leave this meeting")).to_have_count(0)
    expect(wall.get_by_test_id("wall-end")).to_have_css("opacity", "0")  # there, out of sight

    chair.get_by_test_id("phase-next").click()
    expect(wall.get_by_test_id("phase-title")).to_have_text("What are we worried about?")
    fill_board({"chair": chair, "professional": chair, "family": family}, CARDS, watcher=chair)
    expect(wall.get_by_test_id("card")).to_have_count(40)

    # Every card on screen, inside its column, no scrollbar, and no text under the minimum size.
    found = measure(wall)
    assert found["cards"] == 40
    assert not found["pageScrolls"] and not found["mainScrolls"] and not found["overflowMode"], found
    assert found["outside"] == [] and found["cut"] == [], found
    assert found["small"] == [], found["small"]
    assert found["fitted"] >= MIN_PX
    wall.screenshot(path=str(artifact("wall-40-cards.png")))
    check_accessibility(wall, axe_source, "wall-40-cards")

    # The chair points at a card: the wall highlights it, on screen, and everything still fits.
    target = CARDS[36][3]
    card(chair, target).get_by_test_id("point-here").click()
    focused = card(wall, target)
    expect(focused).to_have_attribute("data-focused", "true")
    expect(focused.get_by_test_id("focus-note")).to_have_text("The chair is pointing here")
    expect(focused).to_be_in_viewport(ratio=1)
    found = measure(wall)
    assert not found["mainScrolls"] and found["outside"] == [] and found["small"] == [], found

    # It follows the chair's phase.
    chair.get_by_test_id("phase-next").click()
    expect(wall.get_by_test_id("phase-title")).to_have_text("What's working well?")
    expect(wall.get_by_test_id("column-working_well")).to_have_attribute("aria-current", "true")

    # Calm motion: with reduced motion asked for, nothing on the wall moves.
    assert wall.evaluate("getComputedStyle(document.querySelector('.wall-card')).transitionDuration") != "0s"
    wall.emulate_media(reduced_motion="reduce")
    assert set(
        wall.evaluate(
            "[...document.querySelectorAll('.wall-card, .wall-end')].map(e => getComputedStyle(e).transitionDuration)"
        )
    ) == {"0s"}

    # A closed part: the wall says only that the meeting is private.
    chair.get_by_test_id("start-closed-part").click()
    expect(wall.locator("body")).to_have_text(PRIVATE_MESSAGE, use_inner_text=True)
    check_accessibility(wall, axe_source, "wall-private")
    chair.get_by_test_id("end-closed-part").click()
    expect(wall.get_by_test_id("card")).to_have_count(40)

    # Whoever stands at the laptop can end it: Tab shows "End", which asks first.
    wall.keyboard.press("Tab")
    end = wall.get_by_test_id("wall-end")
    expect(end).to_be_focused()
    expect(end).to_have_css("opacity", "1")
    wall.keyboard.press("Enter")
    confirm = wall.get_by_test_id("wall-end-confirm")
    expect(confirm).to_contain_text("End the room screen?")
    check_accessibility(wall, axe_source, "wall-end-confirm")
    confirm.get_by_role("button", name="No, keep showing").click()
    expect(wall.get_by_test_id("card")).to_have_count(40)
    wall.get_by_test_id("wall-end").click()
    wall.get_by_role("button", name="Yes, end it").click()
    expect(wall.get_by_test_id("end-state")).to_contain_text("You have left the meeting")
    expect(chair.get_by_test_id("presence")).not_to_contain_text("Room 3 screen")


# The agenda of an initial conference, and the part of the screen each brings forward (None: the map itself).
AGENDA = [
    ("Welcome and introductions", "attendance"),
    ("What are we worried about?", None),
    ("What's working well?", None),
    ("What the children say", "voice"),
    ("Danger statements and safety goals", "statements"),
    ("Safety scale", "scaling"),
    ("What needs to happen: the plan", "plan"),
    ("Decision", "decision"),
    ("Close", "plan"),
]


def test_every_part_of_a_realistic_conference_fits_the_wall(live_server, screens: Screens, axe_source: str) -> None:
    room = open_conference(screens, live_server.url)
    make_room_code(room.chair)  # the welcome shows it large, with its QR code
    close_people(room.chair)
    hold_conference(room)
    wall = room.wall
    for number, (title, part) in enumerate(AGENDA, start=1):
        jump_to(room.chair, title)
        expect(wall.get_by_test_id("phase-title")).to_have_text(title)
        found = measure(wall)
        name = f"wall-part-{number}"
        wall.screenshot(path=str(artifact(f"{name}.png")))
        # Nothing scrolls, nothing is cut off or off screen, no text under the minimum size.
        assert not found["pageScrolls"] and not found["mainScrolls"] and not found["overflowMode"], (title, found)
        assert found["outside"] == [] and found["cut"] == [] and found["small"] == [], (title, found)
        if part is None:
            # The map parts: all 40 cards, each on screen.
            assert found["map"] == "map" and found["cards"] == 40, (title, found)
        else:
            # The part the meeting is on is what the room reads, larger than the map's smallest type; the map
            # under it is whatever still fits (in full, summarised or left out), never cut off.
            expect(wall.get_by_test_id(f"part-{part}")).to_be_in_viewport(ratio=1)
            if part == "attendance":
                expect(wall.get_by_test_id("wall-room-qr")).to_be_in_viewport(ratio=1)
            assert found["fitted"] >= 18, (title, found)  # the floor is for 40 cards on the map, not for a part
            if found["map"] == "map-summarised":
                expect(wall.get_by_test_id("summary-worries")).to_contain_text("What are we worried about?")
        check_accessibility(wall, axe_source, name)


def artifact(name: str) -> Path:
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name
