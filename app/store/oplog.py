"""The op log and the meeting's projection, written together: each op in its own savepoint, and the ops waiting
when the writer becomes free committed together in one transaction (group commit, one fsync for all of them).

Why group: a durable commit costs little (~0.2 ms for a bare synchronous=FULL commit here), but the work around
each transaction, done one op at a time, cost ten times that, so one process saturated at ~450 edits a second
and then fell behind. An op still gets its ack and its broadcast only after the commit that holds it. On SQLite
a group is answered, and the next one written, in the turn of the event loop that learns its COMMIT ended (each
op's `then` called there, for the room to send the ack and the event at once), not by a task resuming turns later.

Order of work inside an op matters: the first statement bumps the meeting's `last_seq`, which takes the meeting's
row lock (PostgreSQL) or the write lock (SQLite). Everything after it, the duplicate check included, sees every op
committed before it, and every op before it in its group, so sequence numbers stay gap-free and ordered across
processes. An op the rules refuse rolls back to its savepoint, giving back its seq; the others in the group stay.

Who groups with whom: on SQLite, every op of the process (SQLite has one writer anyway); there, the ops of meetings
the board cache holds are applied in memory and written together in a few statements, whatever their number
(app/store/op_batch.py), and only the rest one at a time in savepoints. On PostgreSQL, the ops of one meeting only,
so a transaction never holds two meetings' row locks (two processes taking them in different orders would
deadlock); meetings commit side by side over the pool, and PostgreSQL flushes their WAL together.
There, each op of a group on a meeting this process wrote last is one statement in autocommit, guarded by the seq
its cached board stands at (app/store/op_statement.py): one round trip instead of five.

Push back: past `max_waiting` ops submitted and not yet answered, or once the op waiting longest has waited
WAIT_REFUSE_NEW_SECONDS, or with the event loop lagging, `commit` refuses at once with `Busy` (nothing saved,
resend the same op id later) instead of queueing edits that would all be late.

The projection is two parts: the cards, one row each (the hot path writes only the card an op touched), and the
rest of the meeting as one JSON document, rewritten only by the ops that change it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import TypeAdapter
from sqlalchemy import Connection, Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from app.domain.agendas import MeetingKind, Phase
from app.domain.board import Card, CardChange, CardKind, Column
from app.domain.changes import AnyChange, change_as_stored, changes_adapter
from app.domain.errors import DomainError, MeetingNotFound, OpIdTaken
from app.domain.operations import Actor, AnyOperation, Applied, apply_operation, operation_adapter, replay
from app.domain.roles import Role
from app.domain.state import CONFERENCE_FIELDS, MeetingState
from app.store.answer_pace import AnswerPace
from app.store.chain import GENESIS_FIELDS, Verification, chain_hash, genesis_hash, verify_chain
from app.store.database import Database, failed
from app.store.group_commit import (
    RELEASE,
    ROLLBACK_TO,
    SAVEPOINT,
    answer_group,
    commit_in_groups,
    is_database_trouble,
    take_group,
)
from app.store.op_batch import CARD_VALUES, INSERT_OP, bump_seqs, insert_ops, upsert_cards
from app.store.op_statement import (
    ProjectionWrite,
    fits,
    op_statement,
    op_statement_params,
)
from app.store.prepared import Prepared
from app.store.tables import (
    CardRow,
    MeetingRow,
    MeetingStateRow,
    OpRow,
    ParticipantRow,
    SessionRow,
    as_utc,
    utcnow,
)
from app.store.tokens import new_id

_agenda_adapter: TypeAdapter[tuple[Phase, ...]] = TypeAdapter(tuple[Phase, ...])
_CONFERENCE = set(CONFERENCE_FIELDS)
WATCHER_GRACE = timedelta(seconds=30)
MAX_GROUP_OPS = 64
"""Ops committed in one transaction at most: past a few dozen the fsync is paid off (a bare SQLite loop measured
51,000 edits/s in groups of 64), and a larger group would hold the write lock, and every other write, longer."""
MAX_WAITING_OPS = 256
"""Ops submitted and not yet answered before `commit` says `Busy` (new ops are refused past NEW_OPS_SHARE of it).
How long ops wait is bounded apart (WAIT_REFUSE_NEW_SECONDS, WAIT_REFUSE_ALL_SECONDS); this bound is for a burst
that comes all at once. At 128, one process on SQLite at its capacity (shape A, 1,000 edits/s) refused edits
whenever writers' sends bunched up, and the refused came back as resends that kept the queue full: two pairs of
runs alternating, 6,998 and 3,056 `busy` (p99 2.6 s and 0.56 s) against 568 and 249 (p99 0.63 s and 0.33 s) at
256, accepted p99 about the same (174-234 ms). At twice its capacity, 256 left 5,789 of 40,000 edits unacked by the
drain's end against 13,400, with the same accepted p99 (0.62 s) and a higher accepted p50 (211 ms against 157)."""
RETRY_AFTER_SECONDS = (0.25, 18.0)
"""The least and the most a `Busy` refusal asks the client to wait: 15 s at most on average, spread a fifth either
way (RETRY_AFTER_SPREAD). The most is what a person may be asked to wait before their change is tried again, not a
bound on the backlog: one process on SQLite at three times its capacity (20 s at 1,000 edits/s) had a backlog of
about 40 s of refused edits. Asked to come back within 5 s, every one of them came back within 5 s, most to be
refused again, and their resends took the work the commits needed: 114,000-119,000 `busy` and 5,100-6,800 of the
20,000 edits taken within 30 s of the load's end. At 15 s: 44,000 `busy`, 8,000 taken, their p99 2.5 s against
3.5-6.5 s; at 30 s no better than 15 (7,400-7,500 taken). Those waits were exact, unspread (see `_retry_after`);
spread from 10 to 15 s (a mean of 12.5), two runs of C (2,000 edits/s) in three drew 119,000-121,000 `busy`,
against 91,000-99,000 in seven runs told exactly 15 s: the mean stays at 15 s."""
RETRY_AFTER_SPREAD = 0.2
"""How far either way a `Busy`'s retry_after is spread at random around the estimate (see `_retry_after`)."""
NEW_OPS_SHARE = 0.75
"""Past this share of `max_waiting`, only ops sent again after a `Busy` are taken, up to `max_waiting`: a client
already told to wait comes before one whose op is new, so under sustained overload every client gets its turn
(without it, the clients answered first came straight back and kept the queue full for the others)."""
LAG_REFUSE_NEW_SECONDS = 0.05
"""Event-loop lag (realtime/loop_lag.py) past which the process takes only ops sent again after a `Busy`: past it,
everything the process does (fan-out, reads, handshakes) waits its turn that long, so more new edits would only
make every accepted one later. An op taken waits its group's COMMIT and about two turns of the loop besides (its
frame read, then its group answered), so the lag counts twice in its latency. At 100 ms (and 250 ms for
LAG_REFUSE_ALL_SECONDS), one SQLite process at C with another process spinning on one of the two cores (a slower
machine, roughly) kept its accepted p99 at 364-374 ms; at 50 (and 150), 277-312 ms, with as many edits taken; on
the quiet machine, C and A as before (C 199 ms, A 58 ms and 46 `busy`, 0 lost)."""
LAG_REFUSE_ALL_SECONDS = 0.15
"""Event-loop lag past which no op is taken at all, until the process catches up."""
WAIT_REFUSE_NEW_SECONDS = 0.1
"""How long the op waiting longest has kept waiting for its answer (`standing_wait`), past which the process takes
only ops sent again after a `Busy`, as for the loop's lag. A bound in ops alone is a different time on every machine
and database: two processes on PostgreSQL past their capacity had fewer than 128 ops waiting and answered them in
0.4 s at the median and 8 s at worst (a pool's connections each held for a turn of a busy event loop). The waiting
ops' own wait, not a mean of the answered ones: it is the queue's state now, and falls back the moment the queue is
served (a mean stayed high while everything was refused, since nothing refused is answered to bring it down). At
50 ms, one process on SQLite at its capacity (its group commit keeps ops waiting a group's time) refused twice as
many edits as at 100 ms (35,869 against 18,179 in 20 s, one run each), and its accepted edits were slower."""
WAIT_REFUSE_ALL_SECONDS = 0.25
"""How long the op waiting longest has kept waiting past which no op is taken at all."""
EXPECTED_WAIT_REFUSE_NEW_SECONDS = 0.1
"""How long an op taken now would wait for its answer (app/store/answer_pace.py), past which only ops sent again
after a `Busy` are taken. With only the waiting ops' count and standing wait as bounds, one process on SQLite past
its capacity (bench.compare's A on a slow machine) answered the ops it took in 150-450 ms at the p99 while the load
lasted; with this, 130-290 ms."""
EXPECTED_WAIT_REFUSE_ALL_SECONDS = 0.15
"""How long an op taken now would wait, past which no op is taken at all: with the time its event then takes to
reach every screen, an accepted edit stays near a quarter of a second past the process's capacity."""
WAIT_WINDOW_SECONDS = 0.25
"""`standing_wait` is the least wait seen over this window: a burst served within it never counts (a thousand edits
at once on a slow disk), a queue that stays behind does (CoDel's standing queue; the loop's lag is read the same
way)."""
WAIT_SAMPLE_SECONDS = 0.01
"""How often, at most, the waiting ops' wait is looked at for `standing_wait` (when an op comes)."""
REMEMBERED_REFUSALS = 16384
"""The op ids refused with `Busy` that the op log remembers, to put their resend first (the oldest forgotten). At
4,096, a process past its capacity for twenty seconds forgot ops still to be resent, and refused them again as new."""
REFUSAL_REMEMBERED_SECONDS = 2 * RETRY_AFTER_SECONDS[1]
"""How long a refusal is remembered after it was told: a client comes back within the most it is asked to wait (and a
reconnect's few seconds). One that has not by then is gone (a closed tab, a lost tablet), and its op no longer waits
to be resent: counted in `_retry_after` for ever, a busy hour's leftovers told every later refusal to wait 15 s."""


