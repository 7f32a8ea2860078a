"""A group's ops written together (app/store/op_batch.py): on SQLite, the ops of meetings the op log holds are
applied in memory and written in a few statements, and whatever that path cannot settle goes one op at a time. Each
test holds the writer while a group gathers, then checks what a person would see: each meeting's ops in the order
sent, without gaps, refusals and resends answered as before, and the stored board the log replayed.

Every test runs on SQLite and on PostgreSQL (where groups are one meeting's and go one statement an op), so the two
paths are held to the same answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable

import pytest
from sqlalchemy.exc import IntegrityError

from app.domain.board import CardKind, Column
from app.domain.errors import StaleVersion
from app.domain.operations import AddCard, DeleteCard, EditCard, MoveCard
from app.store.database import Database
from app.store.oplog import CommittedOp, OpLog
from tests.support.writes import insert_refuser, until, writes_held

from ._support import Room, new_room, op_id, replayed

pytestmark = pytest.mark.asyncio


def harm(text: str) -> AddCard:
    return AddCard(column=Column.worries, kind=CardKind.harm, text=text)


@contextlib.asynccontextmanager
async def every_meeting_held(db: Database, rooms: list[Room]) -> AsyncIterator[None]:
    """No op of these meetings is written until the block ends: SQLite's one writer held, or on PostgreSQL each
    meeting's row."""
    async with contextlib.AsyncExitStack() as stack:
        for room in rooms[:1] if db.is_sqlite else rooms:
            await stack.enter_async_context(writes_held(db, room.meeting_id))
        yield


async def gathered(
    db: Database, oplog: OpLog, rooms: list[Room], *commits: Awaitable[CommittedOp]
) -> list[CommittedOp | BaseException]:
    """The commits sent while the writer is held, so that they meet in one group, each answered."""
    async with every_meeting_held(db, rooms):
        pending = asyncio.gather(*commits, return_exceptions=True)
        await until(lambda: oplog.waiting == len(commits), f"{len(commits)} ops waiting for the writer")
    return await pending


async def the_board_is_its_log(db: Database, oplog: OpLog, room: Room) -> None:
    board = await oplog.board(room.meeting_id)
    assert board == await replayed(oplog, room.meeting_id)
    assert board == await OpLog(db).board(room.meeting_id), "what is stored is what the op log holds"


async def the_board_reads(db: Database, oplog: OpLog, room: Room, *texts: str) -> None:
    """The meeting's cards are these, in this order, and what is stored is its log replayed."""
    assert [c.text for c in (await oplog.board(room.meeting_id)).cards()] == list(texts)
    await the_board_is_its_log(db, oplog, room)


async def test_ops_on_several_meetings_in_one_group_keep_each_meetings_order(db: Database, oplog: OpLog) -> None:
    first, second = await new_room(db), await new_room(db)
    kept = await oplog.commit(first.meeting_id, first.chair, op_id(), harm("Bruise on arm"))
    moved = await oplog.commit(first.meeting_id, first.teacher, op_id(), harm("Missed school twice"))
    edited = await oplog.commit(second.meeting_id, second.chair, op_id(), harm("Shouting at night"))
    assert kept.card and moved.card and edited.card
    before = oplog.ops_written_together

    outcomes = await gathered(
        db,
        oplog,
        [first, second],
        oplog.commit(first.meeting_id, first.chair, op_id(), harm("Tired in class")),
        oplog.commit(second.meeting_id, second.mum, op_id(), harm("Nobody at the school gate")),
        oplog.commit(
            first.meeting_id,
            first.social_worker,
            op_id(),
            EditCard(card_id=kept.card.id, base_version=kept.card.version, text="Bruise on the left arm"),
        ),
        oplog.commit(
            second.meeting_id, second.teacher, op_id(), EditCard(card_id=edited.card.id, base_version=9, text="Old")
        ),
        oplog.commit(
            first.meeting_id, first.chair, op_id(), MoveCard(card_id=moved.card.id, column=Column.worries, position=0)
        ),
        oplog.commit(
            second.meeting_id,
            second.chair,
            op_id(),
            EditCard(card_id=edited.card.id, base_version=edited.card.version, text="Shouting late at night"),
        ),
        oplog.commit(
            first.meeting_id, first.chair, op_id(), DeleteCard(card_id=kept.card.id, base_version=kept.card.version + 1)
        ),
    )

    tired, gate, rewritten, stale, move, shouting, deleted = outcomes
    assert isinstance(stale, StaleVersion), "an edit from an old version is refused, as it is alone"
    assert [c.seq for c in (tired, rewritten, move, deleted) if isinstance(c, CommittedOp)] == [3, 4, 5, 6]
    assert [c.seq for c in (gate, shouting) if isinstance(c, CommittedOp)] == [2, 3]
    assert [c.text for c in (await oplog.board(first.meeting_id)).cards()] == ["Missed school twice", "Tired in class"]
    assert [c.text for c in (await oplog.board(second.meeting_id)).cards()] == [
        "Shouting late at night",
        "Nobody at the school gate",
    ]
    for room in (first, second):
        await the_board_is_its_log(db, oplog, room)
    if db.is_sqlite:
        # every op went with the others but the refused one, which went alone (it might have been a resend)
        assert oplog.ops_written_together - before == 5

    after = await oplog.commit(first.meeting_id, first.mum, op_id(), harm("Hungry at lunch"))
    assert after.seq == 7
    await the_board_is_its_log(db, oplog, first)


