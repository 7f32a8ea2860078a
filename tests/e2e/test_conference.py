"""A whole initial Child Protection conference on the four screens in the room, in headless Chromium:
the chair's laptop (1366x768), a professional's laptop (1366x768), the family's tablet (1024x768) and the room
screen (1920x1080). At each phase, each screen shows what its person should see, and nothing they should not."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.board_pages import add_card, card, edit_card, texts
from tests.e2e.conference_pages import (
    PRIVATE_MESSAGE,
    Room,
    add_child,
    add_child_words,
    add_decision_note,
    add_network_member,
    add_statement,
    add_step,
    answer,
    answer_for,
    attendee_row,
    body_text,
    child_decision,
    expect_phase,
    fill_step,
    give_view,
    jump_to,
    next_phase,
    open_conference,
    open_round,
    part,
    record_attendee,
    record_decision,
    round_item,
    statement,
    step,
    words_item,
    write_goal,
)
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser

SECRET_WORDS = "VOICE-CANARY: I hide under the bed when they shout"
SHARED_WORDS = "I love going to the park with Grandma Rose"
CLOSED_CANARY = "CLOSED-CANARY: police intelligence about a new partner"
LIFTED = "Dad has moved out, and Mum has changed the locks."
STATEMENT_1 = "Mia and Leo were left alone overnight on 14 October"
STATEMENT_2 = "Mum and Dad shout and throw things when they argue, while the children are in the house"


def test_a_whole_conference_on_four_screens(live_server, screens: Screens) -> None:
    room = open_conference(screens, live_server.url)
    chair, professional, family, wall = room.all

    # ---- 1. Welcome and introductions: the children, and everyone in the room -----------------------------
    expect_phase(room, "Welcome and introductions")
    for page in room.all:
        expect(page.get_by_test_id("phase-prompt")).to_contain_text("Everyone says who they are")
        expect(part(page, "attendance")).to_be_visible()
    add_child(chair, "Mia", 7)
    add_child(chair, "Leo", 4)
    record_attendee(chair, "Dr Priya Shah", "Health visitor", "Northfield Health", report_sent=True)
    record_attendee(chair, "PC Tom Reed", "Police officer", "Police", status="apologies", report_sent=True)
    # People on a device say they are here; the chair confirms them.
    professional.get_by_test_id("check-in").click()
    family.get_by_role("button", name="Tell the chair you are here").click()
    for name in ("Jo Patel", "Sam Lee"):
        row = attendee_row(chair, name)
        expect(row.get_by_test_id("unconfirmed")).to_be_visible()
        row.get_by_role("button", name="Confirm").click()
        expect(row).to_have_attribute("data-confirmed", "true")
    expect(family.get_by_test_id("checked-in")).to_have_text("You are marked as here.")
    for page in room.all:
        expect(page.get_by_test_id("child-label")).to_have_text(["Mia, 7", "Leo, 4"])
        expect(attendee_row(page, "PC Tom Reed")).to_contain_text("Sent apologies")
        expect(attendee_row(page, "Dr Priya Shah")).to_contain_text("Report sent")
    expect(wall.get_by_test_id("board").get_by_role("button")).to_have_count(0)

    # A timer for this part: every screen counts down by itself.
    chair.get_by_label("Minutes for this part").fill("10")
    chair.get_by_test_id("timer-start").click()
    for page in room.all:
        expect(page.get_by_test_id("phase-timer")).to_have_text(re.compile(r"^(10:00|9:\d\d) left$"))

    # ---- 2. Worries, 3. What's working well: cards; who wrote what --------------------------------------------
    next_phase(chair, "What are we worried about?")
    expect_phase(room, "What are we worried about?")
    for page in room.all:
        expect(page.get_by_test_id("column-worries")).to_have_attribute("aria-current", "true")
        expect(page.get_by_test_id("phase-timer")).to_have_count(0)
    add_card(professional, "worries", "Mia has missed 11 school days since September.", "harm")
    add_card(family, "worries", "Whether Dad should have the children at weekends.", "grey_area")
    next_phase(chair, "What's working well?")
    expect_phase(room, "What's working well?")
    add_card(family, "working_well", "Grandma Rose collects the children every Friday.", "strength")
    edit_card(
        chair, "Grandma Rose collects the children every Friday.", "Grandma Rose collects Mia and Leo every Friday."
    )
    for page in room.all:
        expect(texts(page, "worries")).to_have_text(
            ["Mia has missed 11 school days since September.", "Whether Dad should have the children at weekends."]
        )
        # Written by the family, changed by the chair: both names show.
        expect(
            card(page, "Grandma Rose collects Mia and Leo every Friday.").get_by_test_id("card-author")
        ).to_have_text(re.compile(r"^Sam Lee( \(you\))?, changed by Alex Morgan$"))

    # ---- 4. The children's words: without the child's consent they never reach the family or the wall ---------
    next_phase(chair, "What the children say")
    expect_phase(room, "What the children say")
    add_child_words(professional, "Mia", "worries", SECRET_WORDS, shared=False)
    add_child_words(professional, "Mia", "dreams", SHARED_WORDS, shared=True)
    for page in room.full_view:
        expect(words_item(page, SECRET_WORDS)).to_contain_text("the child did not agree")
        expect(words_item(page, SHARED_WORDS)).to_be_visible()
    for page in room.kept_from_family:
        expect(words_item(page, SHARED_WORDS)).to_be_visible()  # later than the secret words: those were filtered
        expect(page.locator("body")).not_to_contain_text("VOICE-CANARY")

    # ---- 5. Danger statements and safety goals --------------------------------------------------------------
    next_phase(chair, "Danger statements and safety goals")
    expect_phase(room, "Danger statements and safety goals")
    add_statement(
        professional,
        "Jo Patel (school) and Dr Priya Shah (health)",
        STATEMENT_1,
        "They were frightened and hungry, and Mia missed school the next day.",
        "The children could be hurt, or start a fire, with no adult to help them.",
        ("Mia", "Leo"),
    )
    add_statement(
        professional,
        "Jo Patel (school)",
        STATEMENT_2,
        "Mia says she cannot sleep and is scared to go home.",
        "The children could be hurt by something thrown, and will keep living in fear.",
        ("Mia", "Leo"),
    )
    write_goal(
        professional,
        STATEMENT_1,
        "Mum and Dad will make sure a grown-up the children know is at home every night.",
        "Mia and Leo will always have someone to go to at night.",
        "Unannounced evening visits find an adult at home.",
        "Six months",
    )
    write_goal(
        professional,
        STATEMENT_2,
        "Mum and Dad will argue away from the children, and Gran will take them out when it starts.",
        "The house will feel calm and Mia will sleep.",
        "School sees Mia rested and on time.",
        "Six months",
    )
    # The family says what they think of the first statement, in their own words.
    statement(family, STATEMENT_1).get_by_test_id("family-view-open").click()
    give_view(family, statement(family, STATEMENT_1), "I partly agree", "It happened once, when I was in hospital.")
    for page in room.all:
        expect(statement(page, STATEMENT_1).get_by_test_id("family-view-words")).to_have_text(
            "Partly agrees: “It happened once, when I was in hospital.”"
        )
        expect(page.get_by_test_id("statement")).to_have_count(2)
        expect(statement(page, STATEMENT_2).get_by_test_id("goal-words")).to_contain_text("Gran will take them out")

    # Two people edit the same statement: the one still typing sees the other's change at once, keeps their
    # words, and saves over it knowingly.
    item = str(statement(professional, STATEMENT_2).get_attribute("data-item"))  # its words move into the form
    statement(professional, STATEMENT_2).get_by_test_id("statement-edit").click()
    pro_form = professional.locator(f'[data-item="{item}"]').get_by_test_id("statement-edit-form")
    pro_form.get_by_label("The impact on the child").fill("Mia cannot sleep, and Leo wets the bed again.")
    statement(chair, STATEMENT_2).get_by_test_id("statement-edit").click()
    chair_form = chair.locator(f'[data-item="{item}"]').get_by_test_id("statement-edit-form")
    chair_form.get_by_label("Who is worried").fill("Jo Patel (school) and the chair")
    chair_form.get_by_role("button", name="Save").click()
    expect(pro_form.get_by_test_id("form-conflict")).to_contain_text("Someone changed this")
    expect(pro_form.get_by_label("The impact on the child")).to_have_value(
        "Mia cannot sleep, and Leo wets the bed again."
    )
    pro_form.get_by_role("button", name="Save").click()
    for page in room.all:
        expect(statement(page, STATEMENT_2).get_by_test_id("statement-impact")).to_have_text(
            "Mia cannot sleep, and Leo wets the bed again."
        )
        expect(statement(page, STATEMENT_2).get_by_test_id("statement-who_is_worried")).to_have_text(
            "Jo Patel (school) and the chair"
        )

    # The chair points everyone at the second statement: the wall scrolls to it and highlights it.
    statement(chair, STATEMENT_2).get_by_test_id("point-here").click()
    focused = statement(wall, STATEMENT_2)
    expect(focused).to_have_attribute("data-focused", "true")
    expect(focused).to_be_in_viewport()
    expect(professional.get_by_test_id("pointed-at")).to_contain_text(STATEMENT_2)

    # ---- 6. Safety scale: nobody sees another's answer before the reveal ------------------------------------
    next_phase(chair, "Safety scale")
    expect_phase(room, "Safety scale")
    open_round(chair, "start")
    answer(family, "Start", 6, "FAMILY-START: we have Gran now")
    answer(professional, "Start", 3, "PRO-START: still no plan for nights")
    answer_for(chair, "Start", "Dr Priya Shah", 4, "HEALTH-START: Mum is getting treatment")
    for page in room.all:
        expect(round_item(page, "Start").get_by_test_id("answered")).to_contain_text("Answered (3)")
    own = {family: "FAMILY-START", professional: "PRO-START", chair: "HEALTH-START"}
    for page in room.all:
        for author, marker in own.items():
            if page is not author:
                assert marker not in body_text(page), f"{marker} reached another screen before the reveal"
    round_item(chair, "Start").get_by_test_id("round-reveal").click()
    start_chart = expect_same_chart(room, rows=3, rounds=["Start"])
    assert "FAMILY-START: we have Gran now" in start_chart and "(entered by the chair)" in start_chart

    # ---- A closed part: the family steps out; nothing said then reaches their tablet or the wall --------------
    chair.get_by_test_id("start-closed-part").click()
    for page in room.kept_from_family:
        expect(page.get_by_test_id("private-screen")).to_have_text(PRIVATE_MESSAGE)
        expect(page.locator("body")).to_have_text(PRIVATE_MESSAGE, use_inner_text=True)
    expect(chair.get_by_test_id("closed-banner")).to_be_visible()
    # The chair looks at the attendance list without moving the meeting: the family's stepping out is recorded.
    chair.get_by_test_id("agenda").get_by_role("button", name="Welcome and introductions").click()
    expect(chair.get_by_test_id("looking-elsewhere")).to_contain_text("The meeting has not moved")
    expect(attendee_row(chair, "Sam Lee")).to_contain_text(re.compile(r"Stepped out at \d\d:\d\d"))
    expect(professional.get_by_test_id("phase-title")).to_have_text("Safety scale")
    chair.get_by_test_id("follow-meeting").click()
    expect(part(chair, "scaling")).to_be_visible()
    add_card(chair, "worries", CLOSED_CANARY, "complicating_factor")
    add_card(chair, "working_well", LIFTED, "existing_safety")
    expect(card(professional, CLOSED_CANARY).get_by_test_id("private-badge")).to_be_visible()
    chair.get_by_test_id("end-closed-part").click()
    for page in room.kept_from_family:
        expect(page.get_by_test_id("phase-title")).to_have_text("Safety scale")
        expect(texts(page, "worries")).to_have_text(
            ["Mia has missed 11 school days since September.", "Whether Dad should have the children at weekends."]
        )
        expect(page.locator("body")).not_to_contain_text("CLOSED-CANARY")
        expect(page.locator("body")).not_to_contain_text(LIFTED)
    # The chair lifts the restriction on one of them: it appears on every screen.
    card(chair, LIFTED).get_by_test_id("lift-restriction").click()
    for page in room.all:
        expect(card(page, LIFTED)).to_be_visible()
    expect(card(professional, LIFTED).get_by_test_id("private-badge")).to_have_count(0)
    # Dr Shah leaves early: recorded with the time.
    jump_to(chair, "Welcome and introductions")
    attendee_row(chair, "Dr Priya Shah").get_by_test_id("attendee-left").click()
    for page in room.all:
        expect(attendee_row(page, "Dr Priya Shah").get_by_test_id("attendee-status-words")).to_have_text(
            re.compile(r"^Left at \d\d:\d\d$")
        )
    # "Back" returns to where the meeting was, in one click.
    chair.get_by_test_id("phase-back").click()
    expect_phase(room, "Safety scale")

    # ---- 7. The plan: the safety network, next steps, the next meetings ----------------------------------------
    next_phase(chair, "What needs to happen: the plan")
    expect_phase(room, "What needs to happen: the plan")
    add_network_member(
        professional, "Rose Lee", "Gran", "Has Mia and Leo to stay every Tuesday night, and on call at night."
    )
    add_step(professional, "Visit every Tuesday after school", "Jo Patel", "2026-12-15", "Jo's visit notes")
    add_step(professional, "Take the children out when an argument starts", "Rose Lee", "From now on", "Mia tells Jo")
    chair.get_by_label("Review conference date").fill("2027-02-24")
    chair.get_by_label("Core group date").fill("2026-12-09")
    chair.get_by_test_id("dates-save").click()
    for page in room.all:
        expect(page.get_by_test_id("network-member")).to_contain_text(["Rose Lee, Gran"])
        expect(step(page, "Visit every Tuesday after school").get_by_test_id("step-who")).to_have_text("Jo Patel")
        expect(step(page, "Take the children out when an argument starts").get_by_test_id("step-who")).to_have_text(
            "Rose Lee"
        )
        expect(page.get_by_test_id("review-date")).to_have_text(re.compile(r"^Wednesday,? 24 February 2027$"))
        expect(page.get_by_test_id("core-group-date")).to_have_text(re.compile(r"^Wednesday,? 9 December 2026$"))

    # A refusal is shown where the person is looking, and keeps their words: the professional's laptop drops
    # off the network, they change Gran's entry meanwhile, the chair changes it too; back online, the queued
    # edit is refused as stale, and the form opens again with their words and the chair's change side by side.
    professional.evaluate("window.sosBoard.connection.suspend()")
    expect(professional.get_by_test_id("connection-status")).to_have_attribute("data-state", "offline")
    member = professional.get_by_test_id("network-member").filter(has_text="Rose Lee")
    member.get_by_role("button", name="Edit").click()
    editing = professional.get_by_test_id("member-edit-form")
    editing.get_by_label("Who they are to the family").fill("Gran (Mum's mum)")
    editing.get_by_role("button", name="Save").click()
    expect(professional.get_by_test_id("pending-count")).to_have_text("1 change is waiting to be sent.")
    chair_member = chair.get_by_test_id("network-member").filter(has_text="Rose Lee")
    chair_member.get_by_role("button", name="Edit").click()
    chair_editing = chair.get_by_test_id("member-edit-form")
    chair_editing.get_by_label("What they have agreed to do").fill("Has Mia and Leo every Tuesday night; on call.")
    chair_editing.get_by_role("button", name="Save").click()
    expect(chair.get_by_test_id("network-member")).to_contain_text(
        ["Has agreed to: Has Mia and Leo every Tuesday night; on call."]
    )
    professional.evaluate("window.sosBoard.connection.resume()")
    refused = professional.get_by_test_id("member-edit-form")
    expect(refused.get_by_test_id("form-conflict")).to_contain_text("Someone changed this safety network member")
    expect(refused.get_by_label("Who they are to the family")).to_have_value("Gran (Mum's mum)")
    expect(refused.get_by_label("What they have agreed to do")).to_have_value(
        "Has Mia and Leo every Tuesday night; on call."
    )
    refused.get_by_role("button", name="Save").click()
    for page in room.all:
        expect(page.get_by_test_id("network-member")).to_contain_text(["Rose Lee, Gran (Mum's mum)"])
        expect(page.get_by_test_id("network-member")).to_contain_text(["on call."])

    # The chair moves on while the professional is typing: their words stay, where they were.
    fill_step(professional, "Mum to see her GP about sleep", "Someone else", "Before the review", "Mum tells Jo")
    professional.get_by_test_id("add-step-form").get_by_label("Their name").fill("Mum")
    professional.get_by_test_id("add-step-form").get_by_label("What will happen").focus()
    next_phase(chair, "Decision")
    expect_phase(room, "Decision")
    expect(professional.get_by_test_id("moved-note")).to_contain_text("The meeting has moved on to “Decision”")
    expect(professional.get_by_test_id("add-step-form").get_by_label("What will happen")).to_have_value(
        "Mum to see her GP about sleep"
    )
    professional.get_by_test_id("add-step-form").get_by_role("button", name="Add the step").click()
    expect(step(professional, "Mum to see her GP about sleep").get_by_test_id("step-who")).to_have_text("Mum")
    professional.get_by_test_id("follow-meeting").click()
    expect(part(professional, "decision")).to_be_visible()

    # ---- 8. The decision, per child ----------------------------------------------------------------------------
    for page in room.all:
        expect(part(page, "decision")).to_be_visible()
    record_decision(chair, "Mia", ("Neglect", "Emotional abuse"), "Left alone at night, and living with fear at home.")
    record_decision(chair, "Leo", ("Neglect",), "Left alone at night.")
    add_decision_note(chair, "Mia", "recommendation", "Northfield School", "Mia's attendance and worry", ("Neglect",))
    add_decision_note(
        chair, "Mia", "dissent", "PC Tom Reed (Police, by report)", "Thinks a Child in Need plan is enough."
    )
    child_decision(family, "Mia").get_by_test_id("decision-view-open").click()
    give_view(family, child_decision(family, "Mia"), "I don't agree", "We have Gran now, and I am getting help.")
    for page in room.all:
        mia = child_decision(page, "Mia")
        expect(mia.get_by_test_id("decision-outcome")).to_have_text("Child Protection plan (Neglect, Emotional abuse)")
        expect(mia.get_by_test_id("decision-note")).to_have_count(2)
        expect(mia.get_by_test_id("decision-family-view")).to_contain_text(
            "Does not agree: “We have Gran now, and I am getting help.”"
        )
        expect(child_decision(page, "Leo").get_by_test_id("decision-outcome")).to_have_text(
            "Child Protection plan (Neglect)"
        )

    # ---- Back to the scale for the end round, then close ---------------------------------------------------
    jump_to(chair, "Safety scale")
    expect_phase(room, "Safety scale")
    open_round(chair, "end")
    answer(family, "End", 7, "FAMILY-END: the plan helps")
    answer(professional, "End", 5, "PRO-END: nights are covered")
    for page in (chair, wall):
        expect(round_item(page, "End").get_by_test_id("answered")).to_contain_text("Answered (2): Sam Lee, Jo Patel")
        assert "FAMILY-END" not in body_text(page) and "PRO-END" not in body_text(page)
    round_item(chair, "End").get_by_test_id("round-reveal").click()
    chart = expect_same_chart(room, rows=3, rounds=["Start", "End"])
    assert "PRO-END: nights are covered" in chart
    chair.get_by_test_id("phase-back").click()
    expect_phase(room, "Decision")
    jump_to(chair, "Close")
    expect_phase(room, "Close")

    # Over the whole meeting, nothing restricted ever reached the family's tablet or the wall.
    for page in room.kept_from_family:
        text = body_text(page)
        assert "CLOSED-CANARY" not in text and "VOICE-CANARY" not in text
    for page in room.full_view:
        expect(card(page, CLOSED_CANARY)).to_be_visible()

    # The family leave; a screen opened afterwards still names them as the author of their words.
    family.get_by_role("button", name="Leave this meeting").click()
    family.get_by_role("button", name="Yes, leave").click()
    expect(family.get_by_test_id("end-state")).to_contain_text("You have left the meeting")
    expect(chair.get_by_test_id("presence")).not_to_contain_text("Sam Lee")
    wall.reload()
    expect(card(wall, "Grandma Rose collects Mia and Leo every Friday.").get_by_test_id("card-author")).to_have_text(
        "Sam Lee, changed by Alex Morgan"
    )


def expect_same_chart(room: Room, rows: int, rounds: list[str]) -> str:
    """After a reveal, every screen shows the same chart; returns its text."""
    for page in room.all:
        chart = page.get_by_test_id("scaling-chart")
        expect(chart.locator("thead th")).to_have_text(["Person", "Role", *(f"{r} (0 to 10)" for r in rounds)])
        expect(chart.get_by_test_id("chart-row")).to_have_count(rows)
    charts = [str(page.get_by_test_id("scaling-chart").inner_text()) for page in room.all]
    assert charts[1:] == charts[:1] * 3, charts
    return charts[0]


def test_answers_still_being_written_when_the_chair_shows_them_are_kept(live_server, screens: Screens) -> None:
    room = open_conference(screens, live_server.url)
    chair, professional, family = room.chair, room.professional, room.family
    add_child(chair, "Mia", 7)
    jump_to(chair, "Safety scale")
    open_round(chair, "start")
    answer(professional, "Start", 2, "Sent before the reveal.")
    # Before showing them, the chair sees how many of the people here on a screen have answered.
    expect(round_item(chair, "Start").get_by_test_id("round-answered-here")).to_have_text(
        "1 of the 3 people here on a screen has answered."
    )
    # Jo changes their answer, and the parent chooses one; neither sends it.
    for page, value, words in ((family, "6", "Because Gran is "), (professional, "3", "Nights are still ")):
        form = round_item(page, "Start").get_by_test_id("answer-form")
        form.get_by_test_id("answer-scale").get_by_text(value, exact=True).click()
        form.get_by_test_id("answer-reason").fill(words)  # the keyboard stays in the box, at the end

    round_item(chair, "Start").get_by_test_id("round-reveal").click()
    family.keyboard.type("helping.")  # still typing as the answers are shown
    professional.keyboard.type("not covered.")

    for page, value, words in (
        (family, "6", "Because Gran is helping."),
        (professional, "3", "Nights are still not covered."),
    ):
        kept = round_item(page, "Start").get_by_test_id("lost-edit")
        expect(kept).to_contain_text("The chair showed everyone's answers before yours was sent")
        expect(kept).to_contain_text(f"You had chosen {value}.")
        expect(kept.get_by_test_id("lost-edit-text")).to_have_value(words)
        expect(kept.get_by_test_id("lost-edit-text")).to_be_focused()
        expect(round_item(page, "Start").get_by_test_id("answer-form")).to_have_count(0)
    expect(round_item(chair, "Start").get_by_test_id("lost-edit")).to_have_count(0)
    expect(chair.get_by_test_id("scaling-chart")).to_contain_text("Sent before the reveal.")

    round_item(family, "Start").get_by_test_id("lost-edit-dismiss").click()
    expect(round_item(family, "Start").get_by_test_id("lost-edit")).to_have_count(0)