@dataclass(frozen=True, slots=True)
class CommittedOp:
    """An operation as it stands in the log: what the ack and the broadcast event are made from."""

    meeting_id: str
    seq: int
    op_id: str
    actor: Actor
    op: AnyOperation
    changes: tuple[AnyChange, ...]
    target_id: str
    at: datetime
    duplicate: bool = False
    state: MeetingState | None = dataclasses.field(default=None, compare=False, repr=False)
    """The whole meeting just after this op, when the op was committed here (not read back from the log): a room
    keeps it to serve the next hello without reading the database."""

    @property
    def card(self) -> Card | None:
        return next((c.value for c in self.changes if isinstance(c, CardChange)), None)

    @property
    def card_id(self) -> str:
        return self.target_id


class Busy(Exception):
    """More ops wait for their commit than the op log takes: this one was not queued and nothing was saved. The
    client sends the same op (same op id) again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"busy, retry after {retry_after:.3f} s")
        self.retry_after = retry_after


@dataclass(slots=True)
class _Waiting:
    """An op submitted to the group commit, and the future its caller awaits (the ack's outcome)."""

    meeting_id: str
    actor: Actor
    op_id: str
    op: AnyOperation
    answer: asyncio.Future[CommittedOp]
    then: Callable[[], None] | None


_Outcome = CommittedOp | Exception


@dataclass(frozen=True, slots=True)
class _WrittenGroup:
    """A group's writes before their commit: each op's outcome, in order, the boards its meetings are left at, and
    how many of its ops `_write_together` wrote."""

    outcomes: list[_Outcome]
    boards: dict[str, tuple[MeetingState, str]]
    together: int


class _NotAsCached(Exception):
    """A meeting's stored seq or status is not what the board cache holds: the group goes one op at a time."""


class _Duplicate(Exception):
    """Not a refusal: the op id was committed before, and this is its first result. Raised to roll back to the
    op's savepoint, which gives back the seq reserved for it."""

    def __init__(self, first: CommittedOp) -> None:
        super().__init__("duplicate op id")
        self.first = first


def _resent_by_its_author(first: CommittedOp, actor: Actor) -> _Outcome:
    """The answer to an op whose op id is in the log already: its first result when its author sends it again (on
    any of their devices), else a refusal. Every connection is sent every event's op id, also of ops about items
    kept from it; the first ack would tell anyone who sent such an op id what the op was about (the item's id, a
    private answer's author)."""
    if first.actor.participant_id == actor.participant_id:
        return first
    return OpIdTaken("This change was sent with the id of someone else's change, so it was not saved.")


def _undo(session: Session, connection: Connection, alone: bool) -> None:
    """Take back the op just tried: its savepoint, or the whole transaction when the op is alone in it."""
    if alone:
        session.rollback()
        return
    ROLLBACK_TO.run(connection, {})
    RELEASE.run(connection, {})


class _BoardCache:
    """Meetings recently active, with the hash of their last op, so an op usually needs no read of the projection
    or of the chain. An entry is used only when its seq is exactly the one before the op's, which the row lock
    makes true only if no other process wrote in between. So anything that ever changes the projection or a
    meeting's status must do it as an op through `commit` (finalising included), bumping `last_seq`, or this
    cache would serve a stale meeting."""

    def __init__(self, size: int = 512) -> None:
        self._boards: OrderedDict[str, tuple[MeetingState, str]] = OrderedDict()
        self._size = size
        # SQLite's writer thread commits through it while the event loop's thread puts the boards rooms open with.
        self._lock = threading.Lock()

    def get(self, meeting_id: str, seq: int) -> tuple[MeetingState, str] | None:
        with self._lock:
            entry = self._boards.get(meeting_id)
            if entry is None or entry[0].seq != seq:
                return None
            self._boards.move_to_end(meeting_id)
            return entry

    def latest(self, meeting_id: str) -> tuple[MeetingState, str] | None:
        """The meeting as the last op this process committed (or the last read of it) left it, whatever the seq
        stored now."""
        with self._lock:
            entry = self._boards.get(meeting_id)
            if entry is not None:
                self._boards.move_to_end(meeting_id)
            return entry

    def put(self, meeting_id: str, board: MeetingState, last_hash: str) -> None:
        with self._lock:
            current = self._boards.get(meeting_id)
            if current is not None and current[0].seq >= board.seq:
                return
            self._boards[meeting_id] = (board, last_hash)
            self._boards.move_to_end(meeting_id)
            while len(self._boards) > self._size:
                self._boards.popitem(last=False)

    def drop(self, meeting_id: str) -> None:
        with self._lock:
            self._boards.pop(meeting_id, None)


class OpLog:
    def __init__(
        self,
        db: Database,
        watcher_grace: timedelta = WATCHER_GRACE,
        *,
        max_group: int = MAX_GROUP_OPS,
        max_waiting: int = MAX_WAITING_OPS,
        loop_lag: Callable[[], float] = lambda: 0.0,
        clock: Callable[[], float] = time.monotonic,
        answer_pace: AnswerPace | None = None,
    ) -> None:
        self.db = db
        self.watcher_grace = watcher_grace
        """After finalising, how long family and room-screen sessions last (their screens say goodbye first)."""
        self.max_group = max_group
        self.max_waiting = max_waiting
        self.loop_lag = loop_lag
        """How far behind the process's event loop runs now, in seconds (realtime.loop_lag.LoopLag.recent)."""
        self.clock = clock
        """What ops' waits are measured with (seconds)."""
        self._cache = _BoardCache()
        # Ops waiting to be taken into a group, one queue per grouping key (see the module's docstring), each
        # drained by one task while it has ops.
        self._queues: dict[str, deque[_Waiting]] = {}
        self._committers: set[asyncio.Task[None]] = set()
        self._refused: OrderedDict[tuple[str, str], float] = OrderedDict()
        """Op ids refused with `Busy` within REFUSAL_REMEMBERED_SECONDS, and when (by `clock`), the least recently
        refused first: their resend is taken first. An OrderedDict, not a dict: a dict's first entry is found by
        stepping over every entry deleted before it, and refusals are forgotten from the front, so past capacity
        that step took a tenth of the server's CPU."""
        self._seconds_per_op = 0.001
        """A running mean of a group's own time per op, from its start to its answer: with the answer pace, what a
        `Busy` refusal's wait is estimated from."""
        self.answer_pace = answer_pace or AnswerPace()
        """The pace at which ops are answered while they queue, from the groups' answers (by `clock`): what an op
        taken now would wait, and with a group's own time, what a `Busy` refusal's wait is estimated from."""
        self._submitted: dict[asyncio.Future[CommittedOp], float] = {}
        """When each op waiting (submitted and not yet answered) was submitted, oldest first (a dict keeps its
        order)."""
        self._wait_samples: deque[tuple[float, float]] = deque(
            maxlen=int(WAIT_WINDOW_SECONDS / WAIT_SAMPLE_SECONDS) + 4
        )
        """(when, how long the op waiting longest had waited then), oldest first: one at or before the window's
        start, the rest in it."""
        self.groups_committed = 0
        """Groups the group commit has committed (each one transaction, or on PostgreSQL one statement an op while
        it can), and below the ops they held (for diagnostics and the benchmark; their ratio is the mean group
        size)."""
        self.ops_in_groups = 0
        self.ops_written_together = 0
        """Ops committed on SQLite by `_write_together`, applied in memory and written with their group's others."""

    @property
    def waiting(self) -> int:
        """Ops submitted and not yet answered (waiting for a group, or in the group being committed)."""
        return len(self._submitted)

    async def commit(self, meeting_id: str, actor: Actor, op_id: str, op: AnyOperation) -> CommittedOp:
        """Apply `op` and make it durable. Raises a DomainError (and saves nothing) when the rules refuse it, and
        Busy (saving nothing, at once) when the op log is past its capacity (see `refusal`). A second commit with the
        same op id returns the first one, marked duplicate. Ops of one meeting submitted in order are applied in that
        order."""
        return await self.submit(meeting_id, actor, op_id, op)

    def submit(
        self,
        meeting_id: str,
        actor: Actor,
        op_id: str,
        op: AnyOperation,
        then: Callable[[], None] | None = None,
    ) -> asyncio.Future[CommittedOp]:
        """`commit` without waiting: the op is queued now (or Busy raised now) and the future is answered as
        `commit` would return or raise. A caller with several ops queues them all before waiting for the first,
        so they share a group; cancelling the future before its group is taken leaves the op unwritten. `then`,
        if given, is called in the turn of the event loop the future is answered in, a turn before its awaiter
        would resume (it must not raise)."""
        refused = self.refusal(meeting_id, op_id)
        if refused is not None:
            raise refused
        self._refused.pop((meeting_id, op_id), None)
        loop = asyncio.get_running_loop()
        waiting = _Waiting(meeting_id, actor, op_id, op, loop.create_future(), then)
        self._submitted[waiting.answer] = self.clock()
        waiting.answer.add_done_callback(self._answered)
        key = "" if self.db.is_sqlite else meeting_id
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            # From the next turn of the event loop, so that the ops read in this one go in the same group.
            if self.db.is_sqlite:
                loop.call_soon(self._commit_next_group, key, queue)
            else:
                committer = loop.create_task(self._commit_waiting(key, queue), name="oplog-group-commit")
                self._committers.add(committer)
                committer.add_done_callback(self._committers.discard)
        queue.append(waiting)
        return waiting.answer

    @property
    def pressed(self) -> bool:
        """Whether new ops are being refused now (the queue past NEW_OPS_SHARE, an op taken now expected to wait
        long, the loop lagging, or ops kept waiting): the moment for a caller to ask `refusal` before it spends any
        work on an op."""
        return (
            self.waiting >= self.max_waiting * NEW_OPS_SHARE
            or self._expected_wait() >= EXPECTED_WAIT_REFUSE_NEW_SECONDS
            or self.loop_lag() >= LAG_REFUSE_NEW_SECONDS
            or self.standing_wait >= WAIT_REFUSE_NEW_SECONDS
        )

    @property
    def longest_wait(self) -> float:
        """How long the op waiting longest has waited for its answer so far, in seconds (0 while none waits)."""
        for submitted in self._submitted.values():
            return self.clock() - submitted
        return 0.0

    @property
    def standing_wait(self) -> float:
        """The least `longest_wait` over the last WAIT_WINDOW_SECONDS, in seconds: 0 until a whole window has been
        watched. Looked at as ops come, so under load every few milliseconds."""
        now = self.clock()
        samples = self._wait_samples
        if not samples or now - samples[-1][0] >= WAIT_SAMPLE_SECONDS:
            samples.append((now, self.longest_wait))
        start = now - WAIT_WINDOW_SECONDS
        while len(samples) > 1 and samples[1][0] <= start:
            samples.popleft()
        if samples[0][0] > start:
            return 0.0
        return min(wait for when, wait in samples if when > start)

    def refusal(self, meeting_id: str, op_id: str) -> Busy | None:
        """The `Busy` that `commit` would raise for this op now (and it is remembered as refused, as there), or None
        if the queue would take it. Any op below `NEW_OPS_SHARE` of the bound while the event loop keeps up, ops
        wait little and an op taken now would too; past that share, EXPECTED_WAIT_REFUSE_NEW_SECONDS of expected wait,
        LAG_REFUSE_NEW_SECONDS of lag or WAIT_REFUSE_NEW_SECONDS of waiting, only an op refused before (see
        NEW_OPS_SHARE); none at the bound, past EXPECTED_WAIT_REFUSE_ALL_SECONDS, LAG_REFUSE_ALL_SECONDS or
        WAIT_REFUSE_ALL_SECONDS. A refused op is remembered so its resend comes first."""
        lag = self.loop_lag()
        wait = self.standing_wait
        expected = self._expected_wait()
        if (
            self.waiting < self.max_waiting * NEW_OPS_SHARE
            and expected < EXPECTED_WAIT_REFUSE_NEW_SECONDS
            and lag < LAG_REFUSE_NEW_SECONDS
            and wait < WAIT_REFUSE_NEW_SECONDS
        ):
            return None
        key = (meeting_id, op_id)
        if (
            self.waiting < self.max_waiting
            and expected < EXPECTED_WAIT_REFUSE_ALL_SECONDS
            and lag < LAG_REFUSE_ALL_SECONDS
            and wait < WAIT_REFUSE_ALL_SECONDS
            and key in self._refused
        ):
            return None
        self._remember_refusal(key)
        return Busy(self._retry_after(lag))

    def _remember_refusal(self, key: tuple[str, str]) -> None:
        """Remember `key` as refused now, and forget the refusals told longer ago than REFUSAL_REMEMBERED_SECONDS or
        past REMEMBERED_REFUSALS (the least recently refused first)."""
        now = self.clock()
        refused = self._refused
        refused[key] = now
        refused.move_to_end(key)
        forget_before = now - REFUSAL_REMEMBERED_SECONDS
        while len(refused) > REMEMBERED_REFUSALS or next(iter(refused.values())) < forget_before:
            refused.popitem(last=False)

    def _expected_wait(self) -> float:
        """How long an op taken now would wait (app/store/answer_pace.py), judged only once a group's worth of ops
        waits: fewer all go in the next group, which takes about as long for one as for several. Judged at any
        count, four people typing in one meeting on two processes, with the machine loaded and a commit taking
        50 ms, were told the board was very busy."""
        if self.waiting < self.max_group:
            return 0.0
        return self.answer_pace.expected_wait(self.waiting, self.clock())

    def _answered(self, answer: asyncio.Future[CommittedOp]) -> None:
        del self._submitted[answer]

    def _retry_after(self, lag: float) -> float:
        """About the time it takes to commit the ops now waiting and the ops refused and not taken yet (their
        resends come first), and never less than twice the event loop's lag, spread by a fifth either way so that the
        clients refused together do not all come back in the same instant. Counting only the waiting ones told
        thousands of refused clients to come back in a quarter of a second: A past capacity drew 598,000 resends
        refused again in 50 s, which took the CPU the commits needed (a third of the edits taken, their p99
        15-41 s). Counted this way the resends arrive about as fast as the op log commits.

        The spread is applied after the bounds, within them: spread first and then cut at the most, a process past
        its capacity for long (C, 2,000 edits/s on one SQLite process) told 90,299 of 93,420 refusals exactly
        15.000 s, so the clients refused in one slow turn of the event loop all came back in one.

        The time an op takes is the longer of two measures, each short in one case. A group's own time per op
        leaves out the process's other work between groups: on SQLite (one queue), once a group was answered in the
        turn of the event loop its COMMIT ended, it fell by half at C, the refused came back sooner, and `busy` rose
        from 36,000-44,000 to 54,000 in three pairs of runs. The pace at which queued ops are answered
        (app/store/answer_pace.py) is the whole process's, while on PostgreSQL a resend waits in its meeting's own
        queue, behind that meeting's groups, many of which commit side by side: told from the pace alone, two
        processes past their capacity (A) drew 17,494 `busy` against 8,403, their accepted p99 2.5 s against
        0.65 s."""
        least, most = RETRY_AFTER_SECONDS
        low, high = 1 - RETRY_AFTER_SPREAD, 1 + RETRY_AFTER_SPREAD
        floor = min(most, max(least, lag * 2))
        per_op = max(self._seconds_per_op, self.answer_pace.seconds_per_op)
        estimate = (self.waiting + len(self._refused)) * per_op
        centre = min(most / high, max(floor / low, estimate))
        spread = centre * random.uniform(low, high)  # noqa: S311 - jitter for load, not a secret
        return min(most, max(floor, spread))  # within the bounds whatever the rounding

    def _commit_next_group(self, key: str, queue: deque[_Waiting]) -> None:
        """SQLite: commit the next group of what waits in `queue`, answer its ops in the turn of the event loop that
        learns its COMMIT's end, and go on from there with the next, until the queue is empty. Driven by the
        COMMIT's end (`Database.commit_apart_then`) rather than by a task awaiting it, which resumed two turns of
        the loop later: past a process's capacity a turn takes 25-35 ms (bench.compare's C), and every op waited
        for its group and the group before it. Each op is answered only after the commit that holds it."""
        group = take_group(queue, self.max_group)
        if not group:
            if self._queues.get(key) is queue:
                del self._queues[key]
            return
        started = time.monotonic()
        first_submitted = self._submitted.get(group[0].answer)

        def committed(written: Callable[[], _WrittenGroup]) -> None:
            try:
                outcomes: Sequence[object] = self._committed_group(written())
                self.groups_committed += 1
                self.ops_in_groups += len(group)
            except Exception as failure:
                outcomes = [failure] * len(group)
            try:
                self._timed(started, first_submitted, len(group))
                answer_group(group, outcomes)
            finally:
                self._commit_next_group(key, queue)

        try:
            self.db.commit_apart_then(functools.partial(self._write_group, group=group), committed)
        except Exception as failure:  # the write lock not to be had (a failed disk): this group fails, not the next
            committed(failed(failure))

    async def _commit_waiting(self, key: str, queue: deque[_Waiting]) -> None:
        """PostgreSQL: commit what waits in `queue`, a group at a time, until it is empty; answer each op only after
        the commit of its group (or with its own refusal)."""
        try:
            await commit_in_groups(queue, self.max_group, self._commit_timed)
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]

    async def _commit_timed(self, group: list[_Waiting]) -> list[_Outcome]:
        """PostgreSQL: one group, timed for `_retry_after`'s estimate, each op of it in order as one statement
        while it can be (see `_commit_in_one_statement`), and the rest from the first that cannot in one
        transaction: a group there is one meeting's, often one writer's ops resent together after a `Busy`, and as
        a transaction it held a pooled connection for a turn of the event loop per statement (0.5 s each, past
        capacity), where one statement an op holds it for one."""
        started = time.monotonic()
        first_submitted = self._submitted.get(group[0].answer)
        try:
            outcomes: list[_Outcome] = []
            for waiting in group:
                try:
                    committed = await self._commit_in_one_statement(waiting)
                except Exception as failure:
                    if not outcomes:
                        raise
                    # Those before it are committed and answered as such; the rest fail with it, as a group does.
                    return outcomes + [failure] * (len(group) - len(outcomes))
                if committed is None:
                    break
                outcomes.append(committed)
            rest = group[len(outcomes) :]
            if rest:
                written = await self.db.transaction_committed_apart(functools.partial(self._write_group, group=rest))
                outcomes += self._committed_group(written)
            self.groups_committed += 1
            self.ops_in_groups += len(group)
            return outcomes
        finally:
            self._timed(started, first_submitted, len(group))

    def _timed(self, started: float, first_submitted: float | None, ops: int) -> None:
        """A group of `ops` ops, begun at `started` (time.monotonic), its first op submitted at `first_submitted`
        (by `clock`), answered now: for `_retry_after`'s estimate and the answer pace."""
        per_op = (time.monotonic() - started) / ops
        self._seconds_per_op += (per_op - self._seconds_per_op) / 8
        if first_submitted is not None:
            self.answer_pace.answered(first_submitted, self.clock(), ops)

    async def _commit_in_one_statement(self, waiting: _Waiting) -> CommittedOp | None:
        """PostgreSQL, an op on a meeting the cache holds: the op applied to the cached board and
        written as one statement (app/store/op_statement.py). None when that statement wrote nothing or the op is
        not one for it; the op then takes the transaction path, which decides on what is stored."""
        cached = self._cache.latest(waiting.meeting_id)
        if cached is None or cached[0].read_only:
            return None
        before, previous_hash = cached
        seq, at = before.seq + 1, utcnow()
        try:
            applied = apply_operation(before, waiting.op, waiting.actor, new_id=new_id(), seq=seq, at=at)
        except DomainError:
            return None  # refused by the cached board: the transaction path decides on the stored one
        if applied.state.read_only:
            return None  # finalising also ends the family's and the wall's sessions: the transaction path does
        writes = _projection_writes(waiting.meeting_id, before, applied.state)
        if not fits(writes):
            return None
        row, link = _op_row(waiting, applied, seq, at, previous_hash)
        statement = op_statement(tuple(kind for kind, _params in writes))
        params = op_statement_params(row, writes, last_seq=before.seq)
        try:
            reserved = await self.db.alone(functools.partial(statement.first, params=params))
        except IntegrityError:
            return None  # the op id taken by a commit that raced this one: the transaction path finds it
        if reserved is None:
            return None
        self._cache.put(waiting.meeting_id, applied.state, link)
        return _committed(waiting, applied, seq, at)

    def _write_group(self, session: Session, *, group: Sequence[_Waiting]) -> _WrittenGroup:
        """The group's writes, to be committed in one commit (`Database.transaction_committed_apart`), then given
        to `_committed_group`. On SQLite the ops of meetings the cache holds are applied in memory and written
        together (`_write_together`); the rest each in its own savepoint. The cache learns the group's boards only
        after the commit, so a rolled-back op or a failed commit never leaves it ahead of the database."""
        boards: dict[str, tuple[MeetingState, str]] = {}
        outcomes: list[_Outcome | None] = [None] * len(group)
        one_by_one: Sequence[int] = range(len(group))
        if self.db.is_sqlite:
            one_by_one = self._write_together(session, group, boards, outcomes)
        written_together = len(group) - len(one_by_one)
        # A group of one (a quiet moment) has nothing to keep apart: its transaction is its savepoint, which saves
        # two statements per op, and on PostgreSQL two round trips.
        alone = len(one_by_one) == 1 and not boards
        connection = session.connection()
        for index in one_by_one:
            waiting = group[index]
            if not alone:
                SAVEPOINT.run(connection, {})
            try:
                committed, board, link = self._apply(session, waiting, boards)
            except _Duplicate as duplicate:
                _undo(session, connection, alone)
                outcomes[index] = _resent_by_its_author(duplicate.first, waiting.actor)
            except Exception as refusal:
                if is_database_trouble(refusal):
                    raise
                _undo(session, connection, alone)  # if even this fails, the whole group fails: nothing is acked
                outcomes[index] = refusal
            else:
                if not alone:
                    RELEASE.run(connection, {})
                boards[waiting.meeting_id] = (board, link)
                outcomes[index] = committed
        # Every index was answered above, by `_write_together` or one at a time.
        return _WrittenGroup(cast(list[_Outcome], outcomes), boards, written_together)

    def _committed_group(self, written: _WrittenGroup) -> list[_Outcome]:
        """After the commit of a group's writes: the cache learns its boards; each op's outcome, in order."""
        self.ops_written_together += written.together
        for meeting_id, (board, link) in written.boards.items():
            if board.read_only:
                # A finalised meeting takes only the odd addendum: keeping its whole state in memory for every
                # meeting finalised in a day would grow the process by the size of each record.
                self._cache.drop(meeting_id)
            else:
                self._cache.put(meeting_id, board, link)
        return written.outcomes

    def _write_together(
        self,
        session: Session,
        group: Sequence[_Waiting],
        boards: dict[str, tuple[MeetingState, str]],
        outcomes: list[_Outcome | None],
    ) -> list[int]:
        """SQLite: the group's ops on meetings the cache holds, applied in memory in order and written in a few
        statements whatever their number (app/store/op_batch.py); each op's outcome goes into `outcomes` and each
        meeting's board as they leave it into `boards`. Returns the indexes of the ops left to go one at a time: on a
        meeting the cache does not hold, or from an op the rules refuse (it may be a resend, which the log answers)
        or one that ends the meeting (finalising ends sessions too). If the stored seqs are not the cached ones, or
        a row is refused (an op id already taken), nothing is kept and every op goes one at a time."""
        held: dict[str, tuple[MeetingState, str]] = {}
        """Each meeting as the cache held it before the group."""
        left: list[int] = []
        left_meetings: set[str] = set()
        rows: list[dict[str, Any]] = []
        for index, waiting in enumerate(group):
            meeting_id = waiting.meeting_id
            if meeting_id in left_meetings:
                left.append(index)
                continue
            current = boards.get(meeting_id) or held.get(meeting_id)
            if current is None:
                cached = self._cache.latest(meeting_id)
                if cached is None or cached[0].read_only:
                    left.append(index)
                    left_meetings.add(meeting_id)
                    continue
                current = held[meeting_id] = cached
            before, previous_hash = current
            seq, at = before.seq + 1, utcnow()
            try:
                applied = apply_operation(before, waiting.op, waiting.actor, new_id=new_id(), seq=seq, at=at)
            except Exception:
                applied = None  # a resend of an op already in the log is answered as the log has it, not refused
            if applied is None or applied.state.read_only:
                left.append(index)
                left_meetings.add(meeting_id)
                continue
            row, link = _op_row(waiting, applied, seq, at, previous_hash)
            rows.append(row)
            boards[meeting_id] = (applied.state, link)
            outcomes[index] = _committed(waiting, applied, seq, at)
        if not held:
            return left
        connection = session.connection()
        seqs = {meeting_id: (entry[0].seq, boards.get(meeting_id, entry)[0].seq) for meeting_id, entry in held.items()}
        try:
            if not bump_seqs(connection, seqs):
                raise _NotAsCached
            insert_ops(connection, rows)
            writes = [
                write
                for meeting_id, (board, _link) in held.items()
                if meeting_id in boards
                for write in _projection_writes(meeting_id, board, boards[meeting_id][0])
            ]
            upsert_cards(connection, [params for kind, params in writes if kind in ("insert", "update")])
            _write_projection(db=connection, writes=[write for write in writes if write[0] not in ("insert", "update")])
        except (_NotAsCached, IntegrityError, DataError):
            session.rollback()
            boards.clear()
            outcomes[:] = [None] * len(group)
            return list(range(len(group)))
        return left

    def _apply(
        self, session: Session, waiting: _Waiting, boards: dict[str, tuple[MeetingState, str]]
    ) -> tuple[CommittedOp, MeetingState, str]:
        """One op's statements, inside its savepoint; the meeting as it stands after it, and the chain's link."""
        meeting_id, actor, op_id, op = waiting.meeting_id, waiting.actor, waiting.op_id, waiting.op
        db = session.connection()
        reserved = _RESERVE_SEQ.first(db, {"b_meeting": meeting_id, "b_op_id": op_id})
        if reserved is None:
            raise MeetingNotFound("There is no such meeting.")
        seq, status = int(reserved[0]), str(reserved[1])
        if reserved[2] is not None:
            earlier = db.execute(_EARLIER_OP, {"b_meeting": meeting_id, "b_op_id": op_id}).one()
            raise _Duplicate(_from_row(earlier, duplicate=True))
        # The meeting as an earlier op of this group left it, else as the last commit left it, else as stored.
        cached = boards.get(meeting_id)
        if cached is None or cached[0].seq != seq - 1:
            cached = self._cache.get(meeting_id, seq - 1)
        before, previous_hash = cached or (_load_meeting(session, meeting_id), _hash_before(db, meeting_id, seq))
        read_only = status != "open"
        if before.read_only != read_only:
            before = before.model_copy(update={"read_only": read_only})
        at = utcnow()
        applied = apply_operation(before, op, actor, new_id=new_id(), seq=seq, at=at)
        row, link = _op_row(waiting, applied, seq, at, previous_hash)
        INSERT_OP.run(db, {f"b_{name}": value for name, value in row.items()})
        _write_projection(db, _projection_writes(meeting_id, before, applied.state))
        if applied.state.read_only and not before.read_only:
            _finalise_meeting(db, meeting_id, at, self.watcher_grace)
        return _committed(waiting, applied, seq, at), applied.state, link

    async def board(self, meeting_id: str) -> MeetingState:
        """The whole meeting now, and the seq it is consistent with. The board cache learns it too, with its last
        link, so the first op after a room opens needs no read: one statement on PostgreSQL, written with its
        group's others on SQLite (where a group's first op on a meeting the cache lacked went alone, with three
        reads, and the first seconds after a restart were all such ops)."""
        board, link = await self.db.snapshot(functools.partial(_board_and_link, meeting_id=meeting_id))
        if not board.read_only:
            self._cache.put(meeting_id, board, link)
        return board

    async def genesis(self, meeting_id: str) -> MeetingState:
        """The meeting before its first op: what replaying its log starts from."""
        return await self.db.snapshot(functools.partial(_genesis, meeting_id=meeting_id))

    async def verify(self, meeting_id: str) -> tuple[Verification, bool]:
        """Recompute the meeting's hash chain from its genesis over every stored op, and say whether the stored
        projection is still the log replayed (a record changed behind the log's back shows there)."""
        stored = await self.db.snapshot(functools.partial(_stored_record, meeting_id=meeting_id))
        # Hashing and replaying a long log is CPU work: off the event loop, so the room goes on meanwhile.
        return await asyncio.to_thread(_verify, *stored)

    async def since(self, meeting_id: str, after_seq: int, limit: int) -> tuple[list[CommittedOp], int] | None:
        """Ops after `after_seq` in order with the meeting's current seq, or None when a snapshot is the better
        answer: more than `limit` ops followed, or `after_seq` is ahead of the log (a client from another
        database)."""
        return await self.db.snapshot(
            functools.partial(_since, meeting_id=meeting_id, after_seq=after_seq, limit=limit)
        )

    async def between(self, meeting_id: str, after_seq: int, up_to_seq: int) -> list[CommittedOp]:
        return await self.db.snapshot(
            functools.partial(_between, meeting_id=meeting_id, after_seq=after_seq, up_to_seq=up_to_seq)
        )


