"""The family's tablet (1024x768): touch first (every target at least 44x44 px), large type and a text-size
control kept in memory only, the questions in plain words, "Add your words" one tap from the top of the screen,
the family's words marked as theirs, read aloud with the browser's own voice, and the safety scale answered with a
large 0 to 10 control."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import check_accessibility
from tests.e2e.board_pages import card, close_people, invite_person, join_by_link, start_meeting, wait_connected
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser

WORRY = "Police were called to the house three times this year after neighbours heard shouting."
OURS = "The children love reading with me at bedtime."
STATEMENT = "Mum and Dad shout and throw things when they argue, while the children are in the house"

TARGETS = """() => {
  const small = [];
  const seen = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const check = (el, what) => {
    const r = el.getBoundingClientRect();
    if (r.width >= 43.5 && r.height >= 43.5) return;
    const words = (el.textContent || el.getAttribute("aria-label") || el.id).trim().slice(0, 40);
    small.push(`${what} ${Math.round(r.width)}x${Math.round(r.height)}: ${words}`);
  };
  for (const el of document.querySelectorAll("button, a[href], select, textarea, input")) {
    if (el.closest(".skip-link") || el.matches(".skip-link")) continue;
    const choice = el.matches("input[type=radio], input[type=checkbox]");
    if (choice && el.labels && el.labels.length && getComputedStyle(el).opacity === "0") {
      for (const label of el.labels) if (seen(label)) check(label, "label");
      continue;
    }
    if (seen(el)) check(el, el.tagName.toLowerCase());
  }
  return small;
}"""


def small_targets(page: Page) -> list[Any]:
    return list(page.evaluate(TARGETS))


def spoken(page: Page) -> list[str]:
    return list(page.evaluate("() => window.__spoken"))


def test_the_familys_tablet_is_made_for_touch_and_plain_words(live_server, screens: Screens, axe_source: str) -> None:
    chair = screens.open(width=1366, height=768)
    start_meeting(chair, live_server.url, "Initial conference for Mia and Leo", "Alex Morgan")
    link = invite_person(chair, "Sam Lee", "family", copy=False)
    close_people(chair)
    chair.get_by_test_id("phase-next").click()
    chair.evaluate(
        """text => window.sosBoard.connection.send({type: "add_card", column: "worries", kind: "harm", text})""", WORRY
    )
    tablet = screens.open(width=1024, height=768)
    # The browser's voice is played by the test: what would be said is written down instead.
    tablet.add_init_script(
        """window.__spoken = [];
        if (window.speechSynthesis) {
          window.speechSynthesis.speak = (u) => window.__spoken.push(u.text);
          window.speechSynthesis.cancel = () => window.__spoken.push("(stopped)");
        }"""
    )
    join_by_link(tablet, link)
    expect(card(tablet, WORRY)).to_be_visible()

    # The questions in plain words.
    expect(tablet.get_by_test_id("column-working_well").get_by_role("heading", level=2)).to_have_text(
        "What's going well for your family?"
    )
    expect(tablet.get_by_test_id("column-worries").get_by_role("heading", level=2)).to_have_text(
        "What are people worried about?"
    )
    expect(card(tablet, WORRY).get_by_test_id("card-kind")).to_have_text("Something that has happened")
    # No "add" form under every worry: one button at the top of the screen.
    expect(tablet.get_by_test_id("add-card-worries")).to_have_count(0)
    add = tablet.get_by_test_id("family-add-open")
    expect(add).to_be_in_viewport(ratio=1)
    assert add.bounding_box()["y"] < 200  # type: ignore[index]
    assert small_targets(tablet) == []
    check_accessibility(tablet, axe_source, "tablet-map")

    # One tap, then type: the kinds are explained in a parent's words.
    add.click()
    words = tablet.get_by_label("Your words", exact=True)
    expect(words).to_be_focused()
    form = tablet.get_by_test_id("family-add-form")
    expect(form.get_by_test_id("family-add-column-working_well")).to_be_checked()
    expect(form.locator("label[for=family-add-kind-strength]")).to_contain_text(
        "Something good about your family, or something you do well."
    )
    assert small_targets(tablet) == []
    check_accessibility(tablet, axe_source, "tablet-add-your-words")
    # Pasted words past what the box holds: the browser keeps the first 1000 without a word, so the box says so.
    words.fill("We have been trying very hard. " * 200)
    full = "This box is full: it holds 1000 characters. If you pasted in more, the end was left out."
    expect(form.get_by_test_id("length-note")).to_have_text(full)
    expect(words).to_have_accessible_description(full)
    assert len(words.input_value()) == 1000
    words.fill(OURS)
    expect(form.get_by_test_id("length-note")).to_have_text("")
    form.get_by_role("button", name="Add my words").click()
    expect(tablet.get_by_test_id("family-added")).to_contain_text("What's going well for your family?")
    expect(add).to_be_focused()
    ours = card(tablet, OURS)
    expect(ours.get_by_test_id("family-words")).to_have_text("Your words")
    expect(card(chair, OURS).get_by_test_id("family-words")).to_have_text("The family's words")

    # Read aloud: the browser's own voice; pressed again, it stops.
    reader = ours.get_by_role("button", name="Read aloud")
    reader.click()
    expect(ours.get_by_role("button", name="Stop reading")).to_have_attribute("aria-pressed", "true")
    assert spoken(tablet)[-1] == f"A good thing. {OURS}"
    ours.get_by_role("button", name="Stop reading").click()
    expect(reader).to_have_attribute("aria-pressed", "false")

    # A larger text size, kept in memory only: nothing in the browser's storage, and gone with the page.
    size = lambda: float(tablet.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))  # noqa: E731
    before = size()
    tablet.get_by_role("button", name="Larger").click()
    tablet.get_by_role("button", name="Larger").click()
    expect(tablet.get_by_test_id("text-size-now")).to_have_text("Larger")
    assert size() > before * 1.2
    assert small_targets(tablet) == []
    assert tablet.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]
    check_accessibility(tablet, axe_source, "tablet-larger-text")

    # A danger statement, read aloud too.
    chair.evaluate(
        """behaviour => window.sosBoard.connection.send({type: "add_statement", who_is_worried: "Jo Patel (school)",
            behaviour, impact: "Mia cannot sleep.", if_nothing_changes: "The children could be hurt."})""",
        STATEMENT,
    )
    tablet.get_by_test_id("agenda").get_by_role("button", name="Danger statements and safety goals").click()
    statement = tablet.get_by_test_id("statement").filter(has_text=STATEMENT)
    statement.get_by_role("button", name="Read aloud").click()
    assert spoken(tablet)[-1].startswith(
        f"Worry 1. Who is worried: Jo Patel (school). What the adults did or may do: {STATEMENT}."
    )
    assert small_targets(tablet) == []
    check_accessibility(tablet, axe_source, "tablet-statements")

    # The safety scale: a large 0 to 10 control.
    chair.evaluate(
        """() => window.sosBoard.connection.send({type: "open_round", statement_id: null, label: "start"})"""
    )
    tablet.get_by_test_id("agenda").get_by_role("button", name="Safety scale").click()
    scale = tablet.get_by_test_id("answer-scale")
    choices = scale.locator("label")
    expect(choices).to_have_count(11)
    for box in (choices.nth(i).bounding_box() for i in range(11)):
        assert box is not None and box["width"] >= 44 and box["height"] >= 60, box
    expect(tablet.get_by_test_id("scale-ends")).to_contain_text("0: the children cannot stay safely at home")
    scale.get_by_text("7", exact=True).click()
    tablet.get_by_label("Why? In your own words").fill("We have Gran now.")
    tablet.get_by_role("button", name="Give my answer").click()
    expect(tablet.get_by_test_id("my-answer")).to_contain_text("Your answer: 7")
    assert small_targets(tablet) == []
    check_accessibility(tablet, axe_source, "tablet-scaling")

    # Where the browser has no voice, no button offers one, and nothing breaks; the text size starts afresh.
    tablet.context.add_init_script("Object.defineProperty(window, 'speechSynthesis', {value: undefined})")
    tablet.reload()
    wait_connected(tablet)
    expect(tablet.get_by_test_id("text-size-now")).to_have_text("Normal")
    tablet.get_by_test_id("agenda").get_by_role("button", name="What are we worried about?").click()
    expect(card(tablet, OURS)).to_be_visible()
    expect(tablet.get_by_role("button", name="Read aloud")).to_have_count(0)


def test_words_sent_offline_after_the_meeting_was_finished_are_shown_on_the_finished_screen(
    live_server, screens: Screens
) -> None:
    chair = screens.open()
    meeting_id = start_meeting(chair, live_server.url)
    link = invite_person(chair, "Sam Lee", "family", copy=False)
    close_people(chair)
    tablet = screens.open(width=1024, height=768)
    join_by_link(tablet, link)

    # The tablet loses the network; the parent adds their words, which wait to be sent.
    tablet.context.set_offline(True)
    expect(tablet.get_by_test_id("connection-status")).to_have_attribute("data-state", "offline")
    tablet.get_by_test_id("family-add-open").click()
    tablet.get_by_test_id("family-add-form").get_by_label("Your words").fill(OURS)
    tablet.get_by_role("button", name="Add my words").click()
    expect(tablet.get_by_test_id("pending-count")).to_have_text("1 change is waiting to be sent.")

    # Meanwhile the chair finalises, and the tablet's session ends with the meeting.
    chair.evaluate("() => window.sosBoard.connection.send({type: 'finalise'})")
    expect(chair.get_by_test_id("finalised-banner")).to_be_visible()
    cookie = next(c for c in tablet.context.cookies() if c["name"] == f"sos_{meeting_id}")
    deadline = time.monotonic() + 15
    while session_refusal(live_server.url, meeting_id, cookie["value"]) != "meeting_finished":
        assert time.monotonic() < deadline, "the family's session did not end with the meeting"
        time.sleep(0.2)

    # Back online: the finished screen, and the words that could not go in, shown to the person who wrote them.
    tablet.context.set_offline(False)
    end = tablet.get_by_test_id("end-state")
    expect(end).to_have_attribute("data-state", "finished")
    expect(end).to_contain_text("The meeting is finished. Thank you.")
    expect(end).not_to_contain_text("Ask the chair for a new link")
    words = tablet.get_by_test_id("end-words")
    expect(words).to_contain_text("The meeting had already been finished when these words of yours were sent")
    expect(words.get_by_role("listitem")).to_have_text([OURS])
    expect(tablet).to_have_title("SoS Board")
    assert tablet.evaluate("() => localStorage.length + sessionStorage.length") == 0


def session_refusal(base_url: str, meeting_id: str, session: str) -> str | None:
    """The error code GET /me answers for this session (None while the session is alive)."""
    response = httpx.get(f"{base_url}/api/meetings/{meeting_id}/me", cookies={f"sos_{meeting_id}": session})
    return None if response.status_code == 200 else str(response.json()["error"]["code"])
