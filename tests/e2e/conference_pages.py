"""What the people in a conference do on their screens, in the words of the UI: the chair runs the agenda,
records who is here, opens and reveals scaling rounds, records the decision; professionals and the family write.

Everything waits through Playwright's `expect` (auto-retrying), never by sleeping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from tests.e2e.board_pages import close_people, invite_person, join_by_link, wait_connected
from tests.e2e.conftest import Screens

PRIVATE_MESSAGE = "This part of the meeting is private; you will be asked back"


@dataclass
class Room:
    """The four screens of the scripted conference."""

    chair: Page
    professional: Page
    family: Page
    wall: Page

    @property
    def all(self) -> tuple[Page, ...]:
        return (self.chair, self.professional, self.family, self.wall)

    @property
    def kept_from_family(self) -> tuple[Page, ...]:
        """The screens that must never show a restricted item."""
        return (self.family, self.wall)

    @property
    def full_view(self) -> tuple[Page, ...]:
        return (self.chair, self.professional)


def start_conference(page: Page, base_url: str, title: str, chair: str, kind_label: str) -> str:
    page.goto(f"{base_url}/")
    page.get_by_label("Meeting title").fill(title)
    kind = page.get_by_label("Kind of meeting")
    expect(kind.locator("option")).to_have_count(4)  # loaded from GET /api/meeting-kinds
    kind.select_option(label=kind_label)
    page.get_by_label("Your name").fill(chair)
    page.get_by_role("button", name="Start the map").click()
    expect(page).to_have_url(re.compile(r"/meetings/[^/]+$"))
    wait_connected(page)
    return page.url.rsplit("/", 1)[1]


def open_conference(screens: Screens, base_url: str) -> Room:
    """An initial conference: the chair's laptop, a professional's laptop, the family's tablet, the room screen."""
    chair = screens.open(width=1366, height=768)
    start_conference(
        chair, base_url, "Initial conference for Mia and Leo", "Alex Morgan", "Initial Child Protection conference"
    )
    links = {
        "professional": invite_person(chair, "Jo Patel", "professional", "Northfield School", copy=False),
        "family": invite_person(chair, "Sam Lee", "family", copy=False),
        "projector": invite_person(chair, "Room 3 screen", "projector", copy=False),
    }
    close_people(chair)
    professional = screens.open(width=1366, height=768)
    join_by_link(professional, links["professional"])
    family = screens.open(width=1024, height=768)
    join_by_link(family, links["family"])
    wall = screens.open(width=1920, height=1080)
    join_by_link(wall, links["projector"])
    return Room(chair, professional, family, wall)


# ---- the agenda ---------------------------------------------------------------------------------------------


def expect_phase(room: Room, title: str) -> None:
    for page in room.all:
        expect(page.get_by_test_id("phase-title")).to_have_text(title)


def next_phase(chair: Page, title: str) -> None:
    chair.get_by_test_id("phase-next").click()
    expect(chair.get_by_test_id("phase-title")).to_have_text(title)


def jump_to(chair: Page, title: str) -> None:
    chair.get_by_test_id("agenda").get_by_role("button", name=title).click()
    chair.get_by_test_id("phase-jump").click()
    expect(chair.get_by_test_id("phase-title")).to_have_text(title)


def part(page: Page, name: str) -> Locator:
    return page.get_by_test_id(f"part-{name}")


# ---- attendance ---------------------------------------------------------------------------------------------


def add_child(chair: Page, name: str, age: int) -> None:
    form = chair.get_by_test_id("add-child-form")
    form.get_by_label("Child's first name or initials").fill(name)
    form.get_by_label("Age (years)").fill(str(age))
    form.get_by_role("button", name="Add child").click()
    expect(chair.get_by_test_id("child").filter(has_text=name)).to_have_count(1)


def record_attendee(
    chair: Page, name: str, role: str, agency: str, *, status: str = "present", report_sent: bool = False
) -> None:
    form = chair.get_by_test_id("add-attendee-form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Their part").fill(role)
    form.get_by_label("Organisation").fill(agency)
    form.get_by_label("Here?").select_option(status)
    if report_sent:
        form.get_by_label("Sent a report").check()
    form.get_by_role("button", name="Add to the list").click()
    expect(attendee_row(chair, name)).to_have_count(1)


def attendee_row(page: Page, name: str) -> Locator:
    return page.get_by_test_id("attendee").filter(has=page.get_by_role("rowheader", name=re.compile(re.escape(name))))


# ---- the children's words ----------------------------------------------------------------------------------


def add_child_words(page: Page, child: str, house: str, words: str, *, shared: bool) -> None:
    form = page.get_by_test_id("add-child-words-form")
    form.get_by_label("Which child").select_option(label=child)
    form.get_by_label("Which house").select_option(house)
    form.get_by_label("The child's own words").fill(words)
    form.get_by_label("Told to whom, and when").fill("Jo Patel, at school on 20 November")
    if shared:
        form.get_by_label("The child agreed that the family may see these words").check()
    form.get_by_role("button", name="Add the child's words").click()
    expect(words_item(page, words)).to_have_count(1)


def words_item(page: Page, words: str) -> Locator:
    return page.get_by_test_id("child-words").filter(has_text=words)


# ---- statements ---------------------------------------------------------------------------------------------


def statement(page: Page, behaviour: str) -> Locator:
    return page.get_by_test_id("statement").filter(has_text=behaviour)


def add_statement(
    page: Page, who: str, behaviour: str, impact: str, if_nothing: str, children: tuple[str, ...]
) -> None:
    form = page.get_by_test_id("add-statement-form")
    form.get_by_label("Who is worried").fill(who)
    form.get_by_label("What the adults did or may do").fill(behaviour)
    form.get_by_label("The impact on the child").fill(impact)
    form.get_by_label("What could happen if nothing changes").fill(if_nothing)
    for child in children:
        form.get_by_test_id("statement-children").get_by_label(child).check()
    form.get_by_role("button", name="Add danger statement").click()
    expect(statement(page, behaviour)).to_have_count(1)