def _op_row(
    waiting: _Waiting, applied: Applied, seq: int, at: datetime, previous_hash: str
) -> tuple[dict[str, Any], str]:
    """The op's row in the log, its hash (the chain's next link) included, and that hash."""
    row = {
        "meeting_id": waiting.meeting_id,
        "seq": seq,
        "op_id": waiting.op_id,
        "actor_id": waiting.actor.participant_id,
        "role": waiting.actor.role.value,
        "type": applied.op.type,
        "card_id": applied.target_id,
        "payload": json.dumps(log_payload(applied.op, applied.changes), separators=(",", ":")),
        "created_at": at,
    }
    row["hash"] = link = chain_hash(previous_hash, row)
    return row, link


def _committed(waiting: _Waiting, applied: Applied, seq: int, at: datetime) -> CommittedOp:
    return CommittedOp(
        waiting.meeting_id,
        seq,
        waiting.op_id,
        waiting.actor,
        applied.op,
        applied.changes,
        applied.target_id,
        at,
        state=applied.state,
    )


def _since(session: Session, meeting_id: str, after_seq: int, limit: int) -> tuple[list[CommittedOp], int] | None:
    last_seq = session.execute(select(_MEETINGS.c.last_seq).where(_MEETINGS.c.id == meeting_id)).scalar_one_or_none()
    if last_seq is None:
        raise MeetingNotFound("There is no such meeting.")
    if after_seq > last_seq or last_seq - after_seq > limit:
        return None
    return _between(session, meeting_id, after_seq, last_seq), int(last_seq)


