"""The PDF: a tagged, accessible document (PDF/UA-1) in plain type, whose text holds the whole record, with the
record's state and hash on every page. Each PDF here is rendered once (WeasyPrint takes most of a second)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.domain.meeting import Meeting
from app.domain.plain_words import glossary_for
from app.domain.state import MeetingState
from app.exports.formatting import zone_named
from app.exports.markdown import render_markdown
from app.exports.pdf import css_string, footer, pdf_of_html, render_html, render_pdf
from app.exports.record import Record, build_record
from app.store.chain import Verification
from tests.exports._meeting import (
    DECISION_REASONS,
    FIRST_STEP,
    HOSTILE,
    PEOPLE,
    RESTRICTED_CANARIES,
    UNREVEALED,
    steps,
)
from tests.exports._pdf import pages_text
from tests.exports.conftest import EXPORTED_AT, HASH, record_of
from tests.support.conference_ops import ConferenceRoom

LONDON = zone_named("Europe/London")


@pytest.fixture(scope="module")
def full_pdf(full: Record) -> bytes:
    return render_pdf(full, LONDON)


@pytest.fixture(scope="module")
def family_pdf(family: Record) -> bytes:
    return render_pdf(family, LONDON)


@pytest.fixture(scope="module")
def full_text(full_pdf: bytes) -> str:
    return " ".join(pages_text(full_pdf))


@pytest.fixture(scope="module")
def family_text(family_pdf: bytes) -> str:
    return " ".join(pages_text(family_pdf))


def test_the_pdf_text_holds_the_decision_the_first_step_and_the_hash(full_text: str) -> None:
    text = full_text
    assert DECISION_REASONS in text
    assert FIRST_STEP in text
    assert HASH in text
    assert "A Child Protection plan: Neglect, Emotional abuse." in text
    # A line may wrap anywhere in it (a wrap reads back as a space): what matters is that it is all there, as text.
    assert HOSTILE.replace(" ", "") in text.replace(" ", ""), "what people wrote is printed as they wrote it"


def test_every_page_says_whether_it_is_final_and_names_the_hash(full_pdf: bytes) -> None:
    pages = pages_text(full_pdf)
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert f"Record hash {HASH}" in text, number
        assert "Finalised · Full record, for the professionals" in text, number
        assert f"Page {number} of {len(pages)}" in text, number


def test_a_drafts_every_page_says_draft() -> None:
    draft = record_of(MeetingState(), "full", Verification(True, 0, None, None, None))
    pages = pages_text(render_pdf(draft, LONDON))
    assert pages and all("Draft — not finalised" in text for text in pages)
    assert all("No record hash" in text for text in pages)


@pytest.mark.parametrize("canary", RESTRICTED_CANARIES)
def test_the_familys_pdf_holds_no_restricted_item(full_text: str, family_text: str, canary: str) -> None:
    assert canary in full_text
    assert canary not in family_text


@pytest.mark.parametrize("reason", UNREVEALED)
def test_no_pdf_holds_an_unrevealed_answer(full_text: str, family_text: str, reason: str) -> None:
    assert reason not in full_text and reason not in family_text


def test_the_pdf_is_tagged_titled_and_in_english_on_a4(family_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(family_pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata is not None and reader.metadata.title is not None
    assert reader.metadata.title.startswith("Initial conference, 30 November: Initial Child Protection conference")
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data(), "declares PDF/UA in its XMP metadata"
    tags = _structure_tags(root["/StructTreeRoot"])
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/L", "/LI"} <= tags
    for page in reader.pages:
        width, height = (float(v) for v in page.mediabox.upper_right)
        assert (round(width), round(height)) == (595, 842), "A4 in points"


def _structure_tags(node: object) -> set[str]:
    found: set[str] = set()
    pending = [node]
    while pending:
        item = pending.pop()
        item = item.get_object() if hasattr(item, "get_object") else item
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            if "/S" in item:
                found.add(str(item["/S"]))
            if "/K" in item:
                pending.append(item["/K"])
    return found


def test_the_html_escapes_what_people_wrote(full: Record) -> None:
    html = render_html(full, LONDON)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<html lang="en-GB">' in html and "<title>Initial conference, 30 November:" in html


def test_the_footer_is_a_safe_css_string(full: Record) -> None:
    assert css_string('say "hi"\\ }') == '"say \\000022hi\\000022\\00005c \\00007d"'
    odd = full.model_copy(update={"copy_label": 'x"; } @page { content: "y'})
    rules = footer(odd)
    assert '"; }' not in rules and rules[:7] == "@page {" and rules.count("{") == rules.count("}") == 3


def test_a_pdf_fetches_nothing() -> None:
    """A URL in the HTML (there is none: this is belt and braces) stops the render: nothing is ever loaded."""
    from weasyprint.urls import FatalURLFetchingError  # type: ignore[import-untyped]

    with pytest.raises(FatalURLFetchingError):
        pdf_of_html('<html lang="en"><title>t</title><img src="file:///etc/passwd" alt="x"></html>')


def test_a_board_changed_behind_its_log_is_said_on_every_page_and_in_every_format(full: Record) -> None:
    """The chain can hold while the stored board was edited in the database: the copy must not look sound."""
    changed = full.model_copy(update={"integrity": full.integrity.model_copy(update={"record_matches_log": False})})
    pages = pages_text(render_pdf(changed, LONDON))
    assert all("differs from its history of changes" in page for page in pages), pages[-1]
    assert all("differs from its history of changes" not in page for page in pages_text(render_pdf(full, LONDON)))
    assert "Do not rely on this copy" in render_markdown(changed, LONDON)
    assert "Do not rely on this copy" not in render_markdown(full, LONDON)


UNBROKEN_CARD = "Unbroken " + "Z" * 300
UNBROKEN_STEP = "https://example.test/" + "q" * 180
UNBROKEN_TITLE = "Second " + "T" * 150


def test_words_too_long_for_a_line_wrap_inside_the_page_and_every_column_stays_on_it(tmp_path: Path) -> None:
    """A pasted link or a held-down key: one word wider than its cell wraps in it. It ran off the page, and pushed
    the map's "Kind", "Written by" and "About" and the plan's "Who", "By when" and "How we'll know" off with it."""
    room = ConferenceRoom()
    for who, op in steps():
        if op["type"] == "finalise":
            room.do(
                PEOPLE["worker"].actor,
                {"type": "add_card", "card_id": "c-long", "column": "worries", "kind": "harm", "text": UNBROKEN_CARD},
            )
            room.do(
                PEOPLE["worker"].actor,
                {
                    "type": "add_step",
                    "step_id": "p-long",
                    "what": UNBROKEN_STEP,
                    "who": {"kind": "person", "name": "N" * 80},
                    "how_we_know": UNBROKEN_STEP,
                },
            )
        room.do(PEOPLE[who].actor, op)
    meeting = Meeting("m-1", UNBROKEN_TITLE, "finalised", "2026-11-30T10:00:00+00:00")
    people = [person.participant for person in PEOPLE.values()]
    chain = Verification(True, room.state.seq, HASH, None, None)
    record = build_record(
        room.state, meeting, people, chain, True, copy="full", exported_at=EXPORTED_AT, glossary=glossary_for()
    )
    source = tmp_path / "record.pdf"
    source.write_bytes(render_pdf(record, LONDON))
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: run scripts/ensure-test-services (it installs poppler-utils)"
    boxes = tmp_path / "boxes.html"
    subprocess.run([pdftotext, "-bbox", str(source), str(boxes)], check=True, timeout=60)
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', boxes.read_text()
    )
    right_edge = 595.3 - 16 / 25.4 * 72  # A4's width less the page's right margin (16 mm), in points
    outside = [(text[:20], float(x_max)) for _x_min, x_max, text in words if float(x_max) > right_edge + 1]
    assert words and outside == [], outside
    printed = {text for _x_min, _x_max, text in words}
    assert {"Kind", "Written", "About", "Who", "By", "when", "How", "know"} <= printed
    letters = "".join(text for _x_min, _x_max, text in words)
    for long_word in ("Z" * 300, "q" * 180, "T" * 150):
        assert long_word in letters  # every letter printed, none cut off
