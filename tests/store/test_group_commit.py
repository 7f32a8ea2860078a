"""Group commit: the ops waiting when the writer becomes free are committed in one transaction, each in its own
savepoint. A refused op never takes the others with it; a failed COMMIT acks none of them and leaves nothing
behind, not even in the board cache; past the queue's bound an op is refused at once with Busy.

Every test runs on SQLite and on PostgreSQL, against the real database (tests/support/writes.py holds or breaks
its writes by real means)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable

import pytest
from sqlalchemy.exc import IntegrityError

from app.domain.board import CardKind, Column
from app.domain.errors import DomainError, PermissionDenied, StaleVersion
from app.domain.operations import AddCard, EditCard
from app.store.answer_pace import AnswerPace
from app.store.database import Database
from app.store.oplog import (
    LAG_REFUSE_ALL_SECONDS,
    LAG_REFUSE_NEW_SECONDS,
    REFUSAL_REMEMBERED_SECONDS,
    RETRY_AFTER_SECONDS,
    Busy,
    CommittedOp,
    OpLog,
)
from app.store.tokens import new_id
from tests.support.writes import commit_breaker, insert_refuser, until, writes_held

from ._support import Room, card_rows, op_id, op_rows, replayed, whole_log

pytestmark = pytest.mark.asyncio


def harm(text: str) -> AddCard:
    return AddCard(column=Column.worries, kind=CardKind.harm, text=text)


def settle(*commits: Awaitable[CommittedOp]) -> asyncio.Future[list[CommittedOp | BaseException]]:
    """The commits started now, side by side (in this order), each answered with its op or its exception."""
    return asyncio.gather(*commits, return_exceptions=True)


WRITER = pytest.mark.parametrize("writer_busy", [True, False], ids=["writer-busy", "writer-free"])
"""A group formed while the writer is busy (on SQLite the whole group then goes to the writer thread, after what
it was doing), or while it is free (written on the event loop's thread, only its COMMIT on the writer thread:
`Database.transaction_committed_apart`). On PostgreSQL, with the meeting's row locked by another transaction or not."""


async def one_group(
    db: Database,
    oplog: OpLog,
    meeting_id: str,
    writer_busy: bool,
    *commits: Awaitable[CommittedOp],
) -> list[CommittedOp | BaseException]:
    """The commits, started side by side in this order, taken into one group; each answered with its op or its
    exception. Started together, they are all waiting before the group is taken, whether the writer is free or not."""
    if not writer_busy:
        return await settle(*commits)
    async with writes_held(db, meeting_id):
        pending = settle(*commits)
        await until(lambda: oplog.waiting == len(commits), "the ops waiting for the writer")
    return await pending


@WRITER
async def test_a_refused_op_inside_a_group_leaves_the_others_committed(
    db: Database, oplog: OpLog, room: Room, writer_busy: bool
) -> None:
    first = await oplog.commit(room.meeting_id, room.social_worker, op_id(), harm("Bruise on arm"))
    assert first.card is not None
    groups_before = oplog.groups_committed

    kept_id = op_id()
    kept, stale, forbidden, tired, resent = await one_group(
        db,
        oplog,
        room.meeting_id,
        writer_busy,
        oplog.commit(room.meeting_id, room.chair, kept_id, harm("Missed school twice")),
        # someone edits from an old version of the card: refused, stale
        oplog.commit(
            room.meeting_id,
            room.teacher,
            op_id(),
            EditCard(card_id=first.card.id, base_version=first.card.version + 1, text="Rewritten"),
        ),
        oplog.commit(room.meeting_id, room.projector, op_id(), harm("The wall cannot write")),
        oplog.commit(room.meeting_id, room.teacher, op_id(), harm("Tired in class")),
        # the chair's laptop resends its op on a new connection while the first send still waits
        oplog.commit(room.meeting_id, room.chair, kept_id, harm("Missed school twice")),
    )

    assert oplog.groups_committed == groups_before + 1, "the five ops were one transaction"
    assert isinstance(stale, StaleVersion) and isinstance(forbidden, PermissionDenied)
    assert isinstance(kept, CommittedOp) and isinstance(tired, CommittedOp) and isinstance(resent, CommittedOp)
    # the refused ops gave their seqs back: the accepted ones follow on without a gap
    assert (kept.seq, tired.seq) == (2, 3) and not kept.duplicate and not tired.duplicate
    assert resent.duplicate and (resent.seq, resent.card_id) == (kept.seq, kept.card_id)

    log = await whole_log(oplog, room.meeting_id)
    assert [(c.seq, c.op_id) for c in log] == [(1, first.op_id), (2, kept_id), (3, tired.op_id)]
    assert [row.text for row in await card_rows(db, room.meeting_id)] == [
        "Bruise on arm",
        "Missed school twice",
        "Tired in class",
    ]
    board = await oplog.board(room.meeting_id)
    assert board == await replayed(oplog, room.meeting_id)
    # the board the cache holds goes on from the group: the next op builds on it, not on a refused op's state
    after = await oplog.commit(room.meeting_id, room.teacher, op_id(), harm("Hungry at lunch"))
    assert after.seq == 4
    assert await oplog.board(room.meeting_id) == await OpLog(db).board(room.meeting_id)