def _between(session: Session, meeting_id: str, after_seq: int, up_to_seq: int) -> list[CommittedOp]:
    rows = session.execute(
        select(_OPS)
        .where(_OPS.c.meeting_id == meeting_id, _OPS.c.seq > after_seq, _OPS.c.seq <= up_to_seq)
        .order_by(_OPS.c.seq)
    )
    return [_from_row(row) for row in rows]


def log_payload(op: AnyOperation, changes: tuple[AnyChange, ...]) -> dict[str, Any]:
    """What the log keeps of an op beside its row's columns: the op as logged and every change it made."""
    return {"op": op.model_dump(mode="json"), "changes": [change_as_stored(change) for change in changes]}


def committed_from_log(
    meeting_id: str, seq: int, op_id: str, actor: Actor, target_id: str, at: datetime, payload: dict[str, Any]
) -> CommittedOp:
    """An op from its stored (or published) form. Rows from before the conference carry only the card."""
    op = operation_adapter.validate_python(payload["op"])
    if "changes" in payload:
        changes = tuple(changes_adapter.validate_python(payload["changes"]))
    else:
        card = Card.model_validate(payload["card"]) if payload["card"] is not None else None
        position = getattr(op, "position", None) if op.type in ("add_card", "move_card") else None
        changes = (CardChange(id=target_id, value=card, position=position),)
    return CommittedOp(meeting_id, seq, op_id, actor, op, changes, target_id, at)


