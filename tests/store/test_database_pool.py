"""PostgreSQL's pool: a connection cut while it sat idle (a database restart, a dropped network) is found out and
replaced before anyone's request uses it; a busy connection is not pinged on every use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.store import database
from app.store.database import Database
from tests.conftest import postgres_admin

pytestmark = pytest.mark.postgres


@pytest_asyncio.fixture
async def pooled(private_database: str) -> AsyncIterator[tuple[Database, str]]:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{private_database}")
    assert await answer(db) == 1  # one connection made, used and back in the pool
    yield db, private_database
    await db.dispose()


async def answer(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(text("SELECT 1"))).scalar_one())


async def cut_every_connection(name: str) -> None:
    await postgres_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


@pytest.mark.asyncio
async def test_a_connection_cut_while_idle_is_replaced_before_the_next_request_uses_it(
    pooled: tuple[Database, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, name = pooled
    monkeypatch.setattr(database, "IDLE_BEFORE_PING_SECONDS", 0.0)  # idle long enough: the test need not wait
    await cut_every_connection(name)
    assert await answer(db) == 1


@pytest.mark.asyncio
async def test_a_connection_in_use_is_not_pinged_so_a_cut_one_fails_its_request(
    pooled: tuple[Database, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the rule, and what makes the test above mean something: not idle long, not pinged."""
    db, name = pooled
    monkeypatch.setattr(database, "IDLE_BEFORE_PING_SECONDS", 3600.0)
    await cut_every_connection(name)
    with pytest.raises(DBAPIError):
        await answer(db)
    assert await answer(db) == 1  # the failure threw the pool's connections away: the next request is served


@pytest.mark.asyncio
async def test_a_connection_lent_for_a_statement_alone_comes_back_to_transactions_that_roll_back(
    pooled: tuple[Database, str],
) -> None:
    """An op written as one statement runs on a pooled connection in autocommit; the next transaction on that same
    connection must be a transaction again, or a refused op's reserved seq would stay committed (a gap in the log)."""
    db, _name = pooled
    await db.alone(lambda connection: connection.exec_driver_sql("CREATE TABLE probe (n integer)"))
    lent_to = await db.alone(lambda connection: connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())

    def refused(session: Session) -> int:
        session.execute(text("INSERT INTO probe VALUES (1)"))
        backend = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        session.rollback()
        return backend

    assert await db.transaction(refused) == lent_to, "the same pooled connection"
    kept = await db.alone(lambda connection: connection.exec_driver_sql("SELECT count(*) FROM probe").scalar())
    assert kept == 0