def write_goal(page: Page, behaviour: str, adults: str, child: str, seen: str, how_long: str) -> None:
    target = statement(page, behaviour)
    target.get_by_test_id("goal-open").click()
    form = target.get_by_test_id("goal-form")
    form.get_by_label("What the adults will be doing").fill(adults)
    form.get_by_label("What the child will experience").fill(child)
    form.get_by_label("What professionals will see").fill(seen)
    form.get_by_label("For how long").fill(how_long)
    form.get_by_role("button", name="Save the safety goal").click()
    expect(target.get_by_test_id("goal-words")).to_contain_text(adults)


def give_view(page: Page, scope: Locator, agreement_label: str, words: str) -> None:
    form = scope.get_by_test_id("view-form")
    form.get_by_text(agreement_label, exact=True).click()
    form.get_by_label("In your own words").fill(words)
    form.get_by_role("button", name="Save what I think").click()


# ---- scaling ------------------------------------------------------------------------------------------------


def round_item(page: Page, label: str) -> Locator:
    """The round whose title starts with this label ("Start", "End")."""
    return page.get_by_test_id("round").filter(
        has=page.get_by_test_id("round-title").get_by_text(re.compile(f"^{label}:"))
    )


def open_round(chair: Page, when: str) -> None:
    form = chair.get_by_test_id("open-round-form")
    form.get_by_label("What to scale").select_option(label="Overall: how safe are the children?")
    form.get_by_label("When").select_option(when)
    form.get_by_role("button", name="Start the round").click()
    label = {"start": "Start", "end": "End"}[when]
    expect(round_item(chair, label)).to_have_count(1)


def answer(page: Page, label: str, value: int, reason: str) -> None:
    form = round_item(page, label).get_by_test_id("answer-form")
    form.get_by_test_id("answer-scale").get_by_text(str(value), exact=True).click()
    form.get_by_test_id("answer-reason").fill(reason)
    form.get_by_test_id("answer-submit").click()
    expect(round_item(page, label).get_by_test_id("my-answer")).to_contain_text(reason)


def answer_for(chair: Page, label: str, person: str, value: int, reason: str) -> None:
    form = round_item(chair, label).get_by_test_id("answer-for-form")
    select_containing(form.get_by_label("Whose answer"), person)
    form.get_by_test_id("answer-for-scale").get_by_text(str(value), exact=True).click()
    form.get_by_label("Their reason").fill(reason)
    form.get_by_role("button", name="Enter their answer").click()
    expect(round_item(chair, label).get_by_test_id("answered")).to_contain_text(f"{person} (entered by the chair)")


# ---- the plan and the decision ------------------------------------------------------------------------------


def add_network_member(page: Page, name: str, relationship: str, agreed: str) -> None:
    form = page.get_by_test_id("add-member-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Who they are to the family").fill(relationship)
    form.get_by_label("What they have agreed to do").fill(agreed)
    form.get_by_role("button", name="Add to the safety network").click()
    expect(page.get_by_test_id("network-member").filter(has_text=name)).to_have_count(1)


def fill_step(page: Page, what: str, who: str, by_when: str, how: str) -> None:
    form = page.get_by_test_id("add-step-form")
    form.get_by_label("What will happen").fill(what)
    select_containing(form.get_by_label("Who will do it"), who)
    form.get_by_label("By when").fill(by_when)
    form.get_by_label("How we will know it has happened").fill(how)


def add_step(page: Page, what: str, who: str, by_when: str, how: str) -> None:
    fill_step(page, what, who, by_when, how)
    page.get_by_test_id("add-step-form").get_by_role("button", name="Add the step").click()
    expect(step(page, what)).to_have_count(1)


def step(page: Page, what: str) -> Locator:
    return page.get_by_test_id("step").filter(has=page.get_by_test_id("step-what").get_by_text(what, exact=True))


def child_decision(page: Page, child: str) -> Locator:
    return page.locator(f"[data-testid=child-decision][data-child='{child}']")


def record_decision(chair: Page, child: str, categories: tuple[str, ...], reasons: str) -> None:
    scope = child_decision(chair, child)
    scope.get_by_test_id("decision-open").click()
    form = scope.get_by_test_id("decision-form")
    form.get_by_text("Yes: a Child Protection plan", exact=True).click()
    for category in categories:
        form.get_by_test_id("decision-categories").get_by_label(category).check()
    form.get_by_label("The reasons").fill(reasons)
    form.get_by_role("button", name="Record the decision").click()
    expect(scope.get_by_test_id("decision-outcome")).to_contain_text("Child Protection plan")


def add_decision_note(
    chair: Page, child: str, kind: str, who: str, reason: str, categories: tuple[str, ...] = ()
) -> None:
    form = child_decision(chair, child).get_by_test_id("note-form")
    form.get_by_label("Record").select_option(kind)
    form.get_by_test_id("note-who").fill(who)
    for category in categories:
        form.get_by_test_id("note-categories").get_by_label(category).check()
    form.get_by_test_id("note-reason").fill(reason)
    form.get_by_test_id("note-save").click()
    expect(child_decision(chair, child).get_by_test_id("decision-note").filter(has_text=who)).to_have_count(1)


def select_containing(select: Locator, words: str) -> None:
    """Choose the option whose label starts with these words."""
    value = select.locator("option").filter(has_text=re.compile(f"^{re.escape(words)}")).first.get_attribute("value")
    select.select_option(value=value)


def body_text(page: Page) -> str:
    return page.locator("body").inner_text()
