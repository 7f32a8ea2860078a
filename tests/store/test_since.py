"""Reconnecting with the last seen seq: the server sends exactly what was missed, or says a snapshot is better."""

from __future__ import annotations

import pytest

from app.domain.board import CardKind, Column
from app.domain.errors import CardNotFound, MeetingNotFound
from app.domain.operations import AddCard, DeleteCard, EditCard, MoveCard
from app.store.oplog import CommittedOp, OpLog

from ._support import Room, new_room, op_id

pytestmark = pytest.mark.asyncio


async def _meeting_with_ops(oplog: OpLog, room: Room, count: int) -> list[CommittedOp]:
    committed = []
    for n in range(count):
        committed.append(
            await oplog.commit(
                room.meeting_id,
                (room.chair, room.mum)[n % 2],
                op_id(),
                AddCard(column=Column.worries, kind=CardKind.harm, text=f"Worry {n}"),
            )
        )
    return committed


def _key(op: CommittedOp) -> tuple[object, ...]:
    return (op.seq, op.op_id, op.actor, op.op, op.card, op.card_id, op.at)


async def test_since_returns_the_missed_ops_in_order(oplog: OpLog, room: Room) -> None:
    committed = await _meeting_with_ops(oplog, room, 10)

    result = await oplog.since(room.meeting_id, 6, limit=100)

    assert result is not None
    missed, current = result
    assert current == 10
    assert [_key(op) for op in missed] == [_key(op) for op in committed[6:]]
    assert [op.seq for op in missed] == [7, 8, 9, 10]
    assert not any(op.duplicate for op in missed)
    assert all(op.meeting_id == room.meeting_id for op in missed)


async def test_since_carries_every_kind_of_op_as_it_was_logged(oplog: OpLog, room: Room) -> None:
    added = await oplog.commit(
        room.meeting_id, room.chair, op_id(), AddCard(column=Column.worries, kind=CardKind.harm, text="Bruise")
    )
    ops = [
        added,
        await oplog.commit(
            room.meeting_id, room.chair, op_id(), EditCard(card_id=added.card_id, base_version=1, text="Bruise, arm")
        ),
        await oplog.commit(
            room.meeting_id,
            room.chair,
            op_id(),
            MoveCard(card_id=added.card_id, column=Column.working_well, position=3, kind=CardKind.grey_area),
        ),
        await oplog.commit(room.meeting_id, room.chair, op_id(), DeleteCard(card_id=added.card_id, base_version=3)),
    ]
    result = await oplog.since(room.meeting_id, 0, limit=10)
    assert result is not None
    assert [_key(op) for op in result[0]] == [_key(op) for op in ops]
    # The log holds the op as applied: the server-assigned id, the clamped position, the kind it ended with.
    add, _, move, delete = result[0]
    assert isinstance(add.op, AddCard) and add.op.card_id == added.card_id and add.op.position == 0
    assert isinstance(move.op, MoveCard) and move.op.position == 0 and move.op.kind is CardKind.grey_area
    assert isinstance(delete.op, DeleteCard) and delete.card is None


async def test_since_the_current_seq_is_an_empty_catch_up(oplog: OpLog, room: Room) -> None:
    await _meeting_with_ops(oplog, room, 3)
    assert await oplog.since(room.meeting_id, 3, limit=100) == ([], 3)


async def test_since_on_a_new_meeting(oplog: OpLog, room: Room) -> None:
    assert await oplog.since(room.meeting_id, 0, limit=100) == ([], 0)
    assert await oplog.since(room.meeting_id, 0, limit=0) == ([], 0)


async def test_since_up_to_the_limit_is_sent_and_past_it_a_snapshot(oplog: OpLog, room: Room) -> None:
    await _meeting_with_ops(oplog, room, 10)

    exactly = await oplog.since(room.meeting_id, 5, limit=5)
    assert exactly is not None and [op.seq for op in exactly[0]] == [6, 7, 8, 9, 10]
    assert await oplog.since(room.meeting_id, 4, limit=5) is None, "6 missed ops with a limit of 5: snapshot"
    assert await oplog.since(room.meeting_id, 0, limit=5) is None


async def test_since_a_seq_ahead_of_the_log_means_snapshot(oplog: OpLog, room: Room) -> None:
    """A client that saw seq 12 of a log that only has 3 (a database restored from backup, another server)."""
    await _meeting_with_ops(oplog, room, 3)
    assert await oplog.since(room.meeting_id, 4, limit=100) is None
    assert await oplog.since(room.meeting_id, 12, limit=100) is None


async def test_refused_and_duplicate_ops_do_not_show_up_in_since(oplog: OpLog, room: Room) -> None:
    committed = await _meeting_with_ops(oplog, room, 2)
    with pytest.raises(CardNotFound):
        await oplog.commit(room.meeting_id, room.chair, op_id(), DeleteCard(card_id="gone", base_version=1))
    await oplog.commit(room.meeting_id, committed[0].actor, committed[0].op_id, committed[0].op)
    result = await oplog.since(room.meeting_id, 0, limit=100)
    assert result is not None
    assert [_key(op) for op in result[0]] == [_key(op) for op in committed]
    assert result[1] == 2


async def test_since_only_sees_its_own_meeting(oplog: OpLog, room: Room) -> None:
    other = await new_room(oplog.db)
    await _meeting_with_ops(oplog, other, 4)
    mine = await _meeting_with_ops(oplog, room, 2)
    result = await oplog.since(room.meeting_id, 0, limit=100)
    assert result is not None
    assert ([_key(op) for op in result[0]], result[1]) == ([_key(op) for op in mine], 2)
    with pytest.raises(MeetingNotFound):
        await oplog.since("f" * 32, 0, limit=100)


async def test_between_returns_a_window_of_the_log(oplog: OpLog, room: Room) -> None:
    committed = await _meeting_with_ops(oplog, room, 6)
    window = await oplog.between(room.meeting_id, 2, 4)
    assert [_key(op) for op in window] == [_key(op) for op in committed[2:4]]
    assert await oplog.between(room.meeting_id, 6, 10) == []
