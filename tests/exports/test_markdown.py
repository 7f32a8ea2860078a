"""The Markdown export: everything people wrote is escaped (no markup, no link, no HTML can come out of it);
headings and tables are the template's."""

from __future__ import annotations

import html
import re

import pytest

from app.domain.plain_words import find_jargon, glossary_for
from app.exports.formatting import zone_named
from app.exports.markdown import md_escape, render_markdown
from app.exports.pdf import render_html
from app.exports.record import Record
from tests.exports._meeting import DECISION_REASONS, FIRST_STEP, RESTRICTED_CANARIES, UNREVEALED
from tests.exports.conftest import HASH

LONDON = zone_named("Europe/London")


@pytest.fixture(scope="module")
def full_md(full: Record) -> str:
    return render_markdown(full, LONDON)


@pytest.fixture(scope="module")
def family_md(family: Record) -> str:
    return render_markdown(family, LONDON)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("**bold**", r"\*\*bold\*\*"),
        ("# heading", r"\# heading"),
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
        ("![img](http://evil/x.png)", r"!\[img\](http://evil/x.png)"),
        ("a | b", r"a \| b"),
        ("_under_ `code` ~strike~", r"\_under\_ \`code\` \~strike\~"),
        ("&lt; entity", r"\&lt; entity"),
        ("- a list", r"\- a list"),
        ("+ a list", r"\+ a list"),
        ("1. a list", r"1\. a list"),
        ("12) a list", r"12\) a list"),
        ("=== underline", r"\=== underline"),
        ("> a quote", r"\> a quote"),
        ("back\\slash", r"back\\slash"),
        ("two\nlines\n\n# and a heading", r"two lines \# and a heading"),
        ("Dad's drinking at night, 2026-12-09.", "Dad's drinking at night, 2026-12-09."),
    ],
)
def test_md_escapes_what_markdown_would_read_as_markup(text: str, escaped: str) -> None:
    assert md_escape(text) == escaped
    assert md_escape(md_escape(text)) == escaped, "escaping twice changes nothing"


def _outside_code(markdown: str) -> str:
    return re.sub(r"`[^`]*`", "", markdown)


def test_hostile_card_text_stays_text(full_md: str) -> None:
    line = next(line for line in full_md.splitlines() if "javascript" in line)
    assert line.startswith("| ") and line.count(" | ") == 3, "one table row of four cells, not more"
    assert r"\*\*bold\*\*" in line and r"\# heading" in line
    assert r"\<script\>" in line and r"\[x\](javascript:alert(1))" in line
    body = _outside_code(full_md)
    assert "<script" not in body.replace(r"\<script", "")
    assert "](javascript" not in body.replace(r"\](javascript", "")
    assert "**bold**" not in body


def test_headings_come_from_the_template_only(full_md: str) -> None:
    headings = [line for line in full_md.splitlines() if line.startswith("#")]
    assert headings[0] == "# Initial conference, 30 November"
    assert "## The plan" in headings and "## Checking this record" in headings
    assert not [h for h in headings if "heading" in h]


def test_the_markdown_holds_the_whole_record(full_md: str) -> None:
    assert DECISION_REASONS in full_md
    assert f"| 1 | {FIRST_STEP} | Gran | From 5 December | The school sees Gran at the gate |" in full_md
    assert f"`{HASH}`" in full_md
    assert "**Finalised** on 30 November 2026" in full_md
    assert (
        "| Sam Worker (Professional, Children's services) | 3 | Too many nights | 5 | A plan we all agree |" in full_md
    )
    assert "### Addendum 1:" in full_md
    assert "| LADO | the council officer who looks into worries about adults who work with children |" in full_md
    assert "| 2 | Sue visits on Wednesdays | Aunt Sue | Wednesday 9 December 2026 |  |" in full_md


@pytest.mark.parametrize("canary", RESTRICTED_CANARIES)
def test_the_familys_markdown_holds_no_restricted_item(full_md: str, family_md: str, canary: str) -> None:
    assert canary in full_md
    assert canary not in family_md


@pytest.mark.parametrize("reason", UNREVEALED)
def test_no_markdown_holds_an_unrevealed_answer(full_md: str, family_md: str, reason: str) -> None:
    assert reason not in full_md and reason not in family_md
    assert "2 answered. The answers were not shown to the room." in family_md


def test_a_value_the_template_forgot_to_escape_is_escaped_all_the_same(full: Record) -> None:
    titled = full.model_copy(update={"meeting": full.meeting.model_copy(update={"kind_label": "**loud** <b>"})})
    assert r"\*\*loud\*\* \<b\>, Monday 30 November 2026." in render_markdown(titled, LONDON)


def test_the_familys_copy_explains_every_word_of_professionals_it_uses(family: Record, family_md: str) -> None:
    # The template's own wording as much as what people wrote: "Words used in this record" promises them all.
    # (Names and short labels, such as an agency, are not checked anywhere: app.domain.plain_words.CHECKED_FIELDS.)
    glossary = glossary_for()
    explained = {word.term for word in family.plain_words.words_explained}
    page = re.sub(r"<style.*?</style>", " ", render_html(family, LONDON), flags=re.S)
    html_text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for text in (family_md, html_text):
        for attendee in family.attendance:
            text = text.replace(attendee.agency or "\0", " ")
        unexplained = {flag.text for flag in find_jargon(text, glossary) if flag.term not in explained}
        assert unexplained == set()
