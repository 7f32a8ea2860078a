"""The end of a conference, on the four screens in the room: the chair checks what the record is missing, fixes it,
finalises; every screen shows it and offers no editing; a change sent anyway is refused in plain words; the chair
adds an addendum, downloads the record (its PDF read back and its first page printed to test-artifacts/) and the
family's copy (no restricted words in it); the family's tablet and the room screen say goodbye, then forget the
meeting, leaving nothing of it in the browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ServerProcess
from tests.e2e.axe import check_accessibility
from tests.e2e.board_pages import add_card, card, close_people, invite_person, open_people
from tests.e2e.conference_pages import (
    add_child,
    add_statement,
    child_decision,
    fill_step,
    jump_to,
    open_conference,
    part,
    record_decision,
    step,
    write_goal,
)
from tests.e2e.conftest import Screens
from tests.exports._pdf import assert_printed_a4_page, first_page_png, pages_text

pytestmark = pytest.mark.browser

TITLE = "Initial conference for Mia and Leo"  # open_conference's title: it names the children
STATEMENT = "Mia was left alone all night on 14 October"
DECISION_REASONS = "Mia was left alone at night, with nobody to call."
FIRST_STEP = "Gran stays at the house every Tuesday night"
CANARY = "CLOSED-CANARY: a worry about the new partner"
ADDENDUM = "Mia is 8, not 7: her birthday was in October."
LATE_CARD = "LATE-CARD: written after the end"
EDITING = re.compile(r"^(Edit|Delete|Add|Remove|Move|Record|Change|Save|Start|Open|Reveal|Confirm)")


@pytest.fixture(scope="module")
def record_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose finalised screens close after 5 seconds (30 by default), keeping meetings for 7 years."""
    database = tmp_path_factory.mktemp("record") / "board.db"
    process = ServerProcess(
        f"sqlite+aiosqlite:///{database}", finalised_screens_close_seconds="5", retention_days="2555"
    ).start()
    try:
        yield process
    finally:
        process.stop()