def _from_row(row: Row[Any], duplicate: bool = False) -> CommittedOp:
    committed = committed_from_log(
        meeting_id=row.meeting_id,
        seq=row.seq,
        op_id=row.op_id,
        actor=Actor(row.actor_id, Role(row.role)),
        target_id=row.card_id,
        at=as_utc(row.created_at),
        payload=json.loads(row.payload),
    )
    return dataclasses.replace(committed, duplicate=True) if duplicate else committed


_StoredRecord = tuple[dict[str, Any], list[Row[Any]], int, MeetingState, MeetingState]


def _stored_record(session: Session, meeting_id: str) -> _StoredRecord:
    """Everything verifying a meeting reads, in one snapshot: its genesis row, its op rows, the count of ops it
    accepted, the state its log starts from, and the stored projection."""
    genesis = session.execute(_GENESIS, {"b_meeting": meeting_id}).mappings().one_or_none()
    if genesis is None:
        raise MeetingNotFound("There is no such meeting.")
    rows = list(session.execute(select(_OPS).where(_OPS.c.meeting_id == meeting_id).order_by(_OPS.c.seq)).all())
    accepted = int(session.execute(select(_MEETINGS.c.last_seq).where(_MEETINGS.c.id == meeting_id)).scalar_one())
    return dict(genesis), rows, accepted, _genesis(session, meeting_id), _load_meeting(session, meeting_id)


