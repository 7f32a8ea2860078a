"""The chair reads the record of who did what on their screen, in plain words, and downloads it as CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.e2e.board_pages import add_card, chair_and_professional, close_people, open_people
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser


def test_the_chair_sees_who_did_what_and_downloads_it(live_server: ServerProcess, screens: Screens) -> None:
    chair, professional = chair_and_professional(screens, live_server.url)
    add_card(professional, "worries", "Canary words nobody may read in the trail")
    panel = chair.get_by_test_id("audit-panel")
    expect(panel.get_by_test_id("audit-entry")).to_have_count(0)  # nothing is loaded until the chair asks

    chair.get_by_test_id("audit-toggle").click()
    panel.get_by_role("button", name="Show the record of who did what").click()

    entries = panel.get_by_test_id("audit-entry")
    expect(entries).to_have_count(5)
    expect(entries.nth(0)).to_contain_text("Alex Morgan (chair) started the meeting")
    expect(entries.nth(1)).to_contain_text("Alex Morgan (chair) invited Jo Patel (professional)")
    expect(entries.nth(2)).to_contain_text("Jo Patel (professional) joined with their invite link")
    expect(entries.nth(3)).to_contain_text("Jo Patel (professional) added a card")
    expect(entries.nth(4)).to_contain_text("Alex Morgan (chair) looked at this record of who did what")
    expect(entries.nth(3)).to_have_text(re.compile(r"^\d\d:\d\d — "))
    expect(panel).not_to_contain_text("Canary")

    open_people(chair)
    chair.get_by_test_id("person").filter(has_text="Jo Patel").get_by_role("button", name="Revoke link").click()
    close_people(chair)
    panel.get_by_role("button", name="Show the latest").click()
    expect(entries.nth(5)).to_contain_text("Alex Morgan (chair) revoked Jo Patel's link")

    with chair.expect_download() as download_info:
        panel.get_by_role("link", name="Download it as a spreadsheet (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("sos-audit-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert [(row["actor_name"], row["action"]) for row in rows][-3:] == [
        ("Alex Morgan", "link_revoked"),
        ("Alex Morgan", "audit_read"),
        ("Alex Morgan", "audit_read"),
    ]
    assert rows[-1]["detail"] == '{"format": "csv"}'


def test_nobody_but_the_chair_has_the_record_on_screen(live_server: ServerProcess, screens: Screens) -> None:
    _chair, professional = chair_and_professional(screens, live_server.url)

    expect(professional.get_by_test_id("meeting-header")).to_be_visible()
    expect(professional.get_by_test_id("audit-panel")).to_have_count(0)
