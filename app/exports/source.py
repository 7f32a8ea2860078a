"""Everything a record is made from, read from the store so that the hash it names is the hash of what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.meeting import Meeting, Participant
from app.domain.plain_words import Glossary
from app.domain.state import MeetingState
from app.exports.record import Copy, Record, build_record
from app.store.chain import Verification
from app.store.meetings import Meetings
from app.store.oplog import OpLog

ATTEMPTS = 5
"""Reads of the meeting and of its chain before settling for a pair an op fell between (a live meeting)."""


@dataclass(frozen=True, slots=True)
class RecordSource:
    meeting: Meeting
    people: list[Participant]
    state: MeetingState
    chain: Verification
    record_matches_log: bool

    def record(self, copy: Copy, exported_at: datetime, glossary: Glossary) -> Record:
        return build_record(
            self.state,
            self.meeting,
            self.people,
            self.chain,
            self.record_matches_log,
            copy=copy,
            exported_at=exported_at,
            glossary=glossary,
        )


async def read_record_source(oplog: OpLog, meetings: Meetings, meeting_id: str) -> RecordSource:
    """The meeting, its people, its state and its chain. The state and the chain are two reads: while an op
    commits between them (a draft exported during the meeting), read again, so the hash the record names is
    that of the last op it shows. After ATTEMPTS the record says which seq it shows (`as_of_seq`) beside the
    chain's length (`ops`)."""
    meeting = await meetings.get(meeting_id)
    for _ in range(ATTEMPTS):
        state = await oplog.board(meeting_id)
        chain, matches = await oplog.verify(meeting_id)
        if chain.ops == state.seq or not chain.holds:
            break
    people = await meetings.people(meeting_id)
    return RecordSource(meeting, people, state, chain, matches)
