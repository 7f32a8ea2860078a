"""The board in real browsers: two or more people on one meeting, each in their own browser context."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.board_pages import (
    add_card,
    card,
    cards,
    chair_and_professional,
    close_people,
    column,
    delete_card,
    edit_card,
    invite_person,
    join_by_link,
    let_in,
    make_room_code,
    move_card_to,
    open_people,
    start_meeting,
    texts,
    wait_connected,
)
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_add_edit_move_delete_show_on_the_other_screen_without_reload(live_server, screens: Screens) -> None:
    chair = screens.open(clipboard_origin=live_server.url)
    start_meeting(chair, live_server.url, "Initial conference, the Lee family", "Alex Morgan")
    link = invite_person(chair, "Jo Patel", "professional", "Northfield School")

    professional = screens.open()
    join_by_link(professional, link)
    # The invite token never stays in the address bar or the history.
    assert "#" not in professional.url
    expect(professional.get_by_test_id("you")).to_contain_text("Jo Patel")
    expect(chair.get_by_test_id("presence")).to_contain_text("Jo Patel")

    # Added on the chair's screen, shown on the professional's.
    add_card(chair, "worries", "Mum was too unwell to take Mia to school for two weeks.")
    expect(texts(professional, "worries")).to_have_text(["Mum was too unwell to take Mia to school for two weeks."])
    expect(card(professional, "Mum was too unwell to take Mia to school for two weeks.")).to_contain_text("Alex Morgan")

    # Edited by the professional, shown on the chair's.
    edit_card(professional, "Mum was too unwell to take Mia to school for two weeks.", "Mia missed ten school days.")
    expect(texts(chair, "worries")).to_have_text(["Mia missed ten school days."])

    # Moved to another column by the chair: the kind follows the column.
    move_card_to(chair, "Mia missed ten school days.", "needs_to_happen")
    expect(texts(professional, "worries")).to_have_count(0)
    expect(texts(professional, "needs_to_happen")).to_have_text(["Mia missed ten school days."])
    expect(card(professional, "Mia missed ten school days.")).to_have_attribute("data-kind", "safety_goal")

    # Deleted by the professional, gone from the chair's.
    delete_card(professional, "Mia missed ten school days.")
    expect(cards(chair, "needs_to_happen")).to_have_count(0)
    expect(cards(professional, "needs_to_happen")).to_have_count(0)


def test_up_and_down_reorder_within_a_column(live_server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    for text in ("First", "Second", "Third"):
        add_card(chair, "working_well", text, "strength")
    target = card(chair, "Third")
    target.get_by_role("button", name="Move", exact=True).click()
    target.get_by_role("button", name="Move up").click()
    expect(texts(chair, "working_well")).to_have_text(["First", "Third", "Second"])
    # The move panel stays open and keeps focus, so a tablet user can tap "Move up" again.
    target.get_by_role("button", name="Move up").click()
    expect(texts(chair, "working_well")).to_have_text(["Third", "First", "Second"])
    expect(target.get_by_role("button", name="Move up")).to_be_disabled()
    target.get_by_role("button", name="Move down").click()
    expect(texts(chair, "working_well")).to_have_text(["First", "Third", "Second"])


def test_family_can_change_only_their_own_cards(live_server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    link = invite_person(chair, "Sam Lee", "family", copy=False)
    add_card(chair, "worries", "Police were called to the house in March.")

    family = screens.open(width=1024, height=768)  # the shared tablet
    join_by_link(family, link)
    professional_card = card(family, "Police were called to the house in March.")
    expect(professional_card).to_be_visible()
    # Nothing to change on someone else's card: only the tablet's own "Read aloud".
    expect(professional_card.get_by_role("button")).to_have_text(["Read aloud"])

    add_card(family, "working_well", "Grandma collects the children every Friday.")
    own = card(family, "Grandma collects the children every Friday.")
    expect(own.get_by_role("button", name="Edit")).to_be_visible()
    expect(own.get_by_role("button", name="Delete")).to_be_visible()
    expect(card(chair, "Grandma collects the children every Friday.")).to_contain_text("Sam Lee")


def test_room_screen_shows_the_map_without_controls(live_server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    link = invite_person(chair, "Room 3 screen", "projector", copy=False)
    add_card(chair, "working_well", "Dad has been to every contact session since June.", "existing_safety")

    room = screens.open(width=1920, height=1080)
    join_by_link(room, link)
    # During the introductions the wall shows how to join and who is here; the map comes with the next part.
    expect(room.get_by_test_id("wall-join")).to_be_visible()
    chair.get_by_test_id("phase-next").click()
    expect(card(room, "Dad has been to every contact session since June.")).to_be_visible()
    expect(room.locator("body")).to_have_class(re.compile(r"\bprojector\b"))
    expect(room.get_by_test_id("board").get_by_role("button")).to_have_count(0)
    expect(room.get_by_test_id("board").locator("textarea:visible")).to_have_count(0)


def test_a_lost_connection_catches_up_and_sends_what_was_typed_meanwhile(live_server, screens: Screens) -> None:
    chair, professional = chair_and_professional(screens, live_server.url)

    # The professional's link drops (as when a laptop leaves the wifi): the page says so in words.
    professional.evaluate("window.sosBoard.connection.suspend()")
    status = professional.get_by_test_id("connection-status")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_contain_text("your changes are kept")

    add_card(chair, "worries", "Added while Jo was away.")
    add_card(professional, "needs_to_happen", "Typed while offline.", "next_step", wait_sent=False)
    queued = card(professional, "Typed while offline.")
    expect(queued).to_have_attribute("data-pending", "add")
    expect(professional.get_by_test_id("pending-count")).to_have_text("1 change is waiting to be sent.")

    # Back online: it resumes with ?since=, gets what it missed, and sends the queued card once.
    professional.evaluate("window.sosBoard.connection.resume()")
    wait_connected(professional)
    expect(texts(professional, "worries")).to_have_text(["Added while Jo was away."])
    expect(texts(chair, "needs_to_happen")).to_have_text(["Typed while offline."])
    expect(texts(professional, "needs_to_happen")).to_have_text(["Typed while offline."])
    expect(professional.get_by_test_id("pending-count")).to_be_hidden()

    # A socket that just closes (no goodbye) is replaced on its own.
    professional.evaluate("window.sosBoard.connection.socket.close()")
    add_card(chair, "working_well", "Added after the socket closed.")
    expect(texts(professional, "working_well")).to_have_text(["Added after the socket closed."])
    wait_connected(professional)


def test_a_server_restart_loses_nothing_that_was_typed(server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, server.url)
    add_card(chair, "worries", "Before the restart.")

    server.kill()
    expect(chair.get_by_test_id("connection-status")).to_have_attribute("data-state", "reconnecting")
    add_card(chair, "working_well", "Typed while the server was down.", wait_sent=False)
    expect(card(chair, "Typed while the server was down.")).to_have_attribute("data-pending", "add")

    server.start()
    wait_connected(chair, timeout=30_000)
    expect(card(chair, "Typed while the server was down.")).to_have_attribute("data-card-id", re.compile(".+"))
    expect(texts(chair, "worries")).to_have_text(["Before the restart."])

    # A fresh screen sees both cards, once each.
    chair.reload()
    wait_connected(chair)
    expect(texts(chair, "working_well")).to_have_text(["Typed while the server was down."])


def test_someone_elses_change_during_an_edit_keeps_your_words(live_server, screens: Screens) -> None:
    chair, professional = chair_and_professional(screens, live_server.url)
    add_card(chair, "needs_to_happen", "Jo to visit weekly.", "next_step")

    card(chair, "Jo to visit weekly.").get_by_role("button", name="Edit").click()
    chair_box = chair.get_by_test_id("edit-form").get_by_label("Words on the card")
    chair_box.fill("Jo to visit every Tuesday, starting 3 December.")

    edit_card(professional, "Jo to visit weekly.", "Jo to visit weekly, after school.")

    conflict = chair.get_by_test_id("edit-conflict")
    expect(conflict).to_contain_text("Someone changed this card")
    expect(chair.get_by_test_id("edit-conflict-current")).to_have_text("Jo to visit weekly, after school.")
    expect(chair_box).to_have_value("Jo to visit every Tuesday, starting 3 December.")

    chair.get_by_test_id("edit-form").get_by_role("button", name="Save").click()
    expect(texts(professional, "needs_to_happen")).to_have_text(["Jo to visit every Tuesday, starting 3 December."])


def test_revoking_a_link_ends_that_session(live_server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    link = invite_person(chair, "Jo Patel", "professional", copy=False)
    professional = screens.open()
    join_by_link(professional, link)

    open_people(chair)
    person = chair.get_by_test_id("person").filter(has_text="Jo Patel")
    person.get_by_role("button", name="Revoke link").click()
    expect(professional.get_by_test_id("end-state")).to_contain_text("Ask the chair for a new link")
    expect(professional.get_by_test_id("board")).to_be_hidden()

    # The old link no longer works.
    stranger = screens.open()
    stranger.goto(link)
    expect(stranger.get_by_test_id("join-heading")).to_have_text("This link no longer works")


def test_leave_clears_the_session_on_a_shared_tablet(live_server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    link = invite_person(chair, "Sam Lee", "family", copy=False)
    add_card(chair, "working_well", "Sam reads to the children every night.")

    tablet = screens.open(width=1024, height=768)
    join_by_link(tablet, link)
    expect(card(tablet, "Sam reads to the children every night.")).to_be_visible()
    # The browser's history keeps the titles of the pages a tablet showed: the case is named on the chair's only.
    expect(chair).to_have_title(re.compile(r".+ · SoS Board$"))
    expect(tablet).to_have_title("SoS Board")

    tablet.get_by_role("button", name="Leave this meeting").click()
    tablet.get_by_role("button", name="Yes, leave").click()
    expect(tablet.get_by_test_id("end-state")).to_contain_text("You have left the meeting")
    expect(tablet.get_by_text("Sam reads to the children every night.")).to_have_count(0)
    expect(chair.get_by_test_id("presence")).not_to_contain_text("Sam Lee")

    tablet.reload()
    expect(tablet.get_by_test_id("end-state")).to_contain_text("Your session has ended")
    expect(tablet.get_by_text("Sam reads to the children every night.")).to_have_count(0)

    # The tablet's history keeps the link's address: whoever picks the tablet up next and opens it gets nothing.
    tablet.goto(link)
    expect(tablet.get_by_role("heading", name="This link no longer works")).to_be_visible()
    expect(tablet.get_by_text("Sam reads to the children every night.")).to_have_count(0)


def test_screenshot_of_a_populated_board(live_server, screens: Screens, tmp_path: Path) -> None:
    """A realistic board mid-conference. With SOSBOARD_WRITE_SCREENSHOT=1 it refreshes docs/screenshot.png for
    the README; otherwise the picture goes to a temporary folder, so a test run never changes tracked files."""
    chair = screens.open(width=1440, height=1000)
    start_meeting(chair, live_server.url, "Review conference for Mia and Leo", "Alex Morgan")
    link = invite_person(chair, "Jo Patel", "professional", "Northfield School", copy=False)
    family_link = invite_person(chair, "Sam Lee", "family", copy=False)
    close_people(chair)
    professional = screens.open()
    join_by_link(professional, link)
    family = screens.open()
    join_by_link(family, family_link)

    add_card(chair, "worries", "Mia and Leo were left alone overnight on 14 October.", "harm")
    add_card(
        professional,
        "worries",
        "Mum's depression makes mornings hard; the children are often late to school.",
        "complicating_factor",
    )
    add_card(family, "worries", "Whether Dad should have the children at weekends.", "grey_area")
    add_card(family, "working_well", "Grandma Rose collects the children every Friday.", "strength")
    add_card(
        professional,
        "working_well",
        "Mum has taken Mia to every health appointment since June.",
        "existing_safety",
    )
    add_card(
        chair,
        "needs_to_happen",
        "Mia and Leo always have a grown-up they know at home at night.",
        "safety_goal",
    )
    add_card(professional, "needs_to_happen", "Jo to visit every Tuesday after school, from 3 December.", "next_step")
    expect(cards(chair, "worries")).to_have_count(3)
    expect(chair.get_by_test_id("presence").locator("li")).to_have_count(3)
    expect(column(chair, "needs_to_happen").get_by_test_id("card")).to_have_count(2)

    chair.mouse.move(0, 0)  # no hover highlight in the picture
    write_docs = os.environ.get("SOSBOARD_WRITE_SCREENSHOT") == "1"
    path = ROOT / "docs" / "screenshot.png" if write_docs else tmp_path / "screenshot.png"
    chair.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_leaving_a_shared_tablet_offline_clears_the_screen_and_says_to_ask_the_chair(
    live_server, screens: Screens
) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    link = invite_person(chair, "Sam Lee", "family", copy=False)
    add_card(chair, "working_well", "Sam reads to the children every night.")
    tablet = screens.open(width=1024, height=768)
    join_by_link(tablet, link)
    expect(card(tablet, "Sam reads to the children every night.")).to_be_visible()

    tablet.context.set_offline(True)
    tablet.get_by_role("button", name="Leave this meeting").click()
    tablet.get_by_role("button", name="Yes, leave").click()
    expect(tablet.get_by_test_id("end-state")).to_contain_text("You have left the meeting")
    expect(tablet.get_by_test_id("end-warning")).to_contain_text("This screen could not reach the server")
    expect(tablet.get_by_test_id("end-warning")).to_contain_text("ask the chair to end this screen's link")
    expect(tablet.get_by_text("Sam reads to the children every night.")).to_have_count(0)
    expect(tablet).to_have_title("SoS Board")

    # Back online: the page tells the server it left, and never opens the meeting again.
    tablet.context.set_offline(False)
    expect(chair.get_by_test_id("presence")).not_to_contain_text("Sam Lee")
    expect(tablet.get_by_test_id("end-warning")).to_have_count(0)
    expect(tablet.get_by_test_id("end-state")).to_contain_text("You have left the meeting")
    tablet.reload()
    expect(tablet.get_by_test_id("end-state")).to_contain_text("Your session has ended")
    expect(tablet.get_by_text("Sam reads to the children every night.")).to_have_count(0)


def test_words_typed_as_one_long_word_wrap_on_every_screen_and_no_page_scrolls_sideways(
    live_server, screens: Screens
) -> None:
    """A title, a name or a card typed as one word longer than the screen (a pasted link, a held-down key) breaks
    where it must: the title widened the chair's, the tablet's and the wall's whole page past the screen."""
    chair = screens.open(width=1366, height=768)
    start_meeting(chair, live_server.url, "Review " + "T" * 190, "Alex " + "M" * 70)
    link = invite_person(chair, "Sam " + "L" * 70, "family", copy=False)
    close_people(chair)
    long_card = "Long " + "Z" * 400
    add_card(chair, "worries", long_card)
    tablet = screens.open(width=1024, height=768)
    join_by_link(tablet, link)
    code = make_room_code(chair)
    wall = screens.open(width=1920, height=1080)
    wall.goto(f"{live_server.url}/room#{code}")
    let_in(chair, "Room " + "R" * 70, "projector")
    wait_connected(wall)
    close_people(chair)
    for page in (chair, tablet, wall):
        expect(card(page, long_card)).to_have_count(1)
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= page.viewport_size["width"], (page.viewport_size, width)
