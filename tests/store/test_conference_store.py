"""The store for the whole conference, on SQLite and PostgreSQL: a meeting keeps its kind and its agenda from the
start, every operation type commits and replays, and ids as long as the server makes them fit the log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.domain.agendas import MeetingKind, agenda_for
from app.domain.operations import Actor, operation_adapter
from app.domain.phases import PhaseState
from app.domain.roles import PERMISSIONS, OpType, Role, Scope
from app.domain.state import MeetingState
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from app.store.tables import MeetingRow, MeetingStateRow
from tests.support.conference_ops import MeetingFixture, case_for, setup_steps

from ._support import op_id, replayed

pytestmark = pytest.mark.asyncio


async def test_a_core_group_keeps_its_kind_and_its_agenda(meetings: Meetings, oplog: OpLog, db: Database) -> None:
    signed_in, _ = await meetings.create("Core group for A.", "Chair", kind=MeetingKind.core_group)
    meeting_id = signed_in.meeting.id

    assert signed_in.meeting.kind is MeetingKind.core_group
    assert (await meetings.get(meeting_id)).kind is MeetingKind.core_group
    async with db.read() as session:
        row = (await session.execute(select(MeetingRow).where(col(MeetingRow.id) == meeting_id))).scalar_one()
        state_row = await session.get(MeetingStateRow, meeting_id)
    assert row.kind == "core_group"
    assert row.agenda is not None
    assert [phase["id"] for phase in json.loads(row.agenda)] == [
        phase.id for phase in agenda_for(MeetingKind.core_group)
    ]
    assert state_row is not None, "the meeting's projection exists from the start"

    genesis = await oplog.genesis(meeting_id)
    assert genesis.kind is MeetingKind.core_group
    assert genesis.agenda == agenda_for(MeetingKind.core_group)
    assert genesis.phase == PhaseState(current="welcome")
    assert await oplog.board(meeting_id) == genesis == MeetingState.new(MeetingKind.core_group)


async def test_a_meeting_keeps_the_agenda_it_started_with(
    meetings: Meetings, oplog: OpLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing the templates later never rewrites the record of a meeting already held."""
    signed_in, _ = await meetings.create("Mapping", "Chair", kind=MeetingKind.mapping)
    started_with = agenda_for(MeetingKind.mapping)
    monkeypatch.setattr("app.domain.state.agenda_for", lambda kind: agenda_for(MeetingKind.initial_conference))

    assert (await oplog.genesis(signed_in.meeting.id)).agenda == started_with
    assert (await oplog.board(signed_in.meeting.id)).agenda == started_with


async def test_by_default_a_meeting_is_an_initial_conference(meetings: Meetings, oplog: OpLog) -> None:
    signed_in, _ = await meetings.create("Initial conference", "Chair")
    assert signed_in.meeting.kind is MeetingKind.initial_conference
    assert (await oplog.genesis(signed_in.meeting.id)).agenda == agenda_for(MeetingKind.initial_conference)


async def _fixture_meeting(db: Database, oplog: OpLog) -> tuple[str, dict[str, Actor]]:
    """The fixture meeting of conference_ops, built through the store by real participants."""
    meetings = Meetings(db, session_hours=8)
    signed_in, _ = await meetings.create("Conference", "Chair")
    meeting_id = signed_in.meeting.id
    people = {"chair": Actor(signed_in.participant.id, Role.chair)}
    for role in (Role.professional, Role.family, Role.projector, Role.observer):
        invited = await meetings.invite(meeting_id, role, role.value.title(), None)
        people[role.value] = Actor(invited.participant.id, role, invited.participant.display_name)
    for author, op in setup_steps(MeetingFixture()):
        await oplog.commit(meeting_id, people[author], op_id(), operation_adapter.validate_python(op))
    return meeting_id, people


async def test_every_operation_type_commits_and_replays(db: Database, oplog: OpLog) -> None:
    fixture = MeetingFixture()
    for op_type in OpType:
        meeting_id, people = await _fixture_meeting(db, oplog)
        role = next(role for role in Role if PERMISSIONS[role][op_type] is Scope.any)
        case = case_for(op_type, fixture, "professional" if role is not Role.professional else "chair")
        for author, before in case.before:
            await oplog.commit(meeting_id, people[author], op_id(), operation_adapter.validate_python(before))
        committed = await oplog.commit(
            meeting_id, people[role.value], op_id(), operation_adapter.validate_python(case.op)
        )
        assert committed.op.type == op_type.value and committed.changes
        stored = await oplog.board(meeting_id)
        assert stored.seq == committed.seq
        assert await replayed(oplog, meeting_id) == stored, op_type
        assert await OpLog(db).board(meeting_id) == stored, op_type


async def test_answers_to_a_round_the_server_named_are_logged(db: Database, oplog: OpLog) -> None:
    """An answer is named by its round and its person; with the ids the server makes, that is longer than one id
    (PostgreSQL refused it before the log's column was widened)."""
    meeting_id, people = await _fixture_meeting(db, oplog)
    opened = await oplog.commit(
        meeting_id, people["chair"], op_id(), operation_adapter.validate_python({"type": "open_round"})
    )
    round_id = opened.target_id
    for who in ("chair", "professional", "family"):
        answer = {"type": "answer_round", "round_id": round_id, "value": 5, "reason": "Because"}
        committed = await oplog.commit(meeting_id, people[who], op_id(), operation_adapter.validate_python(answer))
        assert committed.target_id == f"{round_id}--{people[who].participant_id}"
    await oplog.commit(
        meeting_id,
        people["chair"],
        op_id(),
        operation_adapter.validate_python({"type": "reveal_round", "round_id": round_id}),
    )
    stored = await oplog.board(meeting_id)
    assert [a.value for a in stored.answers if a.round_id == round_id] == [5, 5, 5]
    assert await replayed(oplog, meeting_id) == stored