def _verify(
    genesis: dict[str, Any], rows: list[Row[Any]], accepted: int, start: MeetingState, stored: MeetingState
) -> tuple[Verification, bool]:
    verification = verify_chain(genesis, [dict(row._mapping) for row in rows])
    # The meeting row counts the ops it accepted (bumped in each op's transaction): a log cut short at its end, or
    # with an op added after its last, is not the log that was recorded, even where every link it has holds.
    if verification.holds and verification.ops != accepted:
        seq = min(verification.ops, accepted) + 1
        problem = (
            f"Op {seq} is missing from the log."
            if verification.ops < accepted
            else f"Op {seq} was added to the log: the meeting accepted {accepted}."
        )
        verification = Verification(False, verification.ops, None, seq, problem)
    if not verification.holds:
        return verification, False
    try:
        logged = (_from_row(row) for row in rows)
        replayed = replay(((c.seq, c.op, c.actor, c.at) for c in logged), start)
    except (DomainError, ValueError):
        return verification, False
    return verification, replayed == stored


def _board_and_link(session: Session, meeting_id: str) -> tuple[MeetingState, str]:
    board = _load_meeting(session, meeting_id)
    return board, _hash_before(session.connection(), meeting_id, board.seq + 1)


def _hash_before(db: Connection, meeting_id: str, seq: int) -> str:
    """The chain's link before `seq`: the previous op's hash, or the meeting's genesis for the first op."""
    if seq > 1:
        found = db.execute(_OP_HASH, {"b_meeting": meeting_id, "b_seq": seq - 1}).scalar_one()
        return str(found)
    return genesis_hash(dict(db.execute(_GENESIS, {"b_meeting": meeting_id}).mappings().one()))


