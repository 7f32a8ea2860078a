"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL tests fail (never skip) when the server is down. The PostgreSQL database is shared by the session, so
tests isolate themselves by creating their own meetings (meeting ids are random).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog

from ._support import Room, new_room


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_database"))


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        await database.run_migrations()
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def oplog(db: Database) -> OpLog:
    # Some store tests send 200 ops at once from one process to test ordering, more than the server's queue bound
    # lets wait; pushing back past that bound is tested on its own (test_group_commit.py). Those tests still resend
    # after `busy` (commit_as_a_client): the other bounds (the loop's lag, the oldest op's wait) may refuse part of a
    # burst on a loaded machine.
    return OpLog(db, max_waiting=1_000)


@pytest.fixture
def meetings(db: Database) -> Meetings:
    return Meetings(db, session_hours=8)


@pytest_asyncio.fixture
async def room(db: Database) -> Room:
    return await new_room(db)
