"""On PostgreSQL an op whose meeting the op log holds in memory is written as one statement in autocommit
(app/store/op_statement.py). What a user relies on must hold on that path as on the transaction path: the log gap-free
and in order, the stored board the log replayed, a resend answered with the first result, a refusal leaving no
trace, and another process writing in between never overwritten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import Connection

from app.domain.board import CardKind, Column
from app.domain.errors import CardNotFound, StaleVersion
from app.domain.operations import AddCard, AnyOperation, DeleteCard, EditCard, MoveCard
from app.domain.phases import SetPhase
from app.store.database import Database
from app.store.oplog import CommittedOp, OpLog

from ._support import new_room, op_id, op_rows, replayed, whole_log

pytestmark = [pytest.mark.asyncio, pytest.mark.postgres]


class StatementsAlone:
    """Counts the op statements a database ran alone, and those that wrote (a row back: the seq it reserved)."""

    def __init__(self, db: Database) -> None:
        self.ran = 0
        self.wrote = 0
        self._alone: Callable[[Callable[[Connection], Any]], Awaitable[Any]] = db.alone
        db.alone = self._counted  # type: ignore[method-assign]

    async def _counted(self, work: Callable[[Connection], Any]) -> Any:
        self.ran += 1
        reserved = await self._alone(work)
        self.wrote += reserved is not None
        return reserved


@pytest_asyncio.fixture
async def pg(postgres_database: str) -> AsyncIterator[Database]:
    db = Database(postgres_database)
    await db.run_migrations()
    try:
        yield db
    finally:
        await db.dispose()


def harm(text: str, card_id: str | None = None, position: int | None = None) -> AddCard:
    return AddCard(card_id=card_id, column=Column.worries, kind=CardKind.harm, text=text, position=position)


async def test_every_op_after_the_first_is_one_statement_and_the_board_is_the_log_replayed(pg: Database) -> None:
    oplog, room = OpLog(pg), await new_room(pg)
    alone = StatementsAlone(pg)
    first = await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm", card_id="bruise"))
    assert alone.ran == 0, "the first op reads the meeting in a transaction"

    ops: list[AnyOperation] = [
        harm("Missed school", card_id="school"),
        harm("Shouting at night", card_id="night", position=0),  # in front: the others shift down
        EditCard(card_id="bruise", base_version=1, text="Bruise on left arm"),
        MoveCard(card_id="school", column=Column.worries, position=0),
        SetPhase(phase="worries", from_phase="welcome"),  # the rest of the meeting, not a card
        MoveCard(card_id="night", column=Column.working_well, position=0, kind=CardKind.strength),
        DeleteCard(card_id="bruise", base_version=2),
    ]
    committed = [await oplog.commit(room.meeting_id, room.chair, op_id(), op) for op in ops]

    assert [c.seq for c in committed] == list(range(2, 2 + len(ops)))
    assert (alone.ran, alone.wrote) == (len(ops), len(ops))
    assert [row.seq for row in await op_rows(pg, room.meeting_id)] == list(range(1, 2 + len(ops)))
    stored = await OpLog(pg).board(room.meeting_id)  # a fresh process: read from the database
    assert stored == await replayed(oplog, room.meeting_id)
    assert [card.text for card in stored.columns[Column.worries]] == ["Missed school"]
    assert [card.text for card in stored.columns[Column.working_well]] == ["Shouting at night"]
    assert stored.phase.current == "worries"
    verification, projection_is_log = await oplog.verify(room.meeting_id)
    assert verification.holds and verification.ops == 1 + len(ops) and projection_is_log
    assert first.seq == 1


async def test_a_resend_is_answered_with_the_first_result_and_writes_nothing(pg: Database) -> None:
    oplog, room = OpLog(pg), await new_room(pg)
    await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm"))
    resent_id = op_id()
    first = await oplog.commit(room.meeting_id, room.chair, resent_id, harm("Missed school"))
    alone = StatementsAlone(pg)

    again = await oplog.commit(room.meeting_id, room.chair, resent_id, harm("Missed school"))

    assert again.duplicate and (again.seq, again.card_id) == (first.seq, first.card_id)
    assert (alone.ran, alone.wrote) == (1, 0), "the statement found the op id taken and wrote nothing"
    assert [row.seq for row in await op_rows(pg, room.meeting_id)] == [1, 2]
    after = await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Shouting at night"))
    assert after.seq == 3 and alone.wrote == 1


async def test_an_op_the_rules_refuse_leaves_no_trace(pg: Database) -> None:
    oplog, room = OpLog(pg), await new_room(pg)
    await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm", card_id="bruise"))
    await oplog.commit(room.meeting_id, room.chair, op_id(), EditCard(card_id="bruise", base_version=1, text="Left"))

    with pytest.raises(StaleVersion):
        await oplog.commit(room.meeting_id, room.chair, op_id(), EditCard(card_id="bruise", base_version=1, text="?"))
    with pytest.raises(CardNotFound):
        await oplog.commit(room.meeting_id, room.chair, op_id(), DeleteCard(card_id="nothing", base_version=1))

    assert [row.seq for row in await op_rows(pg, room.meeting_id)] == [1, 2]
    stored = await OpLog(pg).board(room.meeting_id)
    assert stored.seq == 2 and [card.text for card in stored.columns[Column.worries]] == ["Left"]


async def test_another_process_writing_in_between_is_never_overwritten(pg: Database, postgres_database: str) -> None:
    """Each process's cache is one op behind whenever the other wrote last: its statement must write nothing, and
    its op then be applied to the meeting as stored, the other process's card and edit included."""
    other_db = Database(postgres_database)
    try:
        here, there, room = OpLog(pg), OpLog(other_db), await new_room(pg)
        alone = StatementsAlone(pg)
        await here.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm", card_id="bruise"))
        await here.commit(room.meeting_id, room.chair, op_id(), harm("Missed school", card_id="school"))
        assert alone.wrote == 1

        edit = EditCard(card_id="bruise", base_version=1, text="Edited there")
        await there.commit(room.meeting_id, room.social_worker, op_id(), edit)
        await there.commit(room.meeting_id, room.social_worker, op_id(), harm("Night", card_id="night", position=0))
        # Here the cache still holds seq 2: the bruise at version 1, no card "night".
        with pytest.raises(StaleVersion):
            await here.commit(
                room.meeting_id, room.chair, op_id(), EditCard(card_id="bruise", base_version=1, text="?")
            )
        move = MoveCard(card_id="night", column=Column.worries, position=2)
        moved = await here.commit(room.meeting_id, room.chair, op_id(), move)

        assert moved.seq == 5
        # The stale edit's statement wrote nothing; the move of a card the cache has never seen went straight to
        # the transaction path. Both were decided on the meeting as stored.
        assert (alone.ran, alone.wrote) == (2, 1)
        log = await whole_log(here, room.meeting_id)
        assert [entry.seq for entry in log] == [1, 2, 3, 4, 5]
        stored = await OpLog(pg).board(room.meeting_id)
        assert stored == await replayed(here, room.meeting_id)
        assert [card.text for card in stored.columns[Column.worries]] == ["Edited there", "Missed school", "Night"]
        assert await here.board(room.meeting_id) == await there.board(room.meeting_id)
    finally:
        await other_db.dispose()