def _finalise_meeting(db: Connection, meeting_id: str, at: datetime, grace: timedelta) -> None:
    """In the finalising op's transaction: the meeting's status says so, and the sessions of the family and the
    room screen end a short while later, so a shared tablet or a wall keeps nothing of the meeting."""
    db.execute(_FINALISED, {"b_meeting": meeting_id, "b_at": at})
    db.execute(_WATCHERS_END, {"b_meeting": meeting_id, "b_until": at + grace})


def _genesis_of(kind: str, agenda: str | None) -> MeetingState:
    return MeetingState.new(MeetingKind(kind), _agenda_adapter.validate_json(agenda) if agenda else None)


def _genesis(session: Session, meeting_id: str) -> MeetingState:
    row = session.execute(
        select(_MEETINGS.c.kind, _MEETINGS.c.agenda).where(_MEETINGS.c.id == meeting_id)
    ).one_or_none()
    if row is None:
        raise MeetingNotFound("There is no such meeting.")
    return _genesis_of(row.kind, row.agenda)


def _load_meeting(session: Session, meeting_id: str) -> MeetingState:
    meeting = session.execute(
        select(_MEETINGS.c.last_seq, _MEETINGS.c.status, _MEETINGS.c.kind, _MEETINGS.c.agenda, _STATES.c.state)
        .join(_STATES, _STATES.c.meeting_id == _MEETINGS.c.id, isouter=True)
        .where(_MEETINGS.c.id == meeting_id)
    ).one_or_none()
    if meeting is None:
        raise MeetingNotFound("There is no such meeting.")
    rows = session.execute(
        select(_CARDS).where(_CARDS.c.meeting_id == meeting_id).order_by(_CARDS.c.column, _CARDS.c.position)
    )
    columns: dict[Column, list[Card]] = {column: [] for column in Column}
    for row in rows:
        columns[Column(row.column)].append(
            Card(
                id=row.id,
                column=Column(row.column),
                kind=CardKind(row.kind),
                text=row.text,
                author_id=row.author_id,
                version=row.version,
                child_ids=tuple(json.loads(row.child_ids)),
                restricted=bool(row.restricted),
                edited_by=row.edited_by,
            )
        )
    genesis = _genesis_of(meeting.kind, meeting.agenda)
    conference = json.loads(meeting.state) if meeting.state else {}
    return MeetingState.model_validate(
        {
            **genesis.model_dump(include={"kind", "agenda"}),
            **conference,
            "seq": int(meeting.last_seq),
            "read_only": meeting.status != "open",
            "columns": {column: tuple(cards) for column, cards in columns.items()},
        }
    )