@WRITER
async def test_an_op_the_database_refuses_takes_only_itself_out_of_its_group(
    db: Database, oplog: OpLog, room: Room, writer_busy: bool
) -> None:
    groups_before = oplog.groups_committed
    async with insert_refuser(db) as marker:
        refused_id = op_id()
        kept, refused, tired = await one_group(
            db,
            oplog,
            room.meeting_id,
            writer_busy,
            oplog.commit(room.meeting_id, room.chair, op_id(), harm("Missed school twice")),
            oplog.commit(room.meeting_id, room.teacher, refused_id, harm(f"Refused by the database {marker}")),
            oplog.commit(room.meeting_id, room.social_worker, op_id(), harm("Tired in class")),
        )

    assert oplog.groups_committed == groups_before + 1, "the three ops were one transaction"
    assert isinstance(refused, IntegrityError)
    assert isinstance(kept, CommittedOp) and isinstance(tired, CommittedOp)
    assert (kept.seq, tired.seq) == (1, 2)
    assert [c.text for c in (await oplog.board(room.meeting_id)).cards()] == ["Missed school twice", "Tired in class"]
    assert await oplog.board(room.meeting_id) == await replayed(oplog, room.meeting_id)

    # resent once the database takes it: saved once, next in line
    resent = await oplog.commit(room.meeting_id, room.teacher, refused_id, harm("Now the database takes it"))
    assert (resent.seq, resent.duplicate) == (3, False)
    assert await OpLog(db).board(room.meeting_id) == await oplog.board(room.meeting_id)


@WRITER
async def test_a_failed_commit_acks_none_of_its_group_and_leaves_no_trace(
    db: Database, oplog: OpLog, room: Room, writer_busy: bool
) -> None:
    before = await oplog.commit(room.meeting_id, room.social_worker, op_id(), harm("Bruise on arm"))
    rows_before = await op_rows(db, room.meeting_id)
    board_before = await oplog.board(room.meeting_id)

    async with commit_breaker(db) as marker:
        ids = [op_id(), op_id(), op_id()]
        outcomes = await one_group(
            db,
            oplog,
            room.meeting_id,
            writer_busy,
            oplog.commit(room.meeting_id, room.chair, ids[0], harm("Missed school twice")),
            oplog.commit(room.meeting_id, room.teacher, ids[1], harm(f"Breaks the commit {marker}")),
            oplog.commit(room.meeting_id, room.social_worker, ids[2], harm("Tired in class")),
        )

        # SQLite: the group is one transaction, and every op of it is answered with the commit's failure, none with
        # an ack or a refusal of its own. PostgreSQL: each op of a group on a meeting the op log holds is a statement
        # of its own (tests/store/test_op_statement.py), so the one before the failure is committed and acked, and
        # the failing one and those after it are answered with the failure.
        saved = [] if db.is_sqlite else outcomes[:1]
        failed = outcomes[len(saved) :]
        assert all(isinstance(o, CommittedOp) for o in saved), outcomes
        assert all(isinstance(o, Exception) and not isinstance(o, DomainError) for o in failed), outcomes
        assert len({type(o) for o in failed}) == 1
        assert [row.op_id for row in await op_rows(db, room.meeting_id)] == [
            *(row.op_id for row in rows_before),
            *ids[: len(saved)],
        ]
        if db.is_sqlite:
            assert await oplog.board(room.meeting_id) == board_before

        # nothing of the group is cached ahead of the database: the next op takes the next seq, on the real board
        after = await oplog.commit(room.meeting_id, room.chair, op_id(), harm("Hungry at lunch"))
        assert after.seq == before.seq + 1 + len(saved)
        assert [c.text for c in (await oplog.board(room.meeting_id)).cards()] == [
            "Bruise on arm",
            *(["Missed school twice"] if saved else []),
            "Hungry at lunch",
        ]
        assert await oplog.board(room.meeting_id) == await OpLog(db).board(room.meeting_id)

    # resent (with the same op ids) once the database takes them, each is saved once
    resent = await settle(
        *(oplog.commit(room.meeting_id, room.chair, ids[n], harm(f"Resent {n}")) for n in range(3)),
    )
    assert [(c.seq, c.duplicate) for c in resent if isinstance(c, CommittedOp)] == (
        [(3, False), (4, False), (5, False)] if db.is_sqlite else [(2, True), (4, False), (5, False)]
    )
    assert await oplog.board(room.meeting_id) == await replayed(oplog, room.meeting_id)
    assert await OpLog(db).board(room.meeting_id) == await oplog.board(room.meeting_id)


@contextlib.asynccontextmanager
async def a_full_queue(db: Database, room: Room, oplog: OpLog) -> AsyncIterator[asyncio.Future[list[CommittedOp]]]:
    """The writer held and `oplog`'s queue (max_waiting=2) full: "first" and "second" wait; their answers after."""
    async with writes_held(db, room.meeting_id):
        accepted = asyncio.gather(
            oplog.commit(room.meeting_id, room.chair, "first", harm("First")),
            oplog.commit(room.meeting_id, room.chair, "second", harm("Second")),
        )
        await until(lambda: oplog.waiting == 2, "two ops waiting for the writer")
        yield accepted


async def waits_asked_behind_a_full_queue(db: Database, room: Room, refusals: int) -> list[float]:
    """The retry waits told to `refusals` new edits, one after the other, while the queue is full."""
    oplog = OpLog(db, max_waiting=2)
    async with a_full_queue(db, room, oplog) as accepted:
        waits = []
        for n in range(refusals):
            with pytest.raises(Busy) as refused:
                await oplog.commit(room.meeting_id, room.teacher, f"refused-{n}", harm(f"Refused {n}"))
            waits.append(refused.value.retry_after)
    await accepted
    return waits


async def test_the_more_people_are_told_to_wait_the_longer_each_is_asked_to_wait(db: Database, room: Room) -> None:
    # Past capacity, every refused client comes back after its retry_after: if thousands were all told a quarter
    # of a second, their resends alone would take the CPU the commits need. The wait asked grows with those
    # already told to wait, so their resends come about as fast as the log commits.
    waits = await waits_asked_behind_a_full_queue(db, room, 3000)
    least, most = RETRY_AFTER_SECONDS
    assert all(least <= wait <= most for wait in waits)
    # the first told to wait are asked about the least (the floor, spread above it); the last, behind thousands,
    # far longer
    assert max(waits[:10]) <= 1.5 * least and min(waits[-10:]) >= 4 * max(waits[:10])


async def test_behind_a_long_backlog_a_client_is_told_to_wait_longer_than_a_few_seconds(
    db: Database, room: Room
) -> None:
    # Asked to come back within 5 s at most, the clients behind a longer backlog came back before their turn, were
    # refused again, and their resends took the work the commits needed. Behind sixteen thousand refused edits a
    # client is told the truth, up to the most a person is asked to wait.
    waits = await waits_asked_behind_a_full_queue(db, room, 16_000)
    least, most = RETRY_AFTER_SECONDS
    assert most >= 15 and all(least <= wait <= most for wait in waits)
    assert min(waits[-100:]) > 10 and max(waits) > 0.95 * most


async def test_clients_refused_together_behind_a_long_backlog_do_not_all_come_back_at_once(
    db: Database, room: Room
) -> None:
    # Behind a backlog longer than the most a person is asked to wait, every refusal was told exactly that most:
    # the clients refused in one slow moment all came back in one, and made the server slow again.
    waits = await waits_asked_behind_a_full_queue(db, room, 16_000)
    least, most = RETRY_AFTER_SECONDS
    last = waits[-1000:]
    assert all(least <= wait <= most for wait in last)
    assert min(last) < 0.8 * most and len({round(wait, 1) for wait in last}) > 20


async def test_refused_clients_that_never_came_back_stop_lengthening_the_wait_asked(db: Database, room: Room) -> None:
    # Every refused op counts in the wait the next is asked, as its resend will come first. A client that never
    # resends (a closed tab, a lost tablet) was counted for ever: a busy hour's leftovers told every later refusal,
    # hours on, to wait 15 s.
    now = 0.0
    oplog = OpLog(db, max_waiting=2, clock=lambda: now)
    async with a_full_queue(db, room, oplog) as accepted:
        for n in range(3000):
            with pytest.raises(Busy):
                await oplog.commit(room.meeting_id, room.teacher, f"gone-{n}", harm(f"Never sent again {n}"))
        with pytest.raises(Busy) as behind_them:
            await oplog.commit(room.meeting_id, room.chair, "while-they-may-come-back", harm("Soon after"))
        now += REFUSAL_REMEMBERED_SECONDS - 1
        with pytest.raises(Busy) as still_behind_them:
            await oplog.commit(room.meeting_id, room.chair, "before-they-are-forgotten", harm("A little later"))
        now += 2
        with pytest.raises(Busy) as later:
            await oplog.commit(room.meeting_id, room.chair, "once-they-are-gone", harm("Much later"))
    await accepted
    least, _ = RETRY_AFTER_SECONDS
    assert behind_them.value.retry_after > 8 * least and still_behind_them.value.retry_after > 8 * least
    # only the refusals of the last REFUSAL_REMEMBERED_SECONDS are counted now: the one 2 s before, and this one
    assert later.value.retry_after < 2 * least


async def test_past_its_bound_the_queue_refuses_at_once_and_saves_nothing(db: Database, room: Room) -> None:
    oplog = OpLog(db, max_waiting=2)
    async with a_full_queue(db, room, oplog) as accepted:
        with pytest.raises(Busy) as refused:
            await oplog.commit(room.meeting_id, room.teacher, "third", harm("Third"))
        assert RETRY_AFTER_SECONDS[0] <= refused.value.retry_after <= RETRY_AFTER_SECONDS[1]
    assert [c.seq for c in await accepted] == [1, 2]
    assert [row.op_id for row in await op_rows(db, room.meeting_id)] == ["first", "second"]

    # the client resends the same op later: saved once, after the others
    third = await oplog.commit(room.meeting_id, room.teacher, "third", harm("Third"))
    assert (third.seq, third.duplicate) == (3, False)
    assert oplog.waiting == 0


async def test_under_sustained_overload_an_op_sent_again_after_busy_goes_before_new_ones(
    db: Database, room: Room
) -> None:
    oplog = OpLog(db, max_waiting=4)  # new ops are taken while fewer than three wait; resent ones up to four
    async with writes_held(db, room.meeting_id):
        accepted = [
            asyncio.ensure_future(oplog.commit(room.meeting_id, room.chair, f"op-{n}", harm(f"Card {n}")))
            for n in range(3)
        ]
        await until(lambda: oplog.waiting == 3, "three ops waiting for the writer")
        with pytest.raises(Busy):
            await oplog.commit(room.meeting_id, room.teacher, "teacher-1", harm("Teacher's first"))
        # the chair, answered first, comes straight back with a new op: refused, the teacher was here before
        with pytest.raises(Busy):
            await oplog.commit(room.meeting_id, room.chair, "op-3", harm("Card 3"))
        # the teacher's resend is taken, and then the queue is full for everyone
        accepted.append(
            asyncio.ensure_future(oplog.commit(room.meeting_id, room.teacher, "teacher-1", harm("Teacher's first")))
        )
        await until(lambda: oplog.waiting == 4, "the resent op waiting too")
        with pytest.raises(Busy):
            await oplog.commit(room.meeting_id, room.chair, "op-3", harm("Card 3"))
    committed = await asyncio.gather(*accepted)
    assert [(c.op_id, c.seq) for c in committed] == [("op-0", 1), ("op-1", 2), ("op-2", 3), ("teacher-1", 4)]
    assert [row.op_id for row in await op_rows(db, room.meeting_id)] == ["op-0", "op-1", "op-2", "teacher-1"]


async def test_a_group_holds_at_most_max_group_ops(db: Database, room: Room) -> None:
    oplog = OpLog(db, max_group=4)
    async with writes_held(db, room.meeting_id):
        pending = settle(*(oplog.commit(room.meeting_id, room.chair, op_id(), harm(f"Card {n}")) for n in range(10)))
        await until(lambda: oplog.waiting == 10, "ten ops waiting for the writer")
    committed = await pending
    assert [c.seq for c in committed if isinstance(c, CommittedOp)] == list(range(1, 11))
    # all ten were waiting when the writer became free: groups of four, four and two
    assert oplog.groups_committed == 3
    assert await oplog.board(room.meeting_id) == await replayed(oplog, room.meeting_id)


async def test_each_ops_then_is_called_as_it_is_answered_before_anyone_awaiting_it_resumes(
    oplog: OpLog, room: Room
) -> None:
    """`then` is how a room tells the writer and everyone else in the very turn of the event loop that learns the
    commit's end (realtime/room.py), where a task awaiting the answer resumes a turn later: called for each op of
    the group in order, once its answer is set, refusals included."""
    heard: list[str] = []

    def then(n: int) -> None:
        heard.append(f"then {n}, {'answered' if answers[n].done() else 'not answered'}")

    async def awaiting(n: int) -> None:
        with contextlib.suppress(DomainError):
            await answers[n]
        heard.append(f"awaiter {n}")

    ops = [harm("Bruise on arm"), EditCard(card_id=new_id(), base_version=1, text="Refused"), harm("Missed school")]
    answers = [
        oplog.submit(room.meeting_id, room.chair, op_id(), op, then=functools.partial(then, n))
        for n, op in enumerate(ops)
    ]
    await asyncio.gather(*(awaiting(n) for n in range(len(ops))))

    assert heard == [
        "then 0, answered",
        "then 1, answered",
        "then 2, answered",
        "awaiter 0",
        "awaiter 1",
        "awaiter 2",
    ]
    assert isinstance(answers[1].exception(), DomainError)
    assert [c.text for c in (await oplog.board(room.meeting_id)).cards()] == ["Bruise on arm", "Missed school"]


async def test_a_process_whose_event_loop_lags_takes_only_resent_ops_and_then_none(db: Database, room: Room) -> None:
    lag = [0.0]
    oplog = OpLog(db, loop_lag=lambda: lag[0])
    assert (await oplog.commit(room.meeting_id, room.chair, "calm", harm("While the loop keeps up"))).seq == 1

    lag[0] = (LAG_REFUSE_NEW_SECONDS + LAG_REFUSE_ALL_SECONDS) / 2  # behind: new ops wait, one told to wait goes in
    with pytest.raises(Busy) as refused:
        await oplog.commit(room.meeting_id, room.chair, "late", harm("While the loop lags"))
    assert refused.value.retry_after >= 2 * lag[0]
    assert (await oplog.commit(room.meeting_id, room.chair, "late", harm("While the loop lags"))).seq == 2

    lag[0] = 2 * LAG_REFUSE_ALL_SECONDS  # far behind: nothing goes in, not even a resend
    for _ in range(2):
        with pytest.raises(Busy):
            await oplog.commit(room.meeting_id, room.chair, "later", harm("While the loop is far behind"))

    lag[0] = 0.0
    assert (await oplog.commit(room.meeting_id, room.chair, "later", harm("While the loop is far behind"))).seq == 3
    assert [row.op_id for row in await op_rows(db, room.meeting_id)] == ["calm", "late", "later"]


async def test_once_ops_keep_waiting_long_only_resent_ops_are_taken_and_then_none(db: Database, room: Room) -> None:
    # The queue short in ops but slow (a pool's connections each held for a turn of a busy event loop): how long the
    # op waiting longest has waited, all through the last quarter of a second, says the process is behind, whatever
    # the count. A burst served within that time is not refused.
    now = [0.0]
    oplog = OpLog(db, clock=lambda: now[0])
    async with writes_held(db, room.meeting_id):
        first = asyncio.ensure_future(oplog.commit(room.meeting_id, room.chair, "first", harm("Waits for the writer")))
        await until(lambda: oplog.waiting == 1, "the first op waiting for the writer")

        now[0] = 0.15  # it has waited 150 ms, but not for a whole window yet: as a burst would, a new op goes in
        assert oplog.longest_wait == pytest.approx(0.15) and not oplog.pressed
        second = asyncio.ensure_future(oplog.commit(room.meeting_id, room.teacher, "second", harm("In the burst")))
        await until(lambda: oplog.waiting == 2, "the second op waiting too")

        now[0] = 0.3  # the first still waits, at least 150 ms all through the window: new ops wait their turn
        assert oplog.pressed
        with pytest.raises(Busy):
            await oplog.commit(room.meeting_id, room.teacher, "late", harm("Sent while they wait"))
        resent = asyncio.ensure_future(
            oplog.commit(room.meeting_id, room.teacher, "late", harm("Sent while they wait"))
        )
        await until(lambda: oplog.waiting == 3, "the resent op waiting too")

        now[0] = 0.6  # at least 600 ms all through the window: nothing goes in, not even a resend
        for _ in range(2):
            with pytest.raises(Busy):
                await oplog.commit(room.meeting_id, room.teacher, "later", harm("Sent while far behind"))
    committed = await asyncio.gather(first, second, resent)
    assert [(c.op_id, c.seq) for c in committed] == [("first", 1), ("second", 2), ("late", 3)]

    # answered: nothing waits, so the process is not behind, and the resend is taken at once
    now[0] = 0.65
    assert oplog.waiting == 0 and not oplog.pressed
    assert (await oplog.commit(room.meeting_id, room.teacher, "later", harm("Sent while far behind"))).seq == 4
    assert [row.op_id for row in await op_rows(db, room.meeting_id)] == ["first", "second", "late", "later"]


