"""The meeting of _meeting.py, built once through the real rules, and its record in both copies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.meeting import Meeting
from app.domain.plain_words import glossary_for
from app.domain.state import MeetingState
from app.exports.record import Copy, Record, build_record
from app.store.chain import Verification
from tests.exports._meeting import PEOPLE, steps
from tests.support.conference_ops import ConferenceRoom

HASH = "3f" * 32
MEETING = Meeting("m-1", "Initial conference, 30 November", "finalised", "2026-11-30T10:00:00+00:00")
EXPORTED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def build_meeting() -> MeetingState:
    room = ConferenceRoom()
    for who, op in steps():
        room.do(PEOPLE[who].actor, op)
    return room.state


def record_of(state: MeetingState, copy: Copy, chain: Verification | None = None) -> Record:
    chain = chain or Verification(True, state.seq, HASH, None, None)
    people = [person.participant for person in PEOPLE.values()]
    return build_record(
        state, MEETING, people, chain, True, copy=copy, exported_at=EXPORTED_AT, glossary=glossary_for()
    )


@pytest.fixture(scope="session")
def meeting_state() -> MeetingState:
    return build_meeting()


@pytest.fixture(scope="session")
def full(meeting_state: MeetingState) -> Record:
    return record_of(meeting_state, "full")


@pytest.fixture(scope="session")
def family(meeting_state: MeetingState) -> Record:
    return record_of(meeting_state, "family")
