"""Migrations build the schema on an empty database, are safe to run again on every start, and SQLite is opened
in the durable mode the design promises (WAL, synchronous=FULL, foreign keys enforced)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.database import Database
from app.store.meetings import Meetings
from tests.conftest import POSTGRES_ADMIN_DSN, ROOT, postgres_admin

pytestmark = pytest.mark.asyncio

TABLES = {
    "meetings",
    "participants",
    "invites",
    "sessions",
    "ops",
    "cards",
    "meeting_states",
    "audit_events",
    "room_codes",
    "lobby_entries",
}
HEAD = "0004"


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A brand-new PostgreSQL database for one test (the shared one already has the schema)."""
    name = f"sos_empty_{uuid.uuid4().hex[:10]}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "empty_postgres_url"))


@pytest_asyncio.fixture
async def empty_db(empty_url: str) -> AsyncIterator[Database]:
    database = Database(empty_url)
    try:
        yield database
    finally:
        await database.dispose()


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _revision(db: Database) -> list[str]:
    async with db.engine.connect() as connection:
        return [row[0] for row in await connection.execute(text("SELECT version_num FROM alembic_version"))]


def _schema(sync: Connection) -> dict[str, tuple[list[tuple[str, str, bool]], list[str], list[str]]]:
    inspector = inspect(sync)
    return {
        table: (
            sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)),
            sorted(str(ix["name"]) for ix in inspector.get_indexes(table)),
            sorted(str(uq["name"]) for uq in inspector.get_unique_constraints(table)),
        )
        for table in sorted(inspector.get_table_names())
    }


async def test_migrations_create_every_table_on_an_empty_database(empty_db: Database) -> None:
    assert await _tables(empty_db) == set()

    await empty_db.run_migrations()

    assert await _tables(empty_db) == {*TABLES, "alembic_version"}
    assert await _revision(empty_db) == [HEAD]
    async with empty_db.engine.connect() as connection:
        schema = await connection.run_sync(_schema)
    ops_columns = {name for name, _type, _nullable in schema["ops"][0]}
    assert {"meeting_id", "seq", "op_id", "actor_id", "role", "type", "card_id", "payload", "created_at"} <= ops_columns
    assert "uq_ops_meeting_op_id" in schema["ops"][2], "a resent op id can never be logged twice"
    assert "ix_cards_meeting_column_position" in schema["cards"][1]
    assert {"ix_room_codes_code_hash"} <= set(schema["room_codes"][1]) | set(schema["room_codes"][2])
    assert "ix_lobby_entries_token_hash" in schema["lobby_entries"][1], "a lobby token is looked up by its hash"
    # The app works on the fresh schema straight away.
    signed_in, _ = await Meetings(empty_db, session_hours=8).create("First meeting", "Chair")
    assert (await Meetings(empty_db, session_hours=8).get(signed_in.meeting.id)).title == "First meeting"


async def test_running_migrations_again_changes_nothing_and_keeps_the_data(empty_db: Database) -> None:
    await empty_db.run_migrations()
    async with empty_db.engine.connect() as connection:
        schema = await connection.run_sync(_schema)
    meetings = Meetings(empty_db, session_hours=8)
    signed_in, _ = await meetings.create("Kept across restarts", "Chair")

    await empty_db.run_migrations()
    await empty_db.run_migrations()

    async with empty_db.engine.connect() as connection:
        assert await connection.run_sync(_schema) == schema
    assert await _revision(empty_db) == [HEAD]
    assert (await meetings.get(signed_in.meeting.id)).title == "Kept across restarts"


async def test_a_second_process_starting_on_the_same_database_migrates_as_a_no_op(empty_url: str) -> None:
    first, second = Database(empty_url), Database(empty_url)
    try:
        await first.run_migrations()
        signed_in, _ = await Meetings(first, session_hours=8).create("Shared", "Chair")
        await second.run_migrations()
        assert await _revision(second) == [HEAD]
        assert (await Meetings(second, session_hours=8).get(signed_in.meeting.id)).title == "Shared"
    finally:
        await first.dispose()
        await second.dispose()


_MIGRATE = (
    "import asyncio, sys; from app.store.database import Database; db = Database(sys.argv[1]); "
    "asyncio.run(db.run_migrations()); asyncio.run(db.dispose())"
)


@pytest.mark.postgres
async def test_two_processes_migrating_an_empty_postgres_at_once_both_succeed(empty_postgres_url: str) -> None:
    """Two app processes started together: the advisory lock lets one create the schema, the other finds it.
    (Real processes: Alembic's context is module-global, so two migrations in one process cannot overlap.)"""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _MIGRATE, empty_postgres_url, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    for process in processes:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, stderr.decode()
    db = Database(empty_postgres_url)
    try:
        assert await _tables(db) == {*TABLES, "alembic_version"}
        assert await _revision(db) == [HEAD]
    finally:
        await db.dispose()


PRAGMAS = ("journal_mode", "synchronous", "foreign_keys")


async def _pragma(db: Database, name: str) -> object:
    async with db.engine.connect() as connection:
        return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()


async def test_sqlite_is_durable_wal_with_foreign_keys(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        await db.run_migrations()
        # Ask several pooled connections, not just the first one opened.
        for _ in range(3):
            assert str(await _pragma(db, "journal_mode")).lower() == "wal"
            assert await _pragma(db, "synchronous") == 2, "synchronous=FULL: an acked op survives a power cut"
            assert await _pragma(db, "foreign_keys") == 1
        # The writer thread's connection, which every write goes through, is configured the same way.
        writer = await db.transaction(
            lambda session: [session.execute(text(f"PRAGMA {name}")).scalar_one() for name in PRAGMAS]
        )
        assert [str(writer[0]).lower(), *writer[1:]] == ["wal", 2, 1]
        async with db.engine.connect() as one, db.engine.connect() as other:
            for connection in (one, other):
                assert (await connection.exec_driver_sql("PRAGMA synchronous")).scalar_one() == 2
                assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        await db.dispose()


async def test_sqlite_refuses_rows_that_point_at_no_meeting(sqlite_url: str) -> None:
    """Foreign keys are not just switched on in a PRAGMA: the database actually enforces them."""
    db = Database(sqlite_url)
    try:
        await db.run_migrations()

        def orphan(session: Session) -> None:
            session.execute(
                text(
                    "INSERT INTO participants (id, meeting_id, role, display_name, created_at) "
                    "VALUES ('p1', 'no-such-meeting', 'chair', 'Chair', CURRENT_TIMESTAMP)"
                )
            )
            session.commit()

        with pytest.raises(IntegrityError):
            await db.transaction(orphan)
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_postgres_commits_synchronously_whatever_the_server_default(postgres_database: str) -> None:
    """An ack is sent after the commit; with synchronous_commit off a crash could still lose that op."""
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    name = postgres_database.rsplit("/", 1)[1]
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        db = Database(postgres_database)
        try:
            setting = await db.transaction(
                lambda session: session.execute(text("SHOW synchronous_commit")).scalar_one()
            )
            assert setting == "on"
        finally:
            await db.dispose()
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" RESET synchronous_commit')
        await admin.close()