def test_the_chair_finalises_and_every_screen_keeps_only_what_it_should(
    record_server: ServerProcess, screens: Screens, axe_source: str
) -> None:
    room = open_conference(screens, record_server.url)
    chair, professional, family, wall = room.all
    board_url = chair.url

    # ---- a short conference: a child, a danger statement with its goal, a closed part, a plan step --------
    add_child(chair, "Mia", 7)
    jump_to(chair, "Danger statements and safety goals")
    add_statement(
        professional,
        "Jo Patel (school)",
        STATEMENT,
        "She was frightened and hungry.",
        "She could be hurt with no adult to help her.",
        ("Mia",),
    )
    write_goal(
        professional,
        STATEMENT,
        "A grown-up Mia knows is at home every night.",
        "Mia always has someone to go to at night.",
        "Evening visits find an adult at home.",
        "Six months",
    )
    chair.get_by_test_id("start-closed-part").click()
    expect(family.get_by_test_id("private-screen")).to_be_visible()
    add_card(chair, "worries", CANARY, "complicating_factor")
    chair.get_by_test_id("end-closed-part").click()
    expect(family.get_by_test_id("phase-title")).to_have_text("Danger statements and safety goals")
    # The chair's own screen shows the closed part over before the chair moves on (the family's may show it first).
    expect(chair.get_by_test_id("start-closed-part")).to_be_visible()
    jump_to(chair, "What needs to happen: the plan")
    fill_step(professional, FIRST_STEP, "Someone else", "From next week", "Mia tells Jo on Wednesday")
    form = professional.get_by_test_id("add-step-form")
    form.get_by_label("Their name").fill("Rose Lee (Gran)")
    form.get_by_role("button", name="Add the step").click()
    expect(step(professional, FIRST_STEP).get_by_test_id("step-who")).to_have_text("Rose Lee (Gran)")
    jump_to(chair, "Close")
    late_link = invite_person(chair, "Rose Lee", "family", copy=False)  # a link not opened before the end
    close_people(chair)

    # ---- the chair's confirmation lists what is missing, with a way to each; fixed, the list is empty -----
    expect(chair.get_by_test_id("finalise-area")).to_contain_text("Finish the meeting")
    chair.get_by_test_id("finalise-open").click()
    confirm = chair.get_by_test_id("finalise-confirm")
    expect(confirm.get_by_role("heading", name="Finalise the record?")).to_be_focused()
    missing = confirm.get_by_test_id("missing-item")
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text("Mia has no decision yet.")
    missing.get_by_role("button", name="Record the decision").click()
    expect(part(chair, "decision")).to_be_visible()
    expect(child_decision(chair, "Mia").get_by_test_id("decision-open")).to_be_focused()
    expect(chair.get_by_test_id("phase-title")).to_have_text("Close")  # looking, not moving the meeting
    record_decision(chair, "Mia", ("Neglect",), DECISION_REASONS)
    chair.get_by_test_id("finalise-open").click()
    expect(confirm.get_by_test_id("finalise-nothing-missing")).to_contain_text("Nothing is missing")
    expect(confirm.get_by_test_id("missing-item")).to_have_count(0)
    confirm.get_by_role("button", name="Finalise now").click()

    # ---- the family's tablet and the room screen: goodbye, and the family's copy with its caution ---------
    for page in (family, wall):
        expect(page.get_by_test_id("finished-screen")).to_contain_text("The meeting is finished. Thank you.")
        expect(page.get_by_test_id("finished-screen")).to_contain_text("This record is finalised")
        expect(page.get_by_test_id("finished-forget")).to_contain_text("will forget the meeting shortly")
    expect(family.get_by_test_id("family-copy-pdf")).to_have_attribute("href", re.compile(r"/record\.pdf$"))
    expect(family.get_by_test_id("family-copy-note")).to_have_text(
        "If this is a shared tablet, ask the chair for a printed copy instead."
    )
    expect(wall.get_by_test_id("family-copy")).to_have_count(0)
    check_accessibility(family, axe_source, "tablet-finished")
    check_accessibility(wall, axe_source, "wall-finished")

    # ---- the chair and the professional: finalised, nothing to edit anywhere --------------------------------
    for page in room.full_view:
        expect(page.get_by_test_id("finalised-banner")).to_contain_text("This record is finalised")
        expect(page.get_by_test_id("chair-controls")).to_have_count(0)
    expect(chair.locator("#finalised-heading")).to_be_focused()  # the chair's focus follows what they did
    # The professional looks back at the parts they wrote in: everything reads, nothing offers a change.
    shown = {"Close": FIRST_STEP, "Danger statements and safety goals": STATEMENT, "Decision": DECISION_REASONS}
    for title, words in shown.items():
        professional.get_by_test_id("agenda").get_by_role("button", name=title).click()
        board = professional.get_by_test_id("board")
        expect(board.get_by_test_id("part-panel")).to_contain_text(words)
        expect(board.locator("form, textarea, input, select")).to_have_count(0)
        expect(board.get_by_role("button", name=EDITING)).to_have_count(0)
    expect(chair.get_by_test_id("board").locator("form")).to_have_count(1)  # the addendum's, and nothing else
    expect(chair.get_by_test_id("board").get_by_test_id("addendum-form")).to_be_visible()
    open_people(chair)
    expect(chair.get_by_test_id("people-finalised")).to_contain_text("nobody can be added to this meeting")
    expect(chair.get_by_test_id("add-person-form")).to_have_count(0)
    close_people(chair)

    # An edit sent anyway, over the page's own connection, is refused and said in plain words.
    professional.evaluate(
        """text => window.sosBoard.connection.send({type: "add_card", column: "worries", kind: "harm", text})""",
        LATE_CARD,
    )
    notice = professional.get_by_test_id("notice").filter(has_text=LATE_CARD)
    expect(notice).to_contain_text("This meeting has been finalised: the record can be read but no longer changed.")
    expect(card(professional, LATE_CARD)).to_have_count(0)

    # ---- the record panel: the check of the hash chain, the retention and the legal hold ------------------
    check = chair.get_by_test_id("record-check-result")
    expect(check).to_have_attribute("data-holds", "true")
    expect(check).to_contain_text("The record has not been changed since it was written")
    expect(chair.get_by_test_id("record-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    before_addendum = chair.get_by_test_id("record-hash").inner_text()
    expect(professional.get_by_test_id("record-hash")).to_have_text(before_addendum)
    expect(professional.get_by_test_id("record-retention")).to_have_count(0)  # the chair's alone
    check_accessibility(chair, axe_source, "chair-record")
    check_accessibility(professional, axe_source, "professional-record")
    retention = chair.get_by_test_id("retention-words")
    kept_until = r"^Kept until \w+,? \d+ \w+ \d{4} \(this service keeps meetings for 2555 days\), then deleted\.$"
    expect(retention).to_have_text(re.compile(kept_until))
    chair.get_by_label("Legal hold").check()
    expect(retention).to_contain_text("Under legal hold: kept until the hold is lifted")
    expect(chair.get_by_test_id("hold-status")).to_have_text(re.compile("^Legal hold placed"))
    chair.get_by_label("Legal hold").uncheck()
    expect(retention).to_contain_text("Kept until")

    # ---- an addendum: after the record, on the professional's screen; the record's hash moves on -----------
    addendum_form = chair.get_by_test_id("addendum-form")
    addendum_form.get_by_label("The correction, or the later fact").fill(ADDENDUM)
    addendum_form.get_by_label("Why it is added now").fill("Her age was written wrongly at the meeting.")
    addendum_form.get_by_role("button", name="Add the addendum").click()
    for page in room.full_view:
        added = page.get_by_test_id("addendum")
        expect(added).to_have_count(1)
        expect(added.get_by_test_id("addendum-text")).to_have_text(ADDENDUM)
        expect(added.get_by_test_id("addendum-reason")).to_have_text(
            "Why it was added: Her age was written wrongly at the meeting."
        )
    expect(addendum_form.get_by_label("The correction, or the later fact")).to_have_value("")
    expect(chair.get_by_test_id("record-hash")).not_to_have_text(before_addendum)
    expect(chair.get_by_test_id("record-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    record_hash = chair.get_by_test_id("record-hash").inner_text()
    expect(professional.get_by_test_id("record-hash")).to_have_text(record_hash)

    # ---- the PDF, downloaded through the page: the decision, the plan's first step, the hash shown -------
    pdf = download(chair, "download-pdf", ".pdf")
    text = " ".join(pages_text(pdf))
    assert DECISION_REASONS in text
    assert FIRST_STEP in text
    assert record_hash in text
    assert ADDENDUM in text
    assert "CLOSED-CANARY" in text  # the full record holds it, marked as kept from the family
    assert_printed_a4_page(first_page_png(pdf, "e2e-record"))
    family_pdf = download(chair, "download-family-pdf", "-family-copy.pdf")
    family_text = " ".join(pages_text(family_pdf))
    assert DECISION_REASONS in family_text
    assert "CANARY" not in family_text.upper()

    # ---- the shared screens have forgotten the meeting: nothing of it on screen, or in the browser ----------
    for page in (family, wall):
        end = page.get_by_test_id("end-state")
        expect(end).to_have_attribute("data-state", "finished")
        expect(end).to_contain_text("This screen has forgotten the meeting")
        assert_forgotten(page)
    check_accessibility(family, axe_source, "tablet-forgotten")
    family.goto(board_url)  # reopened: the session is over, and nothing of the meeting shows
    expect(family.get_by_test_id("end-state")).to_have_attribute("data-state", "ended")
    assert_forgotten(family)
    family.goto(late_link)  # a family link opened after the end opens nothing
    expect(family.get_by_test_id("join-heading")).to_have_text("This meeting is finished")
    expect(family.get_by_test_id("join-message")).to_contain_text("Ask the chair for your copy")
    assert family.context.cookies() == []


def download(page: Page, testid: str, suffix: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(testid).click()
    assert info.value.suggested_filename.endswith(suffix), info.value.suggested_filename
    return Path(info.value.path()).read_bytes()


def assert_forgotten(page: Page) -> None:
    """No word of the meeting on screen or in the title, and nothing in any of the browser's stores."""
    body = page.locator("body")
    for words in ("Mia", "Leo", STATEMENT, FIRST_STEP, "Jo Patel", "Alex Morgan"):
        expect(body).not_to_contain_text(words)
    assert page.title() == "SoS Board"
    stores = page.evaluate(
        """async () => ({
            local: localStorage.length,
            session: sessionStorage.length,
            caches: (await caches.keys()).length,
            board: typeof window.sosBoard,
        })"""
    )
    assert stores == {"local": 0, "session": 0, "caches": 0, "board": "undefined"}, stores
    assert page.context.cookies() == []
