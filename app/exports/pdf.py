"""The record as a tagged, accessible PDF (PDF/UA-1): HTML from a Jinja2 template, printed by WeasyPrint.

The HTML is autoescaped, so what people wrote is text and never markup. WeasyPrint fetches nothing: the only
stylesheet is inline and every URL is refused, so a record can never make the server read a file or call out.
It is imported only when a PDF is asked for (it loads Pango and fonts), and rendering is CPU-bound: callers run
`render_pdf` in a worker thread.

Every page's footer says whether the record is final or a draft, names the record's hash and the page number.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from app.exports import formatting, labels
from app.exports.record import Record, present

PDF_VARIANT = "pdf/ua-1"
_CSS_UNSAFE = re.compile(r"[^A-Za-z0-9 .,:;()'—·-]")


def css_string(text: str) -> str:
    """`text` as a CSS string literal: anything but plain letters, digits and punctuation is a CSS escape."""
    return '"' + _CSS_UNSAFE.sub(lambda match: f"\\{ord(match.group()):06x}", text) + '"'


def footer(record: Record) -> str:
    """The @page rules that put the record's state, its hash and the page number on every page."""
    if not record.integrity.record_matches_log:
        chain = "Warning: what is stored differs from its history of changes. Do not rely on this copy."
    elif record.integrity.hash:
        chain = f"Record hash {record.integrity.hash} ({record.integrity.ops} changes)"
    elif record.integrity.chain_holds:
        chain = "No record hash: nothing recorded yet"
    else:
        chain = f"Warning: the record's history does not check out from change {record.integrity.first_broken_seq}"
    first = f"{record.status.label} · {record.copy_label}"
    return (
        "@page {\n"
        f"  @bottom-left {{ content: {css_string(first)} '\\A' {css_string(chain)}; white-space: pre-wrap;"
        ' font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 6.5pt; vertical-align: top;'
        " width: 80%; }\n"
        '  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt;'
        " vertical-align: top; }\n"
        "}\n"
    )


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("app.exports", "templates"),
        autoescape=True,
        finalize=_shown_in_typed_order,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _shown_in_typed_order(value: Any) -> Any:
    """Every text the template prints, with characters that would reorder it shown as code points
    (formatting.show_bidi_controls). Markup too (a `join` of escaped names is Markup): the code points are plain
    ASCII, so escaped text stays escaped."""
    if isinstance(value, Markup):
        return Markup(formatting.show_bidi_controls(str(value)))  # noqa: S704  # nosec B704  # escaped already
    if isinstance(value, str):
        return formatting.show_bidi_controls(value)
    return value


@cache
def _stylesheet() -> str:
    return files("app.exports").joinpath("templates", "record.css").read_text(encoding="utf-8")


def document_title(record: Record) -> str:
    return f"{record.meeting.title}: {record.meeting.kind_label}, {formatting.day(record.meeting.date)}"


def render_html(record: Record, zone: tzinfo) -> str:
    """The record as the HTML WeasyPrint prints."""
    template = _environment().get_template("record.html.j2")
    return template.render(
        r=record,
        labels=labels,
        present=present(record.attendance),
        document_title=document_title(record),
        stylesheet=Markup(_stylesheet() + footer(record)),  # noqa: S704  # nosec B704  # our own stylesheet; the footer is escaped
        day=formatting.day,
        clock=lambda value: formatting.clock(value, zone),
        by_when=formatting.by_when,
        notes=lambda person: formatting.attendance_notes(person, zone),
        moment=lambda value: formatting.moment(value, zone),
        number=formatting.number,
    )


def render_pdf(record: Record, zone: tzinfo) -> bytes:
    """The record as a PDF/UA-1 document (A4). Blocking and CPU-bound: call it from a worker thread."""
    return pdf_of_html(render_html(record, zone))


def pdf_of_html(html: str) -> bytes:
    """Print `html` with WeasyPrint, loading nothing it names: a URL stops the render instead."""
    import weasyprint  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NoFetch(URLFetcher):  # type: ignore[misc]
        """The record has no images or links to load, and must never make the server read a file or call out."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"the record fetches nothing: {url[:40]}")

    document = weasyprint.HTML(string=html, url_fetcher=NoFetch(fail_on_errors=True))
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf
