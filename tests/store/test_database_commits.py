"""SQLite's group writes run on the event loop's thread and only their COMMIT on the writer thread
(`Database.transaction_committed_apart`): once the statements have run, the COMMIT must run whatever becomes of the
caller, or the transaction would keep the database's one write lock for ever."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.store.database import Database


def add_line(session: Session) -> None:
    session.execute(text("CREATE TABLE IF NOT EXISTS lines (words TEXT)"))
    session.execute(text("INSERT INTO lines VALUES ('written before the caller went')"))


def add_the_next(session: Session) -> None:
    session.execute(text("INSERT INTO lines VALUES ('the next')"))
    session.commit()


@pytest.mark.asyncio
async def test_a_write_whose_caller_is_cancelled_before_its_commit_runs_is_committed_all_the_same(
    sqlite_url: str,
) -> None:
    db = Database(sqlite_url)
    await db.run_migrations()
    try:
        # Something else keeps the writer thread busy for a moment, so the COMMIT waits in its queue. (Given
        # straight to the thread: a job given through the database would send the write itself to the thread.)
        go_on = threading.Event()
        assert db._sqlite_writer_thread is not None
        db._sqlite_writer_thread.submit(go_on.wait, 10.0)
        write = asyncio.ensure_future(db.transaction_committed_apart(add_line))
        await asyncio.sleep(0)  # its statements run here, then it waits for its COMMIT
        assert not write.done()
        write.cancel()  # the caller goes (a connection closed, the server stopping)
        with pytest.raises(asyncio.CancelledError):
            await write
        go_on.set()
        # The next write waits its turn behind the COMMIT on the one writer thread, and takes the write lock.
        await db.transaction(add_the_next)
        lines = await db.snapshot(lambda session: session.execute(text("SELECT words FROM lines")).scalars().all())
        assert lines == ["written before the caller went", "the next"]
    finally:
        await db.dispose()
