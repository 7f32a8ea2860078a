"""Replaying the stored op log rebuilds exactly the stored board, whatever a meeting threw at the store.

Random meetings (adds, edits, moves, deletes from every role, many refused, some resent) go through the real
OpLog. The board read back from the database must equal the op log replayed from an empty board, and equal the
domain's own result: the projection never drifts from the log.

The same for whole conferences of every kind (every operation type, from every role): the stored meeting is its
log replayed from its genesis, a process with a cold cache reads the same, and the store refuses exactly what the
domain refuses, with the same code.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from app.domain.agendas import MeetingKind
from app.domain.errors import DomainError
from app.domain.operations import Actor, AddCard, apply_operation, operation_adapter
from app.domain.roles import Role
from app.domain.state import BoardState, MeetingState
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import CommittedOp, OpLog
from tests.support.conference_ops import MeetingFixture, setup_steps
from tests.support.conference_steps import ConferenceStep, conference_steps
from tests.support.conference_steps import resolve as resolve_conference
from tests.support.operation_steps import RESEND, Step, operation_steps, resolve

from ._support import new_room, replayed

pytestmark = pytest.mark.asyncio

# Indices into Room.everyone (chair, social worker, teacher, mum, gran, projector); writers appear more often.
steps = operation_steps([0, 1, 2, 3, 4, 0, 1, 3, 5], resend=True)


_op_ids = itertools.count()


async def _run_meeting(db: Database, oplog: OpLog, meeting: list[Step[int]]) -> None:
    room = await new_room(db)
    model = BoardState()  # what the domain alone says the board is
    accepted: list[CommittedOp] = []
    for step in meeting:
        actor = room.everyone[step.actor]
        if step.op_type == RESEND:
            if not accepted:
                continue
            first = accepted[step.target % len(accepted)]
            again = await oplog.commit(room.meeting_id, first.actor, first.op_id, first.op)
            assert again.duplicate and (again.seq, again.card, again.card_id) == (first.seq, first.card, first.card_id)
            continue
        op = resolve(step, model)
        try:
            expected = apply_operation(model, op, actor, new_id="srv", seq=model.seq + 1)
        except DomainError as error:
            expected_error: DomainError | None = error
        else:
            expected_error = None
        client_op_id = f"prop-{next(_op_ids)}"
        try:
            committed = await oplog.commit(room.meeting_id, actor, client_op_id, op)
        except DomainError as error:
            note(f"refused {actor.role} {op!r}: {error.code}")
            assert expected_error is not None, f"the store refused what the rules accept: {error!r}"
            assert error.code == expected_error.code
            continue
        note(f"seq {committed.seq}: {actor.role} {committed.op!r}")
        assert expected_error is None, f"the store accepted what the rules refuse: {expected_error!r}"
        assert committed.seq == model.seq + 1
        model = apply_operation(model, committed.op, actor, new_id="unused", seq=committed.seq, as_logged=True).state
        if not isinstance(op, AddCard) or op.card_id is not None:
            assert model == expected.state
        accepted.append(committed)

    rebuilt = await replayed(oplog, room.meeting_id)
    stored = await oplog.board(room.meeting_id)
    assert rebuilt == stored, "the projection is exactly the op log replayed"
    assert await OpLog(db).board(room.meeting_id) == stored, "a process with a cold cache reads the same board"
    assert stored == model
    assert stored.seq == len(accepted)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(meeting=st.lists(steps, min_size=5, max_size=40))
async def test_the_stored_board_is_the_op_log_replayed(db: Database, oplog: OpLog, meeting: list[Step[int]]) -> None:
    await _run_meeting(db, oplog, meeting)


# The whole conference: every operation type from every role, through the real OpLog.

CAST = [
    (Role.chair, "Chair"),
    (Role.professional, "Social worker"),
    (Role.professional, "Teacher"),
    (Role.family, "Mum"),
    (Role.family, "Gran"),
    (Role.projector, "Wall"),
    (Role.observer, "Minutes"),
]
# Indices into CAST; the chair, who runs the meeting, appears more often.
conference = conference_steps([0, 0, 0, 1, 1, 2, 3, 3, 4, 5, 6], lambda index: CAST[index][0], resend=True)


async def _conference_room(db: Database, kind: MeetingKind) -> tuple[str, list[Actor]]:
    """A meeting of `kind` and the people in it, each as the realtime layer makes them: with the name and agency
    of their invitation."""
    meetings = Meetings(db, session_hours=8)
    signed_in, _ = await meetings.create("Conference", "Chair", kind=kind)
    meeting_id = signed_in.meeting.id
    people = [signed_in.participant]
    for role, name in CAST[1:]:
        people.append(
            (await meetings.invite(meeting_id, role, name, "Agency" if role is Role.professional else None)).participant
        )
    return meeting_id, [Actor(p.id, p.role, p.display_name, p.agency) for p in people]


async def _run_conference(
    db: Database, oplog: OpLog, kind: MeetingKind, meeting: list[ConferenceStep[int]], seeded: bool
) -> None:
    meeting_id, actors = await _conference_room(db, kind)
    genesis = await oplog.genesis(meeting_id)
    assert genesis == MeetingState.new(kind) == await oplog.board(meeting_id)
    model = genesis  # what the domain alone says the meeting is
    accepted: list[CommittedOp] = []
    fixture = MeetingFixture()
    by_role = {"chair": actors[0], "professional": actors[1], "family": actors[3]}
    seed = [(by_role[author], operation_adapter.validate_python(op)) for author, op in setup_steps(fixture)]
    for step in [*(seed if seeded else []), *meeting]:
        if isinstance(step, ConferenceStep):
            if step.op_type == RESEND:
                if accepted:
                    first = accepted[step.pick % len(accepted)]
                    again = await oplog.commit(meeting_id, first.actor, first.op_id, first.op)
                    assert again.duplicate
                    assert (again.seq, again.op, again.changes) == (first.seq, first.op, first.changes)
                continue
            actor, op = actors[step.actor], resolve_conference(step, model)
        else:
            actor, op = step
        try:
            apply_operation(model, op, actor, new_id="srv", seq=model.seq + 1)
        except DomainError as error:
            expected: str | None = error.code
        else:
            expected = None
        try:
            committed = await oplog.commit(meeting_id, actor, f"conf-{next(_op_ids)}", op)
        except DomainError as error:
            note(f"refused {actor.role} {op!r}: {error.code}")
            assert error.code == expected, f"the store refused ({error.code}) what the rules say: {expected}"
            continue
        note(f"seq {committed.seq}: {actor.role} {committed.op!r}")
        assert expected is None, f"the store accepted what the rules refuse: {expected}"
        assert committed.seq == model.seq + 1
        # The logged op names every id the server gave, so the domain follows without the store's new ids.
        model = apply_operation(
            model, committed.op, actor, new_id="never-used", seq=committed.seq, at=committed.at
        ).state
        accepted.append(committed)

    event(f"accepted {min(len(accepted) // 20 * 20, 60)}+")
    event(f"{len({c.op.type for c in accepted}) // 10 * 10}+ operation types")
    stored = await oplog.board(meeting_id)
    rebuilt = await replayed(oplog, meeting_id)
    assert rebuilt == stored, "the projection is exactly the op log replayed from its genesis"
    assert await OpLog(db).board(meeting_id) == stored, "a process with a cold cache reads the same meeting"
    assert stored == model, "the store keeps what the domain says"
    assert stored.seq == len(accepted)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(list(MeetingKind)),
    meeting=st.lists(conference, min_size=15, max_size=100),
    seeded=st.booleans(),
)
async def test_the_stored_conference_is_its_op_log_replayed(
    db: Database, oplog: OpLog, kind: MeetingKind, meeting: list[ConferenceStep[int]], seeded: bool
) -> None:
    await _run_conference(db, oplog, kind, meeting, seeded)
