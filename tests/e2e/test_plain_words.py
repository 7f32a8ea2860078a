"""Plain words in the browser: jargon is flagged while someone writes, with the plain words offered and a button that
puts them in place, and a readability estimate shows; the browser finds exactly what the server finds."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, expect

from app.domain.plain_words import find_jargon, load_glossary
from tests.e2e.board_pages import close_people, invite_person, join_by_link, start_meeting
from tests.e2e.conference_pages import add_child, add_statement, body_text, jump_to, part, write_goal
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser

LADO_PLAIN = "the council officer who looks into worries about adults who work with children"
READING = re.compile(
    r"^(Very easy|Easy|Fairly easy|Plain English|Fairly hard|Hard|Very hard)[a-z ]* \(reading ease \d+ out of 100\)\."
)


def flag(scope: Locator, term: str) -> Locator:
    return scope.get_by_test_id("plain-flag").and_(scope.locator(f'[data-term="{term}"]'))


def test_typing_jargon_in_a_card_offers_the_plain_words_and_a_reading_estimate(live_server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    form = chair.get_by_test_id("add-card-worries")
    box = form.get_by_label("Words on the card")

    box.fill("The LADO was informed")

    lado = flag(form, "LADO")
    expect(lado).to_be_visible()
    expect(lado.get_by_test_id("plain-term")).to_have_text("LADO")
    expect(lado).to_contain_text("Families may not know this. You could say:")
    expect(lado.get_by_test_id("plain-offer")).to_have_text(LADO_PLAIN)
    # Announced politely, and described to whoever is in the box.
    expect(form.locator(".plain-flags[aria-live=polite]")).to_contain_text("LADO")
    expect(box).to_have_attribute("aria-describedby", re.compile(r"-plain .*-reading"))
    expect(form.get_by_test_id("readability")).to_have_text(READING)

    lado.get_by_role("button", name="Use these words").click()

    expect(box).to_have_value(f"The {LADO_PLAIN.removeprefix('the ')} was informed")
    expect(form.get_by_test_id("plain-flag")).to_have_count(0)
    expect(box).to_be_focused()
    form.get_by_role("button", name="Add card").click()
    card_text = chair.get_by_test_id("card-text").filter(has_text="The council officer")
    expect(card_text).to_have_text(f"The {LADO_PLAIN.removeprefix('the ')} was informed")


def test_a_danger_statement_is_checked_word_by_word_without_interrupting(live_server, screens: Screens) -> None:
    chair = screens.open()
    start_meeting(chair, live_server.url)
    jump_to(chair, "Danger statements and safety goals")
    form = part(chair, "statements").get_by_test_id("add-statement-form")
    behaviour = form.get_by_label("What the adults did or may do")

    behaviour.fill("There was DA at home on the day Dad came back")

    expect(flag(form, "DA")).to_be_visible()
    expect(flag(form, "DA")).to_contain_text("Better still, say what happened")
    expect(form.get_by_test_id("plain-flag")).to_have_count(1)  # not in "day" nor "Dad"

    # The word being typed waits until it ends: "…the IRO" might yet become "…the IROs' report".
    behaviour.fill("There was DA at home. Mum told the IRO")
    expect(flag(form, "IRO")).to_be_hidden()
    expect(behaviour).to_be_focused()
    behaviour.press("End")
    behaviour.press_sequentially(" today")
    expect(flag(form, "IRO")).to_be_visible()

    # Two of one term: one note, and the button changes both.
    behaviour.fill("DA last week and DA again")
    da = flag(form, "DA")
    expect(da).to_contain_text("(2 times)")
    da.get_by_role("button", name="Use these words").click()
    expect(behaviour).to_have_value("Domestic abuse last week and domestic abuse again")
    expect(form.get_by_test_id("plain-flag")).to_have_count(0)

    hard = (
        "Notwithstanding multi-agency arrangements, the professional network's assessment concluded that "
        "parental capacity to demonstrate sustained behavioural change remains fundamentally unevidenced"
    )
    behaviour.fill(hard)
    reading = (
        form.locator(".field")
        .filter(has=chair.get_by_label("What the adults did or may do"))
        .get_by_test_id("readability")
    )
    expect(reading).to_contain_text("Very hard to read")
    expect(reading).to_contain_text("Shorter sentences and everyday words")


def test_the_browser_finds_exactly_what_the_server_finds(live_server, screens: Screens) -> None:
    glossary = load_glossary()
    texts = [
        "Concerns were raised by school. The LADO was informed and a strategy discussion held.",
        "An s47 enquiry (section 47 enquiries) found DA; Dad said today was fine. Mum presented as anxious.",
        "The MASH team; mum made mash. CIN plan, CP plan, CPS, CPs. Non engagement and non-engagement.",
        "LADOs, the children\u2019s guardian, Working Together and working together, the ABE interview with Abe.",
    ]
    for entry in glossary.entries:
        for form in glossary.forms_of(entry):
            texts += [f"The {form} was here.", form.upper(), form.lower(), f"x{form}", f"{form}s.", f"{form}x"]
    page = screens.open()
    start_meeting(page, live_server.url)

    in_browser = page.evaluate(
        """async (texts) => {
          const words = await import("/static/js/plain-words.js");
          const glossary = words.compileGlossary(await (await fetch("/api/glossary")).json());
          return texts.map((text) => words.findTerms(glossary, text).map((f) => [f.term, f.start, f.end, f.text]));
        }""",
        texts,
    )

    on_server = [[[f.term, f.start, f.end, f.text] for f in glossary.find(text)] for text in texts]
    differ = [
        (text, server, browser)
        for text, server, browser in zip(texts, on_server, in_browser, strict=True)
        if server != browser
    ]
    assert differ == [], json.dumps(differ[:5], ensure_ascii=False)
    assert sum(len(flags) for flags in on_server) > len(texts) // 2


def test_the_familys_tablet_says_nothing_in_the_words_of_professionals(live_server, screens: Screens) -> None:
    # What people write is theirs to word (and flagged as they write it); here it holds no jargon, so anything the
    # glossary finds on the tablet is the app's own wording.
    glossary = load_glossary()
    chair = screens.open(width=1366, height=768)
    start_meeting(chair, live_server.url, "Meeting for Mia", "Alex Morgan")
    link = invite_person(chair, "Sam Lee", "family", copy=False)
    close_people(chair)
    family = screens.open(width=1024, height=768)
    join_by_link(family, link)
    add_child(chair, "Mia", 7)
    jump_to(chair, "Danger statements and safety goals")
    behaviour = "Mia was left alone overnight on 14 October"
    add_statement(chair, "Jo Patel (school)", behaviour, "Mia was scared.", "Mia could be hurt.", ("Mia",))
    write_goal(chair, behaviour, "A grown-up is at home every night.", "Mia feels safe.", "Visits see it.", "Always")
    jump_to(chair, "What needs to happen: the plan")
    chair.get_by_label("Review conference date").fill("2027-02-24")
    chair.get_by_label("Core group date").fill("2026-12-09")
    chair.get_by_test_id("dates-save").click()

    expect(family.get_by_test_id("core-group-date")).to_contain_text("9 December 2026")
    expect(family.get_by_test_id("goals-in-column")).to_contain_text("A grown-up is at home every night.")
    assert [flag.text for flag in find_jargon(body_text(family), glossary)] == []
    worries = family.get_by_test_id("statements-in-column")
    expect(worries.get_by_role("heading")).to_have_text("What people are worried could happen")
    expect(family.get_by_test_id("goals-in-column").get_by_role("heading")).to_have_text("What needs to be different")
    expect(family.get_by_test_id("column-worries")).not_to_contain_text(re.compile("danger statement", re.I))
    expect(family.get_by_test_id("column-needs_to_happen")).not_to_contain_text(re.compile("safety goal", re.I))
