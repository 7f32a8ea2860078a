"""Real ways to make a database hold or refuse the op log's writes, so a test can line ops up into one group, or
see a group's COMMIT fail, without mocking the database.

- `writes_held`: while inside, the op log cannot write to the meeting. On SQLite the process's one writer thread
  is busy in another transaction; on PostgreSQL another connection holds the meeting's row lock. Ops committed
  meanwhile wait, and are taken together into the next group when the writes are let go.
- `insert_refuser`: the database refuses one op's INSERT (a trigger raising a constraint error) in the middle
  of its group, which must take only that op with it (on PostgreSQL the transaction is aborted until the op's
  savepoint is rolled back).
- `commit_breaker`: a check the database makes only at COMMIT (a deferred foreign key on SQLite, a deferred
  constraint trigger on PostgreSQL) that fails when an op's payload holds a marker. The statements of every op
  succeed; the group's COMMIT is refused by the database itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.store.database import Database
from app.store.tables import MeetingRow

WAIT = 10.0


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for a condition another task makes true."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def writes_held(db: Database, meeting_id: str) -> AsyncIterator[None]:
    if db.is_sqlite:
        holding, release = threading.Event(), threading.Event()

        def hold(_session: Session) -> None:
            holding.set()
            release.wait(WAIT)

        blocker = asyncio.ensure_future(db.transaction(hold))
        try:
            await asyncio.get_running_loop().run_in_executor(None, holding.wait, WAIT)
            assert holding.is_set(), "the writer thread never took the blocking transaction"
            yield
        finally:
            release.set()
            await blocker
        return
    meetings = MeetingRow.__table__  # type: ignore[attr-defined]
    async with db.engine.connect() as connection:
        await connection.execute(select(meetings.c.id).where(meetings.c.id == meeting_id).with_for_update())
        try:
            yield
        finally:
            await connection.rollback()


@contextlib.asynccontextmanager
async def commit_breaker(db: Database) -> AsyncIterator[str]:
    """Yields the marker: a group holding an op whose text contains it cannot commit."""
    async with _breaker(db, at_commit=True) as marker:
        yield marker


@contextlib.asynccontextmanager
async def insert_refuser(db: Database) -> AsyncIterator[str]:
    """Yields the marker: the database refuses the INSERT of an op whose text contains it, as a constraint would
    (IntegrityError), in the middle of its group's transaction."""
    async with _breaker(db, at_commit=False) as marker:
        yield marker


@contextlib.asynccontextmanager
async def _breaker(db: Database, at_commit: bool) -> AsyncIterator[str]:
    marker = f"BREAK-{uuid.uuid4().hex[:12]}"
    name = marker.replace("-", "_").lower()
    if not at_commit:
        install, remove = _refuse_insert(db, marker, name)
    elif db.is_sqlite:
        install = [
            f"CREATE TABLE {name}_parent (id TEXT PRIMARY KEY)",
            f"CREATE TABLE {name} (ref TEXT REFERENCES {name}_parent (id) DEFERRABLE INITIALLY DEFERRED)",
            f"CREATE TRIGGER {name}_on_ops AFTER INSERT ON ops WHEN NEW.payload LIKE '%{marker}%' "
            f"BEGIN INSERT INTO {name} (ref) VALUES ('nowhere'); END",
        ]
        remove = [f"DROP TRIGGER {name}_on_ops", f"DROP TABLE {name}", f"DROP TABLE {name}_parent"]
    else:
        install = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$",
            f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT ON ops DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"WHEN (NEW.payload LIKE '%{marker}%') EXECUTE FUNCTION {name}()",
        ]
        remove = [f"DROP TRIGGER {name} ON ops", f"DROP FUNCTION {name}()"]

    def run(statements: list[str]) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            for statement in statements:
                session.execute(text(statement))
            session.commit()

        return work

    await db.transaction(run(install))
    try:
        yield marker
    finally:
        await db.transaction(run(remove))


def _refuse_insert(db: Database, marker: str, name: str) -> tuple[list[str], list[str]]:
    if db.is_sqlite:
        install = [
            f"CREATE TRIGGER {name} BEFORE INSERT ON ops WHEN NEW.payload LIKE '%{marker}%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
        return install, [f"DROP TRIGGER {name}"]
    install = [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; END $$",
        f"CREATE TRIGGER {name} BEFORE INSERT ON ops FOR EACH ROW "
        f"WHEN (NEW.payload LIKE '%{marker}%') EXECUTE FUNCTION {name}()",
    ]
    return install, [f"DROP TRIGGER {name} ON ops", f"DROP FUNCTION {name}()"]
