"""SQLite's one-statement reads (a session by its token, at every connect and every signed-in request) run on the
event loop's thread, where they must never wait: a read SQLite cannot start at once goes to a reader thread."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from app.store.database import Database
from app.store.meetings import Meetings


@pytest.mark.asyncio
async def test_a_read_while_another_process_holds_the_database_waits_without_stopping_the_server(
    sqlite_url: str,
) -> None:
    first = Database(sqlite_url)
    await first.run_migrations()
    signed_in, _ = await Meetings(first, session_hours=8).create("Review conference", "Chair")
    await first.dispose()
    # Another process (a backup, a repair) has the file to itself: no reader can start until it lets go.
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    db = Database(sqlite_url)
    try:
        read = asyncio.create_task(
            Meetings(db, session_hours=8).signed_in(signed_in.meeting.id, signed_in.session_token)
        )
        longest_turn = 0.0
        for _ in range(50):  # the event loop keeps turning (every other connection served) while the read waits
            before = time.monotonic()
            await asyncio.sleep(0)
            longest_turn = max(longest_turn, time.monotonic() - before)
        assert not read.done(), "nothing can be read while the other process holds the file"
        assert longest_turn < 1.0, f"the event loop stood still {longest_turn:.1f} s waiting for the lock"
        holder.execute("COMMIT")
        holder.close()
        participant = await asyncio.wait_for(read, timeout=10)
        assert participant.id == signed_in.participant.id
    finally:
        holder.close()
        await db.dispose()
