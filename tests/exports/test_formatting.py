"""Times as the room lived them, dates in words, and a file name that names nobody."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.exports.formatting import by_when, clock, day, filename, moment, number, zone_named
from app.exports.record import Record

LONDON = zone_named("Europe/London")


def test_times_are_shown_in_local_time_with_the_zone() -> None:
    assert clock(datetime(2026, 11, 30, 10, 15, tzinfo=UTC), LONDON) == "10:15 GMT"
    assert clock(datetime(2026, 6, 30, 10, 15, tzinfo=UTC), LONDON) == "11:15 BST"
    assert moment(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), LONDON) == "1 July 2026, 00:30 BST"
    assert clock(None, LONDON) == "" and moment(None, LONDON) == ""


def test_an_unknown_zone_falls_back_to_utc() -> None:
    assert zone_named("Nowhere/Atlantis") is UTC


def test_dates_in_words() -> None:
    assert day(date(2027, 3, 1)) == "Monday 1 March 2027"
    assert day(None) == "not set"


def test_a_middle_value_as_people_say_it() -> None:
    assert (number(6.0), number(6.5), number(None)) == ("6", "6.5", "")


def test_the_file_name_names_no_one(full: Record, family: Record) -> None:
    named = full.model_copy(update={"meeting": full.meeting.model_copy(update={"title": "Conference for Amy Smith"})})
    assert filename(named, "pdf") == "sos-record-2026-11-30-m-1.pdf"
    assert filename(family, "md") == "sos-record-2026-11-30-m-1-family-copy.md"
    odd = full.model_copy(update={"meeting": full.meeting.model_copy(update={"id": 'a"b/..\\c'})})
    assert filename(odd, "json") == "sos-record-2026-11-30-abc.json"


def test_a_date_in_the_plan_is_written_in_words() -> None:
    assert by_when("2026-12-09") == "Wednesday 9 December 2026"
    assert by_when("before the review") == "before the review"
    assert by_when("2026-13-45") == "2026-13-45", "not a date: kept as written"