async def test_a_resent_op_in_a_group_is_answered_as_first_committed(db: Database, oplog: OpLog, room: Room) -> None:
    resent_id = op_id()
    first = await oplog.commit(room.meeting_id, room.chair, resent_id, harm("Bruise on arm"))

    new, resent, later = await gathered(
        db,
        oplog,
        [room],
        oplog.commit(room.meeting_id, room.teacher, op_id(), harm("Missed school twice")),
        # the chair's laptop lost the ack and sends the same op again on its new connection
        oplog.commit(room.meeting_id, room.chair, resent_id, harm("Bruise on arm")),
        oplog.commit(room.meeting_id, room.mum, op_id(), harm("Tired in class")),
    )

    assert isinstance(resent, CommittedOp) and resent.duplicate
    assert (resent.seq, resent.card_id) == (first.seq, first.card_id)
    assert isinstance(new, CommittedOp) and isinstance(later, CommittedOp)
    assert (new.seq, later.seq) == (2, 3)
    await the_board_reads(db, oplog, room, "Bruise on arm", "Missed school twice", "Tired in class")


async def test_a_meeting_written_behind_the_op_logs_back_is_read_again(db: Database, room: Room) -> None:
    # Two op logs on one database (a second process on PostgreSQL; on SQLite, not the supported deployment): each
    # holds the meeting as it last wrote it, and neither may build on that once the other has written.
    here, elsewhere = OpLog(db), OpLog(db)
    await here.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm"))
    await elsewhere.commit(room.meeting_id, room.teacher, op_id(), harm("Missed school twice"))

    outcomes = await gathered(
        db,
        here,
        [room],
        here.commit(room.meeting_id, room.chair, op_id(), harm("Tired in class")),
        here.commit(room.meeting_id, room.mum, op_id(), harm("Hungry at lunch")),
    )

    assert [c.seq for c in outcomes if isinstance(c, CommittedOp)] == [3, 4]
    await the_board_reads(db, here, room, "Bruise on arm", "Missed school twice", "Tired in class", "Hungry at lunch")


async def test_a_row_the_database_refuses_takes_only_its_own_op_out_of_the_group(
    db: Database, oplog: OpLog, room: Room
) -> None:
    await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm"))
    async with insert_refuser(db) as marker:
        kept, refused, tired = await gathered(
            db,
            oplog,
            [room],
            oplog.commit(room.meeting_id, room.chair, op_id(), harm("Missed school twice")),
            oplog.commit(room.meeting_id, room.teacher, op_id(), harm(f"Refused by the database {marker}")),
            oplog.commit(room.meeting_id, room.social_worker, op_id(), harm("Tired in class")),
        )

    assert isinstance(refused, IntegrityError)
    assert isinstance(kept, CommittedOp) and isinstance(tired, CommittedOp)
    assert (kept.seq, tired.seq) == (2, 3)
    await the_board_reads(db, oplog, room, "Bruise on arm", "Missed school twice", "Tired in class")