async def test_once_a_room_has_read_the_meeting_its_next_op_is_one_statement_and_links_the_chain(
    pg: Database,
) -> None:
    """A room opening reads the board: the op log keeps it with its last link, from the genesis of a new meeting
    or from the last op another process wrote, and the chain still verifies."""
    room, other = await new_room(pg), await new_room(pg)
    await OpLog(pg).commit(other.meeting_id, other.chair, op_id(), harm("Written by another process"))
    oplog = OpLog(pg)
    alone = StatementsAlone(pg)

    for meeting_id, chair in ((room.meeting_id, room.chair), (other.meeting_id, other.chair)):
        before = await oplog.board(meeting_id)
        committed = await oplog.commit(meeting_id, chair, op_id(), harm("First here"))
        assert committed.seq == before.seq + 1
        verification, projection_is_log = await oplog.verify(meeting_id)
        assert verification.holds and verification.ops == committed.seq and projection_is_log
    assert (alone.ran, alone.wrote) == (2, 2)


async def test_a_meetings_ops_queued_together_are_each_one_statement_in_order(pg: Database) -> None:
    # A writer's edits resent together after `busy` reach the op log as one group: each is still one statement,
    # and a transaction around them (a pooled connection held for every statement's round trip) is never needed.
    oplog, room = OpLog(pg), await new_room(pg)
    await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm"))
    alone = StatementsAlone(pg)
    answers = [oplog.submit(room.meeting_id, room.chair, op_id(), harm(f"Worry {n}")) for n in range(5)]
    committed = await asyncio.gather(*answers)
    assert [c.seq for c in committed] == [2, 3, 4, 5, 6]
    assert (alone.ran, alone.wrote) == (5, 5)
    assert await OpLog(pg).board(room.meeting_id) == await replayed(oplog, room.meeting_id)
    verification, projection_is_log = await oplog.verify(room.meeting_id)
    assert verification.holds and projection_is_log


async def test_in_a_group_an_op_the_cached_board_refuses_sends_it_and_the_rest_through_the_transaction(
    pg: Database,
) -> None:
    oplog, room = OpLog(pg), await new_room(pg)
    await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Bruise on arm", card_id="bruise"))
    alone = StatementsAlone(pg)
    ops: list[AnyOperation] = [
        EditCard(card_id="bruise", base_version=1, text="Bruise on left arm"),
        EditCard(card_id="bruise", base_version=1, text="Stale: written over version 1"),
        harm("Missed school"),
    ]
    answers = [oplog.submit(room.meeting_id, room.chair, op_id(), op) for op in ops]
    outcomes = await asyncio.gather(*answers, return_exceptions=True)
    assert isinstance(outcomes[0], CommittedOp) and outcomes[0].seq == 2
    assert isinstance(outcomes[1], StaleVersion)
    assert isinstance(outcomes[2], CommittedOp) and outcomes[2].seq == 3
    assert (alone.ran, alone.wrote) == (1, 1)  # the first alone; the refused one and the next in a transaction
    board = await OpLog(pg).board(room.meeting_id)  # a fresh process: read from the database
    assert [c.text for c in board.cards()] == ["Bruise on left arm", "Missed school"]
    assert board == await replayed(oplog, room.meeting_id)
    verification, projection_is_log = await oplog.verify(room.meeting_id)
    assert verification.holds and projection_is_log
