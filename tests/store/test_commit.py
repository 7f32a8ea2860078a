"""One transaction per op: an accepted op is in the log and on the board together; a refused one leaves no trace;
a resent op id gives back the first result and never a second card."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from app.domain.board import CardKind, Column
from app.domain.errors import (
    CardNotFound,
    DomainError,
    InvalidOperation,
    MeetingNotFound,
    PermissionDenied,
    StaleVersion,
)
from app.domain.operations import Actor, AddCard, DeleteCard, EditCard, MoveCard, apply_operation
from app.domain.operations import AnyOperation as Op
from app.domain.state import BoardState
from app.store.database import Database
from app.store.oplog import OpLog
from app.store.tables import MeetingRow, OpRow

from ._support import Room, card_rows, new_room, op_id, op_rows, replayed

pytestmark = pytest.mark.asyncio


def harm(text: str, card_id: str | None = None, position: int | None = None) -> AddCard:
    return AddCard(card_id=card_id, column=Column.worries, kind=CardKind.harm, text=text, position=position)


def strength(text: str, card_id: str | None = None) -> AddCard:
    return AddCard(card_id=card_id, column=Column.working_well, kind=CardKind.strength, text=text)


async def last_seq(db: Database, meeting_id: str) -> int:
    async with db.read() as session:
        value = (
            await session.execute(select(col(MeetingRow.last_seq)).where(col(MeetingRow.id) == meeting_id))
        ).scalar_one()
        return int(value)


async def test_an_accepted_op_is_in_the_log_and_on_the_board(db: Database, oplog: OpLog, room: Room) -> None:
    committed = await oplog.commit(room.meeting_id, room.social_worker, "client-1", harm("Bruise on arm"))

    assert committed.seq == 1 and not committed.duplicate
    assert committed.card is not None and committed.card.text == "Bruise on arm"
    assert committed.card.author_id == room.social_worker.participant_id
    assert isinstance(committed.op, AddCard) and committed.op.card_id == committed.card_id

    [row] = await op_rows(db, room.meeting_id)
    assert (row.seq, row.op_id, row.actor_id, row.role, row.type, row.card_id) == (
        1,
        "client-1",
        room.social_worker.participant_id,
        "professional",
        "add_card",
        committed.card_id,
    )
    [card] = await card_rows(db, room.meeting_id)
    assert (card.id, card.text, card.column, card.version, card.position) == (
        committed.card_id,
        "Bruise on arm",
        "worries",
        1,
        0,
    )
    assert await last_seq(db, room.meeting_id) == 1

    # A reader that never saw the commit (another process) gets the same board from the database.
    fresh = OpLog(db)
    board = await fresh.board(room.meeting_id)
    assert board.seq == 1
    assert [c.text for c in board.columns[Column.worries]] == ["Bruise on arm"]


async def test_seqs_count_up_per_meeting_independently(db: Database, oplog: OpLog) -> None:
    first, second = await new_room(db), await new_room(db)

    seqs_first = [(await oplog.commit(first.meeting_id, first.chair, op_id(), harm(f"A{n}"))).seq for n in range(3)]
    seqs_second = [(await oplog.commit(second.meeting_id, second.chair, op_id(), harm("B"))).seq for _ in range(2)]
    seqs_first.append((await oplog.commit(first.meeting_id, first.chair, op_id(), harm("A3"))).seq)

    assert seqs_first == [1, 2, 3, 4]
    assert seqs_second == [1, 2]
    assert [row.seq for row in await op_rows(db, first.meeting_id)] == [1, 2, 3, 4]
    assert [row.seq for row in await op_rows(db, second.meeting_id)] == [1, 2]
    assert (await oplog.board(first.meeting_id)).seq == 4
    assert (await oplog.board(second.meeting_id)).seq == 2


async def test_the_same_op_id_in_two_meetings_is_two_ops(db: Database, oplog: OpLog) -> None:
    first, second = await new_room(db), await new_room(db)
    a = await oplog.commit(first.meeting_id, first.chair, "same-id", harm("In meeting one"))
    b = await oplog.commit(second.meeting_id, second.chair, "same-id", harm("In meeting two"))
    assert not a.duplicate and not b.duplicate
    assert [c.text for c in (await oplog.board(second.meeting_id)).cards()] == ["In meeting two"]


async def test_refused_ops_leave_nothing_behind(db: Database, oplog: OpLog, room: Room) -> None:
    card = (await oplog.commit(room.meeting_id, room.mum, op_id(), harm("Dad shouts"))).card
    assert card is not None
    await oplog.commit(room.meeting_id, room.teacher, op_id(), strength("Always on time"))
    rows_before = await op_rows(db, room.meeting_id)
    cards_before = [
        (c.id, c.text, c.column, c.kind, c.version, c.position) for c in await card_rows(db, room.meeting_id)
    ]
    board_before = await oplog.board(room.meeting_id)

    refusals: list[tuple[Op, type[DomainError]]] = [
        (EditCard(card_id=card.id, base_version=card.version + 1, text="Rewritten"), StaleVersion),
        (DeleteCard(card_id=card.id, base_version=card.version + 1), StaleVersion),
        (EditCard(card_id="no-such-card", base_version=1, text="x"), CardNotFound),
        (MoveCard(card_id=card.id, column=Column.working_well, position=0), InvalidOperation),
        (AddCard(column=Column.worries, kind=CardKind.strength, text="Wrong column"), InvalidOperation),
        (AddCard(card_id=card.id, column=Column.worries, kind=CardKind.harm, text="Same id"), DomainError),
    ]
    for op, error in refusals:
        with pytest.raises(error):
            await oplog.commit(room.meeting_id, room.chair, op_id(), op)
    with pytest.raises(PermissionDenied):
        await oplog.commit(room.meeting_id, room.projector, op_id(), harm("The wall cannot write"))
    with pytest.raises(PermissionDenied):
        await oplog.commit(room.meeting_id, room.gran, op_id(), EditCard(card_id=card.id, base_version=1, text="x"))

    assert await op_rows(db, room.meeting_id) == rows_before
    assert [
        (c.id, c.text, c.column, c.kind, c.version, c.position) for c in await card_rows(db, room.meeting_id)
    ] == cards_before
    assert await last_seq(db, room.meeting_id) == 2
    assert await oplog.board(room.meeting_id) == board_before
    assert await OpLog(db).board(room.meeting_id) == board_before

    # The next accepted op takes the very next seq: refusals burn no numbers.
    assert (await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Next"))).seq == 3


async def test_a_stale_edit_is_refused_with_the_current_card(oplog: OpLog, room: Room) -> None:
    added = await oplog.commit(room.meeting_id, room.chair, op_id(), harm("First words"))
    assert added.card is not None
    edited = await oplog.commit(
        room.meeting_id, room.social_worker, op_id(), EditCard(card_id=added.card_id, base_version=1, text="Better")
    )
    with pytest.raises(StaleVersion) as refused:
        await oplog.commit(
            room.meeting_id, room.teacher, op_id(), EditCard(card_id=added.card_id, base_version=1, text="Mine")
        )
    assert refused.value.current == edited.card
    assert [c.text for c in (await oplog.board(room.meeting_id)).cards()] == ["Better"]


async def test_a_resent_op_returns_the_first_result_and_creates_nothing(db: Database, oplog: OpLog, room: Room) -> None:
    first = await oplog.commit(room.meeting_id, room.mum, "resent", harm("Nobody listens"))
    other = await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Later card"))

    # The tablet lost the ack and sends the same op again, and again (even from a process with no cache).
    again = await oplog.commit(room.meeting_id, room.mum, "resent", harm("Nobody listens"))
    from_elsewhere = await OpLog(db).commit(room.meeting_id, room.mum, "resent", harm("Nobody listens"))

    for duplicate in (again, from_elsewhere):
        assert duplicate.duplicate
        assert (duplicate.seq, duplicate.card_id, duplicate.card, duplicate.op, duplicate.actor) == (
            first.seq,
            first.card_id,
            first.card,
            first.op,
            first.actor,
        )
        assert duplicate.at == first.at
    assert [row.seq for row in await op_rows(db, room.meeting_id)] == [1, 2]
    board = await oplog.board(room.meeting_id)
    assert [c.text for c in board.cards()] == ["Nobody listens", "Later card"]
    assert await last_seq(db, room.meeting_id) == 2
    # The duplicate burned no seq either.
    assert (await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Third"))).seq == other.seq + 1


async def test_a_resent_op_id_with_a_different_op_still_returns_the_first(oplog: OpLog, room: Room) -> None:
    first = await oplog.commit(room.meeting_id, room.chair, "reused", harm("Original"))
    again = await oplog.commit(room.meeting_id, room.chair, "reused", harm("Something else"))
    assert again.duplicate and again.card == first.card
    assert [c.text for c in (await oplog.board(room.meeting_id)).cards()] == ["Original"]


async def test_a_resent_op_that_was_refused_is_judged_again(db: Database, oplog: OpLog, room: Room) -> None:
    """A refusal is not logged, so the same op id may later succeed (e.g. after the client fixed its input)."""
    with pytest.raises(InvalidOperation):
        await oplog.commit(
            room.meeting_id, room.chair, "retry", AddCard(column=Column.worries, kind=CardKind.strength, text="x")
        )
    accepted = await oplog.commit(room.meeting_id, room.chair, "retry", harm("Fixed"))
    assert accepted.seq == 1 and not accepted.duplicate
    assert len(await op_rows(db, room.meeting_id)) == 1


async def test_committing_to_an_unknown_meeting_is_refused(db: Database, oplog: OpLog, room: Room) -> None:
    with pytest.raises(MeetingNotFound):
        await oplog.commit("0" * 32, room.chair, op_id(), harm("Lost"))
    with pytest.raises(MeetingNotFound):
        await oplog.board("0" * 32)
    async with db.read() as session:
        count = (await session.execute(select(func.count()).where(col(OpRow.meeting_id) == "0" * 32))).scalar_one()
    assert count == 0


async def test_the_projection_follows_add_edit_move_delete_exactly(db: Database, oplog: OpLog, room: Room) -> None:
    """After every kind of op, the stored board equals the domain's own result, and the op log replays to it."""
    expected = BoardState()
    numbers = iter(range(1000))

    async def do(actor: Actor, op: Op) -> None:
        nonlocal expected
        committed = await oplog.commit(room.meeting_id, actor, op_id(), op)
        expected = apply_operation(
            expected,
            committed.op,
            actor,
            new_id=f"unused-{next(numbers)}",
            seq=committed.seq,
        ).state
        stored = await OpLog(db).board(room.meeting_id)  # no cache: what the database holds
        assert stored == expected, f"after {committed.op!r}"
        assert await oplog.board(room.meeting_id) == expected
        assert await replayed(oplog, room.meeting_id) == expected

    await do(room.chair, harm("Bruise", card_id="bruise"))
    await do(room.social_worker, harm("Missed appointments", card_id="missed"))
    await do(room.mum, harm("Shouting", card_id="shout", position=0))
    await do(room.teacher, strength("On time", card_id="ontime"))
    await do(room.gran, strength("Gran picks up", card_id="gran"))
    await do(room.chair, EditCard(card_id="bruise", base_version=1, text="Bruise on left arm"))
    await do(room.mum, EditCard(card_id="shout", base_version=1, kind=CardKind.complicating_factor))
    await do(room.chair, EditCard(card_id="bruise", base_version=2, text="Bruise on left arm"))  # no change
    await do(room.chair, MoveCard(card_id="missed", column=Column.worries, position=0))  # within a column
    await do(room.chair, MoveCard(card_id="bruise", column=Column.working_well, position=1, kind=CardKind.grey_area))
    await do(room.mum, MoveCard(card_id="shout", column=Column.needs_to_happen, position=5, kind=CardKind.safety_goal))
    await do(room.teacher, DeleteCard(card_id="ontime", base_version=1))
    await do(room.chair, MoveCard(card_id="gran", column=Column.working_well, position=99))
    await do(room.mum, DeleteCard(card_id="shout", base_version=3))
    await do(room.chair, harm("Back again", card_id="ontime"))  # a deleted card's id may be used again

    stored = await OpLog(db).board(room.meeting_id)
    assert {column: [c.id for c in cards] for column, cards in stored.columns.items()} == {
        Column.worries: ["missed", "ontime"],
        Column.working_well: ["bruise", "gran"],
        Column.needs_to_happen: [],
    }
    assert stored.seq == 15
    positions = sorted((c.column, c.position, c.id) for c in await card_rows(db, room.meeting_id))
    assert positions == [
        ("working_well", 0, "bruise"),
        ("working_well", 1, "gran"),
        ("worries", 0, "missed"),
        ("worries", 1, "ontime"),
    ], "positions stay dense, 0..n-1 in every column"
