"""Many people (and several app processes) writing to one meeting at once: every accepted op gets a unique seq,
there are no gaps, and the board is exactly the op log replayed."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest

from app.domain.board import CardKind, Column
from app.domain.errors import DomainError
from app.domain.operations import Actor, AddCard, EditCard, MoveCard
from app.store.database import Database
from app.store.oplog import CommittedOp, OpLog

from ._support import Room, card_rows, commit_as_a_client, new_room, op_id, op_rows, replayed, whole_log

pytestmark = pytest.mark.asyncio

Op = AddCard | EditCard | MoveCard


def _mixed_ops(room: Room, count: int, seed: int) -> list[tuple[Actor, str, Op]]:
    """Adds from four writers, plus moves and edits of shared cards whose outcome depends on the board at the
    moment they are applied (a stale board would place them wrongly or judge them wrongly)."""
    rng = random.Random(seed)
    writers = [room.chair, room.social_worker, room.teacher, room.mum]
    ops: list[tuple[Actor, str, Op]] = []
    for n in range(count):
        actor = writers[n % 4]
        roll = rng.random()
        op: Op
        if roll < 0.3 or actor is room.mum:
            op = AddCard(
                column=rng.choice(list(Column)),
                kind=CardKind.grey_area,
                text=f"{actor.role} card {n}",
                position=rng.randint(0, 5),
            )
        elif roll < 0.75:
            op = MoveCard(
                card_id=f"shared-{rng.randint(0, 7)}",
                column=rng.choice(list(Column)),
                position=rng.randint(0, 20),
                kind=CardKind.grey_area,
            )
        else:
            op = EditCard(card_id=f"shared-{rng.randint(0, 7)}", base_version=1, text=f"edit {n}")
        ops.append((actor, op_id(), op))
    return ops


async def _seed(oplog: OpLog, room: Room) -> None:
    for n in range(8):
        await oplog.commit(
            room.meeting_id,
            room.chair,
            op_id(),
            AddCard(card_id=f"shared-{n}", column=Column.worries, kind=CardKind.grey_area, text=f"Shared {n}"),
        )


def _accepted(results: list[CommittedOp | BaseException]) -> list[CommittedOp]:
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, DomainError):
            raise result
    return [result for result in results if isinstance(result, CommittedOp)]


@contextlib.asynccontextmanager
async def _two_engines(url: str) -> AsyncIterator[tuple[Database, Database, OpLog, OpLog, Room]]:
    """Two app processes on one database (two engines, each op log with its own board cache) and a meeting
    seeded with eight shared cards through the first."""
    first, second = Database(url), Database(url)
    try:
        await first.run_migrations()
        await second.run_migrations()
        log_a, log_b = OpLog(first), OpLog(second)
        room = await new_room(first)
        await _seed(log_a, room)
        yield first, second, log_a, log_b, room
    finally:
        await first.dispose()
        await second.dispose()


async def _commit_through_both(
    log_a: OpLog, log_b: OpLog, room: Room, ops: list[tuple[Actor, str, Op]]
) -> list[CommittedOp | BaseException]:
    """Commit every op at once, alternating between the two processes."""
    return await asyncio.gather(
        *(
            commit_as_a_client(log_a if n % 2 else log_b, room.meeting_id, actor, client_id, op)
            for n, (actor, client_id, op) in enumerate(ops)
        ),
        return_exceptions=True,
    )


async def _check_log_and_board(
    db: Database, oplog: OpLog, room: Room, accepted: list[CommittedOp], seeded: int
) -> None:
    seqs = sorted(op.seq for op in accepted)
    assert seqs == list(range(seeded + 1, seeded + len(accepted) + 1)), "unique, gap-free seqs"
    assert [row.seq for row in await op_rows(db, room.meeting_id)] == list(range(1, seeded + len(accepted) + 1))
    by_seq = {op.seq: op for op in accepted}
    for logged in (await whole_log(oplog, room.meeting_id))[seeded:]:
        assert (logged.op_id, logged.op, logged.card) == (
            by_seq[logged.seq].op_id,
            by_seq[logged.seq].op,
            by_seq[logged.seq].card,
        )
    board = await OpLog(db).board(room.meeting_id)
    assert board.seq == seeded + len(accepted)
    assert board == await replayed(oplog, room.meeting_id), "the stored board is the op log replayed"
    for column, cards in board.columns.items():
        positions = [row.position for row in await card_rows(db, room.meeting_id) if row.column == column.value]
        assert positions == list(range(len(cards)))


async def test_200_concurrent_adds_get_seqs_1_to_200(db: Database, oplog: OpLog, room: Room) -> None:
    writers = [room.chair, room.social_worker, room.teacher, room.mum]
    results = await asyncio.gather(
        *(
            commit_as_a_client(
                oplog,
                room.meeting_id,
                writers[n % 4],
                op_id(),
                AddCard(column=Column.worries, kind=CardKind.harm, text=f"Card {n}"),
            )
            for n in range(200)
        )
    )

    assert sorted(result.seq for result in results) == list(range(1, 201))
    assert not any(result.duplicate for result in results)
    board = await OpLog(db).board(room.meeting_id)
    assert board.seq == 200
    assert len(board.cards()) == 200
    assert sorted(c.text for c in board.cards()) == sorted(f"Card {n}" for n in range(200))
    assert board == await replayed(oplog, room.meeting_id)


async def test_concurrent_mixed_ops_keep_the_log_gap_free(db: Database, oplog: OpLog, room: Room) -> None:
    await _seed(oplog, room)
    ops = _mixed_ops(room, 200, seed=1)
    results = await asyncio.gather(
        *(commit_as_a_client(oplog, room.meeting_id, actor, client_id, op) for actor, client_id, op in ops),
        return_exceptions=True,
    )
    accepted = _accepted(results)
    assert len(accepted) > 100
    await _check_log_and_board(db, oplog, room, accepted, seeded=8)


async def test_a_resend_racing_the_original_creates_one_card(db: Database, oplog: OpLog, room: Room) -> None:
    op = AddCard(column=Column.worries, kind=CardKind.harm, text="Sent on a flaky network")
    results = await asyncio.gather(
        *(commit_as_a_client(oplog, room.meeting_id, room.mum, "flaky", op) for _ in range(10))
    )
    assert sum(not result.duplicate for result in results) == 1
    assert {(result.seq, result.card_id) for result in results} == {(1, results[0].card_id)}
    assert len(await op_rows(db, room.meeting_id)) == 1
    assert [c.text for c in (await oplog.board(room.meeting_id)).cards()] == ["Sent on a flaky network"]


@pytest.mark.postgres
async def test_two_app_processes_interleaving_on_one_meeting(postgres_database: str) -> None:
    """Two engines (two app processes, each with its own board cache) write to one meeting at once."""
    async with _two_engines(postgres_database) as (first, second, log_a, log_b, room):
        await log_b.board(room.meeting_id)  # both processes have seen the meeting

        accepted: list[CommittedOp] = []
        for round_ in range(3):  # several rounds, so each cache is warm and then overtaken by the other process
            results = await _commit_through_both(log_a, log_b, room, _mixed_ops(room, 100, seed=round_))
            accepted += _accepted(results)
            # A resend reaching the other process returns the first result.
            resend = accepted[-1]
            again_a = await log_a.commit(room.meeting_id, resend.actor, resend.op_id, resend.op)
            again_b = await log_b.commit(room.meeting_id, resend.actor, resend.op_id, resend.op)
            assert again_a.duplicate and again_b.duplicate and again_a.seq == again_b.seq == resend.seq
        assert len(accepted) > 150
        await _check_log_and_board(first, log_a, room, accepted, seeded=8)
        assert await log_a.board(room.meeting_id) == await log_b.board(room.meeting_id)

        # Sequential writes alternating between processes: each cache is always one op behind.
        for n in range(20):
            oplog = (log_a, log_b)[n % 2]
            accepted.append(
                await oplog.commit(
                    room.meeting_id,
                    room.chair,
                    op_id(),
                    MoveCard(
                        card_id=f"shared-{n % 8}", column=Column.needs_to_happen, position=0, kind=CardKind.grey_area
                    ),
                )
            )
        await _check_log_and_board(second, log_b, room, accepted, seeded=8)


async def test_two_engines_on_one_sqlite_file(sqlite_url: str) -> None:
    """Not the supported deployment (SQLite is one process), but two processes on one file must not corrupt
    the log: SQLite's own write lock orders them."""
    async with _two_engines(sqlite_url) as (first, _, log_a, log_b, room):
        results = await _commit_through_both(log_a, log_b, room, _mixed_ops(room, 100, seed=7))
        accepted = _accepted(results)
        await _check_log_and_board(first, log_a, room, accepted, seeded=8)
