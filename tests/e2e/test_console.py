"""The chair's console (1366x768): the board first, the People and joining drawer beside it (closed by default),
everyone's connection state live, keyboard shortcuts listed in the page and never firing while typing, the
chair's whole flow by keyboard alone, to the finalised record, and no error in the browser's console on the way
in (the chair's board, a tablet let in from the lobby)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import check_accessibility
from tests.e2e.board_pages import (
    card,
    close_people,
    invite_person,
    join_by_link,
    let_in,
    make_room_code,
    open_people,
    start_meeting,
    texts,
    wait_connected,
)
from tests.e2e.conftest import Screens
from tests.e2e.realistic import CARDS, send_cards

pytestmark = pytest.mark.browser


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the keyboard is on the element matching the selector (the keyboard alone, as a person)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_console_keeps_the_board_first_and_its_people_live(live_server, screens: Screens, axe_source: str) -> None:
    chair = screens.open(width=1366, height=768)
    start_meeting(chair, live_server.url, "Initial conference for Mia and Leo", "Alex Morgan")
    chair.get_by_test_id("phase-next").click()
    send_cards(chair, CARDS[:6])
    expect(chair.get_by_test_id("card")).to_have_count(6)

    # The board first: the drawer is closed, and the first card shows without scrolling.
    expect(chair.get_by_test_id("people-panel")).to_be_hidden()
    expect(chair.get_by_test_id("people-toggle")).to_have_attribute("aria-expanded", "false")
    assert chair.evaluate("() => window.scrollY") == 0
    expect(chair.get_by_test_id("column-worries").get_by_test_id("card").first).to_be_in_viewport()
    for name in ("phase-next", "phase-back", "start-closed-part", "finalise-open", "people-toggle", "shortcuts-toggle"):
        expect(chair.get_by_test_id(name)).to_be_in_viewport()
    check_accessibility(chair, axe_source, "chair-console")

    # Invite states and who is here update by themselves as people join and go.
    link = invite_person(chair, "Jo Patel", "professional", "Northfield School", copy=False, keep_open=True)
    jo = chair.get_by_test_id("person").filter(has_text="Jo Patel")
    expect(jo.get_by_test_id("person-status")).to_have_text("Link not used yet")
    check_accessibility(chair, axe_source, "chair-people")
    professional = screens.open(width=1366, height=768)
    join_by_link(professional, link)
    expect(jo.get_by_test_id("person-status")).to_have_text("Here now")
    expect(jo).to_have_attribute("data-invite", "used")
    # With the drawer open the board is still there, and the drawer closes with Escape.
    expect(chair.get_by_test_id("column-worries").get_by_test_id("card").first).to_be_in_viewport()
    professional.context.close()
    expect(jo.get_by_test_id("person-status")).to_have_text("Joined, not connected now")
    chair.keyboard.press("Escape")
    expect(chair.get_by_test_id("people-panel")).to_be_hidden()
    expect(chair.get_by_test_id("people-toggle")).to_be_focused()

    # Keyboard shortcuts, listed in the page.
    chair.keyboard.press("?")
    help_panel = chair.get_by_test_id("shortcuts-help")
    expect(help_panel.get_by_test_id("shortcut")).to_have_count(11)
    expect(help_panel).to_contain_text("Move the meeting to the next part of the agenda")
    check_accessibility(chair, axe_source, "chair-shortcuts")
    chair.keyboard.press("Escape")
    expect(help_panel).to_have_count(0)
    expect(chair.get_by_test_id("shortcuts-toggle")).to_be_focused()

    title = chair.get_by_test_id("phase-title")
    chair.keyboard.press("n")
    expect(title).to_have_text("What's working well?")
    chair.keyboard.press("b")
    expect(title).to_have_text("What are we worried about?")
    # Never while typing: "n" in a box is a letter.
    box = chair.get_by_test_id("add-text-worries")
    box.click()
    chair.keyboard.type("Mum and Dad shout when they argue")
    expect(box).to_have_value("Mum and Dad shout when they argue")
    expect(title).to_have_text("What are we worried about?")
    # Point everyone at the card the keyboard is on; stop pointing.
    first = chair.get_by_test_id("column-worries").get_by_test_id("card").first
    first.get_by_role("button", name="Edit").focus()
    chair.keyboard.press("p")
    expect(first).to_have_attribute("data-focused", "true")
    chair.keyboard.press("x")
    expect(first).not_to_have_attribute("data-focused", "true")
    # The closed part, on and off.
    chair.keyboard.press("c")
    expect(chair.get_by_test_id("closed-banner")).to_be_visible()
    chair.keyboard.press("c")
    expect(chair.get_by_test_id("closed-banner")).to_have_count(0)
    # The lobby, by key.
    chair.keyboard.press("l")
    expect(chair.get_by_test_id("people-panel")).to_be_visible()
    chair.keyboard.press("Escape")
    # Turned off, they do nothing (and ? still lists them).
    chair.keyboard.press("?")
    chair.get_by_label("Use these shortcuts").uncheck()
    chair.keyboard.press("Escape")
    chair.keyboard.press("n")
    expect(title).to_have_text("What are we worried about?")


def test_the_chairs_whole_flow_by_keyboard(live_server, screens: Screens, axe_source: str) -> None:
    chair = screens.open(width=1366, height=768)
    start_meeting(chair, live_server.url, "Review conference for Mia", "Alex Morgan")
    keys = chair.keyboard
    title = chair.get_by_test_id("phase-title")

    # The children, in the introductions.
    tab_to(chair, "[data-testid=child-name]")
    keys.type("Mia")
    keys.press("Tab")
    keys.type("7")
    keys.press("Enter")
    expect(chair.get_by_test_id("child-label")).to_have_text(["Mia, 7"])

    # The map: a card written and added without the mouse, then pointed at. (Out of the box first: there, "n"
    # is a letter.)
    keys.press("n")
    expect(title).to_have_text("Welcome and introductions")
    tab_to(chair, "button")
    keys.press("n")
    expect(title).to_have_text("What are we worried about?")
    keys.press("a")
    expect(chair.get_by_test_id("add-text-worries")).to_be_focused()
    keys.type("Mia was left alone overnight on 14 October.")
    keys.press("Control+Enter")
    added = card(chair, "Mia was left alone overnight on 14 October.")
    expect(added).to_have_attribute("data-card-id", re.compile(r".+"))
    tab_to(chair, "[data-testid=card] [data-action=edit]")
    keys.press("p")
    expect(added).to_have_attribute("data-focused", "true")
    keys.press("x")

    # A scaling round: opened from its form, revealed from its button.
    keys.press("o")
    expect(chair.get_by_test_id("round-statement")).to_be_focused()
    tab_to(chair, "[data-testid=round-open]")
    keys.press("Enter")
    expect(chair.get_by_test_id("round")).to_have_count(1)
    keys.press("r")
    expect(chair.get_by_test_id("round-reveal")).to_be_focused()
    keys.press("Enter")
    expect(chair.get_by_test_id("round")).to_have_attribute("data-revealed", "true")

    # The decision.
    keys.press("d")
    expect(chair.get_by_test_id("decision-open")).to_be_focused()
    keys.press("Enter")
    form = chair.get_by_test_id("decision-form")
    expect(form.locator("input[type=radio]").first).to_be_focused()  # the form opens with the keyboard in it
    keys.press("ArrowDown")  # the radio group's own keys: "No plan"
    expect(form.locator("input[value=no_plan]")).to_be_checked()
    tab_to(chair, "[data-testid=decision-reasons-input]")
    keys.type("Mum has asked for help and Gran stays every night.")
    keys.press("Control+Enter")
    expect(chair.get_by_test_id("decision-outcome")).to_have_text("No Child Protection plan")

    # Finalise: the confirmation, then the record.
    chair.get_by_test_id("board").focus()
    tab_to(chair, "[data-testid=finalise-open]")
    keys.press("Enter")
    expect(chair.get_by_role("heading", name="Finalise the record?")).to_be_focused()
    check_accessibility(chair, axe_source, "chair-finalise-confirm")
    tab_to(chair, "[data-testid=finalise-now]")
    keys.press("Enter")
    expect(chair.get_by_test_id("finalised-banner")).to_contain_text("This record is finalised")
    expect(chair.get_by_test_id("record-check-result")).to_have_attribute("data-holds", "true")
    expect(texts(chair, "worries")).to_have_text(["Mia was left alone overnight on 14 October."])
    check_accessibility(chair, axe_source, "chair-finalised")
    open_people(chair)
    check_accessibility(chair, axe_source, "chair-people-finalised")
    close_people(chair)


def console_errors(page: Page) -> list[str]:
    """What the page writes to the browser's console as an error from now on (a failed request is one)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def test_the_chair_and_a_tablet_let_in_come_in_without_a_console_error(live_server, screens: Screens) -> None:
    # A page that works normally writes no error to the console: one there is a real fault, and a screen full of
    # harmless ones hides it from whoever looks.
    chair = screens.open(width=1366, height=768)
    chair_errors = console_errors(chair)
    with chair.expect_response(re.compile(r"/room-code$")) as before_any_code:
        meeting_id = start_meeting(chair, live_server.url, "Initial conference for Mia and Leo", "Alex Morgan")
    assert before_any_code.value.ok
    with chair.expect_response(re.compile(r"/room-code$")):
        chair.reload()
    wait_connected(chair)
    code = make_room_code(chair)

    tablet = screens.open(width=1024, height=768)
    tablet_errors = console_errors(tablet)
    with tablet.expect_response(re.compile(r"/api/lobby$")) as not_waiting_yet:
        tablet.goto(f"{live_server.url}/room")
    assert not_waiting_yet.value.ok
    tablet.get_by_label("Room code").fill(code)
    tablet.get_by_role("button", name="Join").click()
    expect(tablet.get_by_test_id("room-heading")).to_have_text("Waiting for the chair to let you in")
    let_in(chair, "Sam Lee", "family")
    expect(tablet).to_have_url(re.compile(rf"/meetings/{meeting_id}$"))
    wait_connected(tablet)
    expect(tablet.get_by_test_id("you")).to_contain_text("Sam Lee (Family)")

    assert chair_errors == []
    assert tablet_errors == []
