"""Joining the room by code: the wall and the family's tablet wait in the lobby until the chair lets them in with a
name and a role; the chair turns a stranger away and revokes the tablet, whose screen ends within 2 seconds; and
a tablet that leaves keeps nothing of the meeting. Each screen and state is checked with axe on the way."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.e2e.axe import check_accessibility
from tests.e2e.board_pages import (
    add_card,
    card,
    close_people,
    let_in,
    make_room_code,
    start_meeting,
    wait_connected,
)
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser

STRENGTH = "Sam walks Mia and Leo to school every day now, and they are never late."
WAITING = "Waiting for the chair to let you in"


def heading(page: Page) -> Locator:
    return page.get_by_test_id("room-heading")


def assert_nothing_kept(page: Page, meeting_id: str) -> None:
    stores = page.evaluate(
        """async () => ({
            local: localStorage.length, session: sessionStorage.length, caches: (await caches.keys()).length,
        })"""
    )
    assert stores == {"local": 0, "session": 0, "caches": 0}, stores
    cookies = page.context.cookies()
    assert not [c for c in cookies if meeting_id in c["name"] or meeting_id in c["value"]], cookies
    assert not [c for c in cookies if c["name"] == "sos_lobby"], cookies


def test_tablets_join_by_code_the_chair_turns_one_away_and_revokes_another(
    live_server, screens: Screens, axe_source: str
) -> None:
    chair = screens.open(width=1366, height=768)
    sent: list[str] = []  # every address the chair's and the wall's pages ask the server for
    chair.on("request", lambda request: sent.append(request.url))
    meeting_id = start_meeting(chair, live_server.url, "Initial conference for Mia and Leo", "Alex Morgan")
    code = make_room_code(chair)
    check_accessibility(chair, axe_source, "chair-room-code")

    # The wall opens the QR code's link: the code comes in the fragment, which leaves the address bar at once.
    wall = screens.open(width=1920, height=1080)
    wall.on("request", lambda request: sent.append(request.url))
    wall.goto(f"{live_server.url}/room#{code}")
    expect(heading(wall)).to_have_text(WAITING)
    assert "#" not in wall.url
    expect(chair.get_by_test_id("waiting-count")).to_have_text("(1 waiting)")
    check_accessibility(chair, axe_source, "chair-lobby")
    let_in(chair, "Room 3 screen", "projector")
    expect(wall).to_have_url(re.compile(rf"/meetings/{meeting_id}$"))
    wait_connected(wall)
    # During the introductions the wall shows the code and its QR code, large.
    expect(wall.get_by_test_id("wall-room-code")).to_have_text(code)
    expect(wall.get_by_test_id("wall-room-qr")).to_be_visible()
    check_accessibility(wall, axe_source, "wall-introductions")
    # No address the server (or a proxy in front of it) sees holds the code, the QR code's pictures' included.
    assert len([url for url in sent if "/room-code.svg" in url]) >= 2, sent
    typed_forms = (code, code.replace("-", ""), code.replace("-", "%2D"))
    assert [url for url in sent if any(form in url.split("#")[0] for form in typed_forms)] == [], sent

    # The family's tablet types the code: small letters and spaces are fine.
    tablet = screens.open(width=1024, height=768)
    tablet.goto(f"{live_server.url}/room")
    box = tablet.get_by_label("Room code")
    expect(box).to_be_focused()
    check_accessibility(tablet, axe_source, "room-page")
    box.press_sequentially(code.replace("-", " ").lower())
    expect(box).to_have_value(code)
    tablet.get_by_role("button", name="Join").click()
    expect(heading(tablet)).to_have_text(WAITING)
    check_accessibility(tablet, axe_source, "room-waiting")
    let_in(chair, "Sam Lee", "family")
    expect(tablet).to_have_url(re.compile(rf"/meetings/{meeting_id}$"))
    wait_connected(tablet)
    expect(tablet.get_by_test_id("you")).to_contain_text("Sam Lee (Family)")
    assert [c["name"] for c in tablet.context.cookies() if c["name"] == "sos_lobby"] == []  # its job is done
    # The chair's list says who is here, without a reload.
    sam = chair.get_by_test_id("person").filter(has_text="Sam Lee")
    expect(sam.get_by_test_id("person-status")).to_contain_text("Here now")
    expect(
        chair.get_by_test_id("person").filter(has_text="Room 3 screen").get_by_test_id("person-status")
    ).to_contain_text("Here now")

    # The tablet adds a strength: it shows on the wall and on the chair's screen, marked as the family's words.
    add_card(tablet, "working_well", STRENGTH, "strength")
    expect(card(wall, STRENGTH)).to_be_visible()
    expect(card(chair, STRENGTH).get_by_test_id("family-words")).to_have_text("The family's words")
    expect(card(tablet, STRENGTH).get_by_test_id("family-words")).to_have_text("Your words")

    # A second device using the same code after the tablet came in waits in the lobby again; the chair turns it away.
    stranger = screens.open(width=1024, height=768)
    stranger.goto(f"{live_server.url}/room#{code}")
    expect(heading(stranger)).to_have_text(WAITING)
    entry = chair.get_by_test_id("lobby-entry")
    expect(entry).to_have_count(1)
    entry.get_by_role("button", name="Turn away").click()
    expect(heading(stranger)).to_have_text("The chair did not let this screen in")
    check_accessibility(stranger, axe_source, "room-turned-away")
    assert not [c for c in stranger.context.cookies() if c["name"] == "sos_lobby"]

    # The chair revokes the tablet: its connection closes within 2 seconds and the page says it has ended.
    with tablet.expect_response(re.compile(rf"/api/meetings/{meeting_id}/leave$")):
        started = time.monotonic()
        sam.get_by_role("button", name="Revoke link").click()
        expect(tablet.get_by_test_id("end-state")).to_contain_text("Ask the chair for a new link", timeout=2_000)
        assert time.monotonic() - started < 2.0
    expect(tablet.get_by_text(STRENGTH)).to_have_count(0)
    assert_nothing_kept(tablet, meeting_id)
    expect(sam.get_by_test_id("person-status")).to_contain_text("Link revoked")
    close_people(chair)


def test_a_tablet_that_leaves_keeps_nothing_of_the_meeting(live_server, screens: Screens, axe_source: str) -> None:
    chair = screens.open(width=1366, height=768)
    meeting_id = start_meeting(chair, live_server.url, "Review conference for Mia and Leo", "Alex Morgan")
    code = make_room_code(chair)
    tablet = screens.open(width=1024, height=768)
    tablet.goto(f"{live_server.url}/room#{code}")
    expect(heading(tablet)).to_have_text(WAITING)
    let_in(chair, "Sam Lee", "family")
    wait_connected(tablet)
    board_url = tablet.url
    add_card(tablet, "working_well", STRENGTH, "strength")

    tablet.get_by_role("button", name="Leave this meeting").click()
    tablet.get_by_role("button", name="Yes, leave").click()
    expect(tablet.get_by_test_id("end-state")).to_contain_text("You have left the meeting")
    check_accessibility(tablet, axe_source, "tablet-left")
    assert_nothing_kept(tablet, meeting_id)
    assert tablet.title() == "SoS Board"
    tablet.goto(board_url)  # reopened: nothing of the meeting shows
    expect(tablet.get_by_test_id("end-state")).to_have_attribute("data-state", "ended")
    expect(tablet.locator("body")).not_to_contain_text(STRENGTH)
    expect(tablet.locator("body")).not_to_contain_text("Mia")
    assert_nothing_kept(tablet, meeting_id)


def fulfil(status: int, code: str, message: str):
    def handler(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        body = {"error": {"code": code, "message": message}}
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    return handler


def test_the_room_page_says_what_went_wrong_in_plain_words(live_server, screens: Screens, axe_source: str) -> None:
    """Refusals are played by the test (a wrong code really tried would count against this address's limit)."""
    page = screens.open(width=1024, height=768)
    page.goto(f"{live_server.url}/room")
    box = page.get_by_label("Room code")
    join = page.get_by_role("button", name="Join")
    problem = page.get_by_test_id("room-problem")

    # Checked before any try is spent: too short, and symbols no code has.
    box.fill("kq7m")
    join.click()
    expect(problem).to_have_text("The room code has 8 letters and numbers; this has 4.")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_be_focused()
    check_accessibility(page, axe_source, "room-problem")
    box.fill("KQ7M-4H0T")
    join.click()
    expect(problem).to_contain_text("Room codes never use 0, 1, I, L or O")

    refusals = [
        (
            404,
            "room_code_not_found",
            "No meeting has that room code.",
            "That code did not work. Check it on the room screen",
        ),
        (
            409,
            "lobby_full",
            "Too many screens are waiting to join this meeting. Ask the chair.",
            "Too many screens are waiting",
        ),
        (
            429,
            "too_many_tries",
            "Too many wrong room codes from this device. Wait 10 minutes and try again, or ask the chair.",
            "Too many wrong room codes from this device. Wait 10 minutes",
        ),
    ]
    for status, code, message, shown in refusals:
        page.route("**/api/lobby", fulfil(status, code, message))
        box.fill("KQ7M-4HXT")
        join.click()
        expect(problem).to_contain_text(shown)
        page.unroute("**/api/lobby")

    # The wait runs out: said so, with a way to start again.
    def waiting_then_expired(route: Route) -> None:
        state = "waiting" if route.request.method == "POST" else "expired"
        if route.request.method == "DELETE":
            route.fulfill(status=204)
            return
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"state": state}))

    page.route("**/api/lobby", waiting_then_expired)
    box.fill("KQ7M-4HXT")
    join.click()
    expect(heading(page)).to_have_text("The wait has ended")
    check_accessibility(page, axe_source, "room-expired")
    page.get_by_role("button", name="Type the room code").click()
    expect(page.get_by_label("Room code")).to_be_focused()
    page.unroute("**/api/lobby")

    # The lobby forgets the screen while it waits (its place was cleared): it says so and asks for the code again.
    def waiting_then_forgotten(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=200, content_type="application/json", body=json.dumps({"state": "waiting"}))
        else:
            route.fulfill(status=204)

    page.route("**/api/lobby", waiting_then_forgotten)
    page.get_by_label("Room code").fill("KQ7M-4HXT")
    page.get_by_role("button", name="Join").click()
    expect(problem).to_have_text("This screen is no longer waiting. Type the room code again.")
    expect(page.get_by_label("Room code")).to_be_focused()