def _moved_parts(
    before: MeetingState, after: MeetingState, columns: Iterable[Column]
) -> tuple[dict[str, tuple[Card, int]], dict[str, tuple[Card, int]]]:
    """Each card, with its position, of what changed in these columns, before and after. The cards both hold at the
    same place at the head of a column (most ops add at the end or touch one card) are left out without a look
    at their ids: the same card object at the same index was neither changed nor moved."""
    old: dict[str, tuple[Card, int]] = {}
    new: dict[str, tuple[Card, int]] = {}
    for column in columns:
        cards_before, cards_after = before.columns.get(column, ()), after.columns.get(column, ())
        same = 0
        for card_before, card_after in zip(cards_before, cards_after, strict=False):
            if card_before is not card_after:
                break
            same += 1
        for position in range(same, len(cards_before)):
            old[cards_before[position].id] = (cards_before[position], position)
        for position in range(same, len(cards_after)):
            new[cards_after[position].id] = (cards_after[position], position)
    return old, new


def _projection_writes(meeting_id: str, before: MeetingState, after: MeetingState) -> list[ProjectionWrite]:
    """Only what the op changed: the card it touched, the neighbours whose position shifted, and the rest of the
    meeting only when an op changed it (every concept's rule returns a new object for what it changes)."""
    writes: list[ProjectionWrite] = []
    if any(getattr(before, name) is not getattr(after, name) for name in CONFERENCE_FIELDS):
        writes.append(("state", {"b_meeting": meeting_id, "b_state": after.model_dump_json(include=_CONFERENCE)}))
    if before.columns is after.columns:
        return writes
    # Rules give a new tuple only to the columns they change (a card moved between two columns changes both).
    changed = [c for c in Column if before.columns.get(c) is not after.columns.get(c)]
    old, new = _moved_parts(before, after, changed)
    writes.extend(("delete", {"b_meeting": meeting_id, "b_id": card_id}) for card_id in old.keys() - new.keys())
    for card_id, (card, position) in new.items():
        previous = old.get(card_id)
        if previous == (card, position):
            continue
        if previous is not None and previous[0] == card:
            writes.append(("shift", {"b_meeting": meeting_id, "b_id": card_id, "b_position": position}))
            continue
        values = {
            "b_meeting": meeting_id,
            "b_id": card_id,
            "b_column": card.column.value,
            "b_kind": card.kind.value,
            "b_text": card.text,
            "b_author_id": card.author_id,
            "b_version": card.version,
            "b_position": position,
            "b_child_ids": json.dumps(card.child_ids),
            "b_restricted": card.restricted,
            "b_edited_by": card.edited_by,
        }
        writes.append(("update" if previous is not None else "insert", values))
    return writes


def _write_projection(db: Connection, writes: list[ProjectionWrite]) -> None:
    """The writes in the op's transaction; the shifted neighbours in one batch (one statement per neighbour would
    hold SQLite's single write lock for every meeting)."""
    shifted = [params for kind, params in writes if kind == "shift"]
    for kind, params in writes:
        if kind != "shift":
            _PROJECTION_STATEMENTS[kind].run(db, params)
    if shifted:
        _SHIFT.run_many(db, shifted)


# The statements of the hot path, built once: building them per op cost more CPU than running them.
_MEETINGS: Table = MeetingRow.__table__  # type: ignore[attr-defined]
_OPS: Table = OpRow.__table__  # type: ignore[attr-defined]
_CARDS: Table = CardRow.__table__  # type: ignore[attr-defined]
_STATES: Table = MeetingStateRow.__table__  # type: ignore[attr-defined]
_SESSIONS: Table = SessionRow.__table__  # type: ignore[attr-defined]
_PARTICIPANTS: Table = ParticipantRow.__table__  # type: ignore[attr-defined]
_THIS_OP_ID = (_OPS.c.meeting_id == bindparam("b_meeting"), _OPS.c.op_id == bindparam("b_op_id"))
# The op's seq reserved, and whether its op id is taken, in one statement: on PostgreSQL each statement is a round
# trip, and an op alone in its transaction is only four more (BEGIN, the op, its card, COMMIT). A taken op id rolls
# the reservation back with the op's savepoint.
_RESERVE_SEQ = Prepared(
    update(_MEETINGS)
    .where(_MEETINGS.c.id == bindparam("b_meeting"))
    .values(last_seq=_MEETINGS.c.last_seq + 1)
    .returning(
        _MEETINGS.c.last_seq,
        _MEETINGS.c.status,
        select(_OPS.c.seq).where(*_THIS_OP_ID).scalar_subquery().label("taken"),
    )
)
_EARLIER_OP = select(_OPS).where(*_THIS_OP_ID)
_INSERT_CARD = Prepared(insert(_CARDS).values(meeting_id=bindparam("b_meeting"), id=bindparam("b_id"), **CARD_VALUES))
_THIS_CARD = (_CARDS.c.meeting_id == bindparam("b_meeting"), _CARDS.c.id == bindparam("b_id"))
_UPDATE_CARD = Prepared(update(_CARDS).where(*_THIS_CARD).values(**CARD_VALUES))
_DELETE_CARD = Prepared(delete(_CARDS).where(*_THIS_CARD))
_SHIFT = Prepared(update(_CARDS).where(*_THIS_CARD).values(position=bindparam("b_position")))
_UPDATE_STATE = Prepared(
    update(_STATES).where(_STATES.c.meeting_id == bindparam("b_meeting")).values(state=bindparam("b_state"))
)
_PROJECTION_STATEMENTS = {
    "state": _UPDATE_STATE,
    "delete": _DELETE_CARD,
    "insert": _INSERT_CARD,
    "update": _UPDATE_CARD,
}
_OP_HASH = select(_OPS.c.hash).where(_OPS.c.meeting_id == bindparam("b_meeting"), _OPS.c.seq == bindparam("b_seq"))
_GENESIS = select(*(_MEETINGS.c[name] for name in GENESIS_FIELDS)).where(_MEETINGS.c.id == bindparam("b_meeting"))
_FINALISED = (
    update(_MEETINGS)
    .where(_MEETINGS.c.id == bindparam("b_meeting"))
    .values(status="finalised", finalised_at=bindparam("b_at"))
)
_WATCHERS_END = (
    update(_SESSIONS)
    .where(
        _SESSIONS.c.meeting_id == bindparam("b_meeting"),
        _SESSIONS.c.participant_id.in_(
            select(_PARTICIPANTS.c.id).where(
                _PARTICIPANTS.c.meeting_id == bindparam("b_meeting"),
                _PARTICIPANTS.c.role.in_([Role.family.value, Role.projector.value]),
            )
        ),
        _SESSIONS.c.expires_at > bindparam("b_until"),
    )
    .values(expires_at=bindparam("b_until"))
)
