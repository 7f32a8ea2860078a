"""What a person does on the pages, in the words of the UI: start a map, invite someone, add/edit/move a card.

Everything waits through Playwright's `expect` (auto-retrying), never by sleeping.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Screens

COLUMN_IDS = ("worries", "working_well", "needs_to_happen")


def start_meeting(page: Page, base_url: str, title: str = "Review conference", chair: str = "Alex Morgan") -> str:
    """Start a conference map as its chair; returns the meeting id once the board is connected."""
    page.goto(f"{base_url}/")
    page.get_by_label("Meeting title").fill(title)
    page.get_by_label("Your name").fill(chair)
    page.get_by_role("button", name="Start the map").click()
    expect(page).to_have_url(re.compile(r"/meetings/[^/]+$"))
    wait_connected(page)
    return page.url.rsplit("/", 1)[1]


def wait_connected(page: Page, timeout: float | None = None) -> None:
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "connected", timeout=timeout)


def invite_person(
    page: Page, name: str, role: str, agency: str = "", *, copy: bool = True, keep_open: bool = False
) -> str:
    """In the chair's People and joining drawer: add a person, copy their link, return it (read back from the
    clipboard). The drawer is closed again unless `keep_open` (on a laptop it lies over part of the board)."""
    panel = open_people(page)
    panel.get_by_label("Name", exact=True).fill(name)
    panel.get_by_label("Role").select_option(role)
    panel.get_by_label("Organisation (optional)").fill(agency)
    panel.get_by_role("button", name="Add and make a link").click()
    expect(panel.get_by_test_id("new-link")).to_contain_text(f"Link for {name}")
    link_box = panel.get_by_test_id("invite-link")
    expect(link_box).to_have_value(re.compile(r"/join#.{16,}"))
    link = link_box.input_value()
    if copy:
        panel.get_by_role("button", name="Copy link").click()
        expect(panel.get_by_test_id("copy-status")).to_have_text("Link copied.")
        assert str(page.evaluate("navigator.clipboard.readText()")) == link
    if not keep_open:
        close_people(page)
    return link


def open_people(page: Page) -> Locator:
    """The chair's People and joining drawer, opened if it was closed."""
    toggle = page.get_by_test_id("people-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    panel = page.get_by_test_id("people-panel")
    expect(panel).to_be_visible()
    return panel


def close_people(page: Page) -> None:
    """Close the drawer with its own Close button (on a laptop screen the drawer lies over the header)."""
    if page.get_by_test_id("people-toggle").get_attribute("aria-expanded") == "true":
        page.get_by_test_id("drawer-close").click()
    expect(page.get_by_test_id("people-panel")).to_be_hidden()


def make_room_code(chair: Page) -> str:
    panel = open_people(chair)
    panel.get_by_test_id("make-room-code").click()
    code = panel.get_by_test_id("room-code")
    expect(code).to_have_text(re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$"))
    expect(panel.get_by_test_id("room-qr")).to_be_visible()
    return str(code.inner_text())


def let_in(chair: Page, name: str, role: str) -> None:
    entry = chair.get_by_test_id("lobby-entry")
    expect(entry).to_have_count(1)  # the lobby is asked for every 3 s while the drawer is open
    entry.get_by_label("Name to show everyone").fill(name)
    entry.get_by_label("Joins as").select_option(role)
    entry.get_by_role("button", name="Let in").click()
    expect(chair.get_by_test_id("lobby-status")).to_contain_text(f"{name} is let in")


def join_by_link(page: Page, link: str) -> None:
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/meetings/[^/#]+$"))
    wait_connected(page)


def column(page: Page, column_id: str) -> Locator:
    return page.get_by_test_id(f"column-{column_id}")


def cards(page: Page, column_id: str) -> Locator:
    return column(page, column_id).get_by_test_id("card")


def card(page: Page, text: str) -> Locator:
    """The one card showing exactly this text, in whichever column."""
    return page.get_by_test_id("card").filter(has=page.get_by_test_id("card-text").get_by_text(text, exact=True))


def is_family(page: Page) -> bool:
    return "family" in (page.locator("body").get_attribute("class") or "").split()


def add_card(page: Page, column_id: str, text: str, kind: str | None = None, *, wait_sent: bool = True) -> None:
    if is_family(page):
        add_family_words(page, column_id, text, kind)
        if wait_sent:
            expect(card(page, text)).to_have_attribute("data-card-id", re.compile(r".+"))
        return
    form = page.get_by_test_id(f"add-card-{column_id}")
    if kind is not None:
        form.get_by_label("Type of card").select_option(kind)
    form.get_by_label("Words on the card").fill(text)
    form.get_by_role("button", name="Add card").click()
    if wait_sent:
        expect(card(page, text)).to_have_attribute("data-card-id", re.compile(r".+"))


def add_family_words(page: Page, column_id: str, text: str, kind: str | None = None) -> None:
    """On the family's tablet: "Add your words" at the top of the screen, the question, the kind, the words."""
    opener = page.get_by_test_id("family-add-open")
    if opener.get_attribute("aria-expanded") != "true":
        opener.click()
    form = page.get_by_test_id("family-add-form")
    form.locator(f"label[for=family-add-column-{column_id}]").click()
    expect(form.get_by_test_id(f"family-add-column-{column_id}")).to_be_checked()
    if kind is not None:
        form.locator(f"label[for=family-add-kind-{kind}]").click()
        expect(form.get_by_test_id(f"family-add-kind-{kind}")).to_be_checked()
    form.get_by_label("Your words").fill(text)
    form.get_by_role("button", name="Add my words").click()


def edit_card(page: Page, old_text: str, new_text: str) -> None:
    card(page, old_text).get_by_role("button", name="Edit").click()
    box = page.get_by_test_id("edit-form").get_by_label("Words on the card")
    box.fill(new_text)
    page.get_by_test_id("edit-form").get_by_role("button", name="Save").click()


def move_card_to(page: Page, text: str, column_id: str) -> None:
    target = card(page, text)
    target.get_by_role("button", name="Move", exact=True).click()
    target.get_by_label("Move to another column").select_option(column_id)
    target.get_by_role("button", name="Move to that column").click()


def delete_card(page: Page, text: str) -> None:
    target = card(page, text)
    target.get_by_role("button", name="Delete").click()
    target.get_by_role("button", name="Yes, delete it").click()


def texts(page: Page, column_id: str) -> Locator:
    return cards(page, column_id).get_by_test_id("card-text")


def chair_and_professional(screens: Screens, base_url: str) -> tuple[Page, Page]:
    """A meeting started by a chair, with a professional joined on their own screen by the chair's link."""
    chair = screens.open()
    start_meeting(chair, base_url)
    link = invite_person(chair, "Jo Patel", "professional", copy=False)
    professional = screens.open()
    join_by_link(professional, link)
    return chair, professional
