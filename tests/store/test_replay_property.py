"""Replaying the stored op log rebuilds exactly the stored board, whatever a meeting threw at the store.

Random meetings (adds, edits, moves, deletes from every role, many refused, some resent) go through the real
OpLog. The board read back from the database must equal the op log replayed from an empty board, and equal the
domain's own result: the projection never drifts from the log.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from app.domain.errors import DomainError
from app.domain.operations import AddCard, apply_operation
from app.domain.state import BoardState
from app.store.database import Database
from app.store.oplog import CommittedOp, OpLog
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
        model = apply_operation(model, committed.op, actor, new_id="unused", seq=committed.seq).state
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
