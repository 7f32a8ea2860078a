"""What the Markdown and the PDF share: times in the deployment's local time, dates in words, the file's name."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.exports.record import AttendeeOut, Record

_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Invisible characters that change the order text is shown in: marks, embeddings, overrides and isolates."""

DEFAULT_ZONE = "Europe/London"
"""Where the meeting was held, for the times a reader sees (the JSON keeps UTC)."""


def zone_named(name: str) -> tzinfo:
    """The time zone `name`; UTC when this machine has no time zone data for it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def day(value: date | None) -> str:
    """'Monday 30 November 2026'."""
    if value is None:
        return "not set"
    return f"{value:%A} {value.day} {value:%B %Y}"


def by_when(text: str) -> str:
    """A plan's 'by when' as people say it: a date written as 2026-12-09 becomes 'Wednesday 9 December 2026';
    words ('before the review') stay as they are."""
    try:
        return day(date.fromisoformat(text)) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text
    except ValueError:
        return text


def clock(value: datetime | None, zone: tzinfo) -> str:
    """'10:15 GMT'."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


def moment(value: datetime | None, zone: tzinfo) -> str:
    """'30 November 2026, 10:15 GMT'."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return f"{local.day} {local:%B %Y}, {clock(value, zone)}"


def attendance_notes(person: AttendeeOut, zone: tzinfo) -> str:
    """'Left early, at 11:20 GMT. Stepped out at 10:40 GMT, back at 11:00 GMT.'"""
    notes: list[str] = []
    if person.left_at is not None:
        notes.append(f"Left early, at {clock(person.left_at, zone)}.")
    for out in person.stepped_out:
        back = f", back at {clock(out.ended_at, zone)}" if out.ended_at else ""
        notes.append(f"Stepped out at {clock(out.started_at, zone)}{back}.")
    if not person.confirmed:
        notes.append("Checked in on their device; not yet confirmed by the chair.")
    return " ".join(notes)


def show_bidi_controls(text: str) -> str:
    """Each invisible character that reorders text, as its code point in brackets ('[U+202E]'). A right-to-left
    override in a name or a card would otherwise make the printed record show other words than were written (and
    reorder what follows it); this way a reader reads the words in the order they were typed, and sees that
    something was there. Zero-width joiners stay: they join letters and emoji and reorder nothing. record.json
    keeps every text exactly as written."""
    return _BIDI_CONTROLS.sub(lambda match: f"[U+{ord(match.group()):04X}]", text)


def number(value: float | None) -> str:
    """6, or 6.5: a median as people say it."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def filename(record: Record, extension: str) -> str:
    """The record's download name (`download_name`), the family's copy said so."""
    family = "-family-copy" if record.copy_kind == "family" else ""
    return download_name("record", record.meeting.date, record.meeting.id, extension, family)


def download_name(kind: str, day: date, meeting_id: str, extension: str, suffix: str = "") -> str:
    """Every download's name: what it is, the date and the meeting's id; never a person's name (a title may hold a
    child's). `sos-record-2026-11-30-<id>.pdf`."""
    safe_id = re.sub(r"[^A-Za-z0-9_-]", "", meeting_id)[:40]
    return f"sos-{kind}-{day.isoformat()}-{safe_id}{suffix}.{extension}"
