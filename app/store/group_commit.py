"""Group commit: the writes waiting at one moment committed together in one transaction, each answered only after
the commit that holds it. The op log groups ops (all of SQLite's; one meeting's on PostgreSQL), and
`Database.grouped` groups small writes that come in storms (sign-ins).

A group's transaction runs each write in its own savepoint (the statements below), so a write the rules or a
constraint refuse is rolled back alone; a failure of the database itself fails the whole group.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from app.store.prepared import Prepared

# Each write's savepoint as plain statements on the group's connection: session.begin_nested() compiles a statement
# and builds a transaction object per call, measured at 0.3 ms an op, a sixth of an op's work in a group; through
# exec_driver_sql each still cost SQLAlchemy's execution path, two to three percent of the server's time under
# load. They run prepared, on the driver's cursor. The statements are the same on SQLite and PostgreSQL; the name
# may repeat, since each is released before the next.
SAVEPOINT, RELEASE, ROLLBACK_TO = (
    Prepared(text(sql)) for sql in ("SAVEPOINT write", "RELEASE SAVEPOINT write", "ROLLBACK TO SAVEPOINT write")
)


class Waiting(Protocol):
    """A write given to a group commit, with the future its caller awaits, and what to call in the very turn of the
    event loop it is answered in, if anything (a future's own callbacks and awaiters run a turn later)."""

    @property
    def answer(self) -> asyncio.Future[Any]: ...

    @property
    def then(self) -> Callable[[], None] | None: ...


W = TypeVar("W", bound=Waiting)


def is_database_trouble(failure: Exception) -> bool:
    """A failure that is the database's, not the write's (connection lost, disk full, lock timeout): it fails the
    whole group, since the next write would only meet it again. A constraint or a value the database refused
    (IntegrityError, DataError) belongs to that write alone, like a refusal of the rules."""
    return isinstance(failure, DBAPIError) and not isinstance(failure, IntegrityError | DataError)


async def commit_in_groups(
    queue: deque[W], max_group: int, commit: Callable[[list[W]], Awaitable[Sequence[object]]]
) -> None:
    """Commit what waits in `queue`, at most `max_group` at a time, until it is empty. `commit` runs one group's
    transaction and returns each write's outcome, in order (an exception: that write's own refusal); if it raises,
    nothing of the group was saved and each of its writes is answered with that failure.

    A write whose caller went away before it was taken is not written; one whose caller went away after it was
    taken stands (a resend finds it). Stopped (the server shutting down), what is not answered is cancelled."""
    group: list[W] = []
    try:
        while queue:
            group = take_group(queue, max_group)
            if not group:
                continue
            try:
                outcomes: Sequence[object] = await commit(group)
            except Exception as failure:
                outcomes = [failure] * len(group)
            answer_group(group, outcomes)
            group = []
    finally:
        for waiting in [*group, *queue]:
            waiting.answer.cancel()
        queue.clear()


def take_group(queue: deque[W], max_group: int) -> list[W]:
    """The next group: up to `max_group` writes from the front of `queue`, leaving out those whose caller went away
    (an empty group when every write left was such)."""
    group: list[W] = []
    while queue and len(group) < max_group:
        waiting = queue.popleft()
        if not waiting.answer.done():
            group.append(waiting)
    return group


def answer_group(group: Sequence[W], outcomes: Sequence[object]) -> None:
    """Answer each write of a committed (or failed) group with its outcome, in order (an exception as a failure),
    and call its `then` as soon as it is answered."""
    for waiting, outcome in zip(group, outcomes, strict=True):
        if waiting.answer.done():
            continue
        if isinstance(outcome, Exception):
            waiting.answer.set_exception(outcome)
        else:
            waiting.answer.set_result(outcome)
        if waiting.then is not None:
            waiting.then()
