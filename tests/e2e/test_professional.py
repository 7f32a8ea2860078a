"""The professional's view: Ctrl+Enter adds wherever a form adds; a card deleted while you edit it keeps your
words right where the card was; and a laptop that loses the network says "Offline" within 3 seconds, keeps what
is typed meanwhile, and sends each change exactly once when the network is back."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import check_accessibility
from tests.e2e.board_pages import (
    card,
    cards,
    chair_and_professional,
    close_people,
    invite_person,
    join_by_link,
    texts,
    wait_connected,
)
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser


def look_at(page: Page, title: str) -> None:
    page.get_by_test_id("agenda").get_by_role("button", name=title).click()


def test_ctrl_enter_adds_wherever_a_form_adds(live_server, screens: Screens, axe_source: str) -> None:
    chair, professional = chair_and_professional(screens, live_server.url)
    chair.evaluate("""() => window.sosBoard.connection.send({type: "add_child", name: "Mia", age: 7})""")

    words = {
        "worries": "Mia has missed 11 school days since September.",
        "working_well": "Gran collects the children every Friday.",
        "needs_to_happen": "Mia goes to school every day, on time.",
    }
    for column, text in words.items():
        box = professional.get_by_test_id(f"add-text-{column}")
        box.fill(text)
        box.press("Control+Enter")
        expect(texts(chair, column)).to_have_text([text])
    expect(professional.get_by_test_id("add-card-worries")).to_contain_text("Ctrl+Enter adds the card.")

    look_at(professional, "What the children say")
    form = professional.get_by_test_id("add-child-words-form")
    form.get_by_label("The child's own words").fill("I like it when Gran does my hair.")
    form.get_by_label("The child's own words").press("Control+Enter")
    expect(
        professional.get_by_test_id("child-words").filter(has_text="I like it when Gran does my hair.")
    ).to_have_count(1)

    look_at(professional, "Danger statements and safety goals")
    form = professional.get_by_test_id("add-statement-form")
    form.get_by_label("What the adults did or may do").fill("Mia and Leo were left alone overnight")
    form.get_by_label("What the adults did or may do").press("Control+Enter")
    statement = professional.get_by_test_id("statement").filter(has_text="left alone overnight")
    expect(statement).to_have_count(1)
    statement.get_by_test_id("goal-open").click()
    goal = statement.get_by_test_id("goal-form")
    goal.get_by_label("What the adults will be doing").fill("A grown-up is at home every night.")
    goal.get_by_label("What the adults will be doing").press("Control+Enter")
    expect(statement.get_by_test_id("goal-words")).to_contain_text("A grown-up is at home every night.")

    look_at(professional, "What needs to happen: the plan")
    member = professional.get_by_test_id("add-member-form")
    member.get_by_label("Name").fill("Rose Lee")
    member.get_by_label("What they have agreed to do").fill("Stays at the flat on Tuesday nights.")
    member.get_by_label("What they have agreed to do").press("Control+Enter")
    expect(professional.get_by_test_id("network-member").filter(has_text="Rose Lee")).to_have_count(1)
    step = professional.get_by_test_id("add-step-form")
    step.get_by_label("What will happen").fill("Jo to visit every Tuesday.")
    step.get_by_label("What will happen").press("Control+Enter")
    expect(professional.get_by_test_id("step").filter(has_text="Jo to visit every Tuesday.")).to_have_count(1)
    step.get_by_label("By when").fill("nothing else")
    step.get_by_label("By when").press("Control+Enter")  # a one-line box too: the form says what is missing
    expect(step.get_by_test_id("form-error")).to_contain_text("Please write what will happen.")
    check_accessibility(professional, axe_source, "professional-plan")


def test_a_card_deleted_while_you_edit_it_keeps_your_words_where_it_was(
    live_server, screens: Screens, axe_source: str
) -> None:
    chair, professional = chair_and_professional(screens, live_server.url)
    for text in ("First worry.", "Second worry.", "Third worry."):
        chair.evaluate(
            """text => window.sosBoard.connection.send({type: "add_card", column: "worries", kind: "harm", text})""",
            text,
        )
    expect(texts(professional, "worries")).to_have_text(["First worry.", "Second worry.", "Third worry."])

    card(professional, "Second worry.").get_by_role("button", name="Edit").click()
    box = professional.get_by_test_id("edit-form").get_by_label("Words on the card")
    box.fill("Second worry, and what the school saw")
    check_accessibility(professional, axe_source, "professional-editing")
    card(chair, "Second worry.").get_by_role("button", name="Delete").click()
    card(chair, "Second worry.").get_by_role("button", name="Yes, delete it").click()
    expect(professional.get_by_test_id("lost-edit")).to_have_count(1)
    professional.keyboard.type(" on Monday.")  # still typing after the card has gone

    # The words stay exactly where the card was: between the first and the third, and the keyboard goes there,
    # so what is typed next is kept too.
    column = professional.get_by_test_id("cards-worries")
    items = column.locator(":scope > li")
    expect(items).to_have_count(3)
    expect(items.nth(1)).to_have_attribute("data-testid", "lost-edit")
    lost = professional.get_by_test_id("lost-edit")
    expect(lost).to_contain_text("Someone deleted this card while you were editing it.")
    expect(lost.get_by_test_id("lost-edit-text")).to_have_value("Second worry, and what the school saw on Monday.")
    expect(lost.get_by_test_id("lost-edit-text")).to_be_focused()
    expect(professional.get_by_test_id("notice")).to_have_count(0)  # not a screen away
    check_accessibility(professional, axe_source, "professional-lost-edit")
    lost.get_by_role("button", name="Add them as a new card").click()
    expect(texts(chair, "worries")).to_have_text(
        ["First worry.", "Second worry, and what the school saw on Monday.", "Third worry."]
    )
    expect(professional.get_by_test_id("lost-edit")).to_have_count(0)


def test_someone_else_editing_a_card_is_shown_on_it_and_nothing_is_locked(live_server, screens: Screens) -> None:
    chair, professional = chair_and_professional(screens, live_server.url)
    chair.evaluate(
        """text => window.sosBoard.connection.send({type: "add_card", column: "worries", kind: "harm", text})""",
        "Mia has missed 11 school days.",
    )
    expect(texts(professional, "worries")).to_have_text(["Mia has missed 11 school days."])

    card(professional, "Mia has missed 11 school days.").get_by_role("button", name="Edit").click()
    note = card(chair, "Mia has missed 11 school days.").get_by_test_id("editing-note")
    expect(note).to_have_text("Jo Patel is editing this card")
    expect(card(professional, "Mia has missed 11 school days.").get_by_test_id("editing-note")).to_have_count(0)

    # Never a lock: the chair edits the same card meanwhile.
    card(chair, "Mia has missed 11 school days.").get_by_role("button", name="Edit").click()
    chair.get_by_test_id("edit-form").get_by_label("Words on the card").fill("Mia has missed 12 school days.")
    chair.get_by_test_id("edit-form").get_by_role("button", name="Save").click()
    expect(texts(chair, "worries")).to_have_text(["Mia has missed 12 school days."])

    professional.get_by_test_id("edit-form").get_by_role("button", name="Cancel").click()
    expect(card(chair, "Mia has missed 12 school days.").get_by_test_id("editing-note")).to_have_count(0)


def test_offline_says_so_within_three_seconds_and_sends_each_edit_once(live_server, screens: Screens) -> None:
    chair, professional = chair_and_professional(screens, live_server.url)
    link = invite_person(chair, "Room 3 screen", "projector", copy=False)
    close_people(chair)
    wall = screens.open(width=1920, height=1080)
    join_by_link(wall, link)
    chair.get_by_test_id("phase-next").click()
    chair.evaluate(
        """text => window.sosBoard.connection.send({type: "add_card", column: "worries", kind: "harm", text})""",
        "Before.",
    )
    expect(texts(professional, "worries")).to_have_text(["Before."])

    # The laptop's network goes: the page says "Offline" within 3 seconds.
    status = professional.get_by_test_id("connection-status")
    started = time.monotonic()
    professional.context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline", timeout=3_000)
    assert time.monotonic() - started < 3.0
    expect(status).to_contain_text("Offline")
    # The others see the laptop leave "Here now" within the same few seconds (the server's pings go unanswered).
    expect(chair.get_by_test_id("presence")).not_to_contain_text("Jo Patel", timeout=6_000)

    # Three edits meanwhile: two new cards and a change to one; kept, and shown as waiting.
    for column, text in (("working_well", "Offline one."), ("needs_to_happen", "Offline two.")):
        box = professional.get_by_test_id(f"add-text-{column}")
        box.fill(text)
        box.press("Control+Enter")
    card(professional, "Before.").get_by_role("button", name="Edit").click()
    professional.get_by_test_id("edit-form").get_by_label("Words on the card").fill("Before, changed offline.")
    professional.get_by_test_id("edit-form").get_by_role("button", name="Save").click()
    expect(professional.get_by_test_id("pending-count")).to_have_text("3 changes are waiting to be sent.")
    expect(card(chair, "Offline one.")).to_have_count(0)

    # The network returns: every other screen shows each edit exactly once.
    professional.context.set_offline(False)
    wait_connected(professional)
    expect(professional.get_by_test_id("pending-count")).to_be_hidden()
    expect(chair.get_by_test_id("presence")).to_contain_text("Jo Patel")
    for page in (chair, wall, professional):
        expect(texts(page, "worries")).to_have_text(["Before, changed offline."])
        expect(texts(page, "working_well")).to_have_text(["Offline one."])
        expect(texts(page, "needs_to_happen")).to_have_text(["Offline two."])
    assert cards(chair, "working_well").count() == 1
    expect(wall.get_by_test_id("card")).to_have_count(3)
    assert re.search(r"Offline", str(status.inner_text())) is None
