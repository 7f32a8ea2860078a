"""The record as Markdown, for pasting into other systems: made by a Jinja2 template (templates/record.md.j2).

Everything a person wrote is escaped so it reads as the words they wrote and nothing else: no heading, list,
table cell, emphasis, link, image or HTML can come out of a card's text. The template marks each such value with
the `md` filter; every other value the template prints goes through the same escaping anyway (the environment's
`finalize`), so a value the template forgot to mark is still safe. Headings and tables come from the template.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from app.exports import formatting, labels
from app.exports.record import Record, present

_ALWAYS = re.compile(r"([\\`*_\[\]<>#|~&])")
"""Markdown's specials wherever they stand: emphasis, code, links and images, HTML and entities, headings, table
cells, strikethrough. Escaped with a backslash (CommonMark: any ASCII punctuation may be)."""
_BLANK_LINES = re.compile(r"\n{3,}")
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])")


class Md(str):
    """Text already fit to stand in Markdown as it is."""

    __slots__ = ()


def md_escape(value: object) -> Md:
    """`value` as Markdown text that shows exactly its words: specials escaped, every run of white space (line
    breaks included) one space, so it stays within its line, list item or table cell, and characters that would
    reorder the line shown as code points (formatting.show_bidi_controls)."""
    if isinstance(value, Md):
        return value
    text = formatting.show_bidi_controls(" ".join(str(value).split()))
    text = _ALWAYS.sub(r"\\\1", text)
    # At the start of a line these make a list item, a heading underline or a numbered list.
    if text[:1] in ("-", "+", "="):
        text = "\\" + text
    text = _LIST_NUMBER.sub(r"\1\\\2", text)
    return Md(text)


def _finalize(value: Any) -> str:
    if value is None:
        return ""
    return md_escape(value)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("app.exports", "templates"),
        autoescape=False,  # noqa: S701  # nosec B701  # Markdown, not HTML: every value is escaped for Markdown by `finalize`
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["number"] = lambda value: Md(formatting.number(value))
    return env


def render_markdown(record: Record, zone: tzinfo) -> str:
    env = _environment()
    template = env.get_template("record.md.j2")
    text = template.render(
        r=record,
        labels=labels,
        present=present(record.attendance),
        day=lambda value: md_escape(formatting.day(value)),
        clock=lambda value: md_escape(formatting.clock(value, zone)),
        by_when=formatting.by_when,
        notes=lambda person: formatting.attendance_notes(person, zone),
        moment=lambda value: md_escape(formatting.moment(value, zone)),
    )
    # The template leaves a blank line wherever one is needed, and sometimes two: one is enough.
    return _BLANK_LINES.sub("\n\n", text)