def paced_op_log(db: Database, max_group: int) -> OpLog:
    """An op log that answered ops 60 ms apart while they queued, a moment ago (its clock stands still)."""
    return OpLog(
        db, clock=lambda: 10.0, max_group=max_group, answer_pace=AnswerPace(seconds_per_op=0.06, measured_at=9.9)
    )


async def test_a_few_people_typing_on_a_slow_database_are_never_told_it_is_busy_for_its_pace(
    db: Database, room: Room
) -> None:
    # Fewer ops than a group holds all go in the next group: however slowly groups have been answered, the next op
    # waits about one group's time, whatever the count, and refusing it would only make it later.
    oplog = paced_op_log(db, max_group=4)
    async with writes_held(db, room.meeting_id):
        waiting = [
            asyncio.ensure_future(oplog.commit(room.meeting_id, room.teacher, f"op-{n}", harm(f"Typed {n}")))
            for n in range(3)
        ]
        await until(lambda: oplog.waiting == 3, "three ops waiting")
        assert not oplog.pressed  # 3 x 60 ms by the pace, but all three go in the next group
        waiting.append(asyncio.ensure_future(oplog.commit(room.meeting_id, room.chair, "fourth", harm("Typed 4"))))
        await until(lambda: oplog.waiting == 4, "a group's worth waiting")
        assert oplog.pressed  # a group's worth: the pace judges now
    assert [c.seq for c in await asyncio.gather(*waiting)] == [1, 2, 3, 4]


async def test_once_an_op_taken_now_would_wait_long_only_resent_ops_are_taken_and_then_none(
    db: Database, room: Room
) -> None:
    # Past capacity refused edits come back faster than the op log answers them: a queue that fills up within the
    # standing wait's window would hold more than a quarter of a second of work. The ops waiting, at the pace they
    # have been answered, say how long the next one would wait, before it waits.
    oplog = paced_op_log(db, max_group=1)  # in groups of one
    async with writes_held(db, room.meeting_id):
        first = asyncio.ensure_future(oplog.commit(room.meeting_id, room.chair, "first", harm("Waits for the writer")))
        await until(lambda: oplog.waiting == 1, "the first op waiting")
        assert not oplog.pressed  # one op ahead: the next would wait about 60 ms
        second = asyncio.ensure_future(oplog.commit(room.meeting_id, room.teacher, "second", harm("Next in line")))
        await until(lambda: oplog.waiting == 2, "the second op waiting")

        assert oplog.pressed  # two ahead: about 120 ms, more than a new op may be kept waiting
        with pytest.raises(Busy):
            await oplog.commit(room.meeting_id, room.teacher, "late", harm("Sent while they wait"))
        resent = asyncio.ensure_future(
            oplog.commit(room.meeting_id, room.teacher, "late", harm("Sent while they wait"))
        )
        await until(lambda: oplog.waiting == 3, "the resent op waiting too")

        # three ahead: about 180 ms, more than any op may be kept waiting: not even a resend goes in
        for _ in range(2):
            with pytest.raises(Busy):
                await oplog.commit(room.meeting_id, room.teacher, "later", harm("Sent while far behind"))
    committed = await asyncio.gather(first, second, resent)
    assert [(c.op_id, c.seq) for c in committed] == [("first", 1), ("second", 2), ("late", 3)]

    assert oplog.waiting == 0 and not oplog.pressed  # nothing ahead: an op taken now waits for nobody
    assert (await oplog.commit(room.meeting_id, room.teacher, "later", harm("Sent while far behind"))).seq == 4
    assert [row.op_id for row in await op_rows(db, room.meeting_id)] == ["first", "second", "late", "later"]
