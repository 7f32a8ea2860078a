"""The engine, its transactions, and migrations on start.

SQLite (the embedded default) runs in WAL mode with synchronous=FULL, so an acknowledged op survives a power cut.
SQLite has one writer: writes queue in-process instead of polling SQLite's busy handler, which sleeps in steps
of up to 100 ms. PostgreSQL needs no such queue: the meeting row lock orders writers across processes.

`transaction(work)` runs a whole write transaction, written once as plain synchronous SQLAlchemy: on SQLite in
one hop to a dedicated writer thread (through aiosqlite every statement would be several hops through the event
loop, which the benchmark measured as 10-20x the cost of the commit itself); on PostgreSQL through asyncpg.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from app.store.group_commit import RELEASE, ROLLBACK_TO, SAVEPOINT, commit_in_groups, is_database_trouble

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

T = TypeVar("T")
SQLITE_READER_THREADS = 2
"""Threads that run `snapshot` reads on SQLite: reads of several connects overlap while one waits for the disk."""
POOL_CONNECTIONS = 20
"""PostgreSQL connections a process keeps in its pool, and the most it opens: four processes stay under the
server's default limit of 100."""
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite write waits for the write lock another process holds, on the writer thread."""
MAX_GROUPED_WRITES = 64
"""Small writes (`grouped`) committed in one transaction at most, as the op log's groups."""


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._sqlite_writer_engine: Engine | None = None
        self._sqlite_writer_thread: ThreadPoolExecutor | None = None
        self._sqlite_writer_last: Future[Any] | None = None
        """The last job given to the writer thread: while it is not done, the writer's connection is its."""
        self._sqlite_reader_engine: Engine | None = None
        self._sqlite_reader_threads: ThreadPoolExecutor | None = None
        self._sqlite_reader_here: Engine | None = None
        """For `read_alone` on the event loop's thread: its connections never wait for a lock."""
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
            _configure_sqlite(self.engine.sync_engine)
            self._sqlite_writer_engine = _sqlite_engine(url)
            event.listen(self._sqlite_writer_engine, "reset", _end_a_refused_commit)
            self._sqlite_writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
            # WAL readers never wait for the writer, nor it for them.
            self._sqlite_reader_engine = _sqlite_engine(url)
            self._sqlite_reader_threads = ThreadPoolExecutor(
                max_workers=SQLITE_READER_THREADS, thread_name_prefix="sqlite-reader"
            )
            self._sqlite_reader_here = _sqlite_engine(url, busy_timeout_ms=0)
        else:
            # Whatever the server's default, an acknowledged op must have reached the disk (and any sync replica).
            # Twenty connections kept, none made past them: with an overflow (10 kept, 10 more made when needed) a
            # connect storm made and closed connections all the while, each one a TLS attempt, a sign-in and its
            # settings on PostgreSQL; 4,000 sockets connecting to one process took 21-32 s that way, 14-22 s this way.
            self.engine = create_async_engine(
                url,
                pool_size=POOL_CONNECTIONS,
                max_overflow=0,
                connect_args={"server_settings": {"synchronous_commit": "on"}},
                hide_parameters=True,  # a failed statement's message holds no names or words (app/log_privacy.py)
            )
            _ping_after_idle(self.engine.sync_engine)
        # The same pool, its connections lent without a transaction around what they run (see `alone`).
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._grouped: deque[_GroupedWrite] = deque()
        self._grouped_committer: asyncio.Task[None] | None = None
        self._grouped_waiting = 0

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction that sees one consistent snapshot."""
        async with self._sessions() as session:
            if not self.is_sqlite:
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    async def snapshot(self, work: Callable[[Session], T]) -> T:
        """Run `work`, plain synchronous SQLAlchemy that only reads, in one read transaction that sees one
        consistent snapshot: on SQLite in one hop to a reader thread (every connect reads the session, the meeting,
        its people; through aiosqlite each statement was several hops through the event loop); on PostgreSQL at
        REPEATABLE READ through asyncpg."""
        if self._sqlite_reader_threads is not None:
            # Leaving the session rolls back: nothing read here is ever written.
            return await asyncio.get_running_loop().run_in_executor(
                self._sqlite_reader_threads, _in_session, self._sqlite_reader_engine, work
            )
        async with self.read() as session:
            return await session.run_sync(work)

    async def transaction(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one write transaction; `work` commits, and leaving without a commit rolls back."""
        if self._sqlite_writer_thread is not None:
            return await self._writer_job(_in_session, self._sqlite_writer_engine, work)
        async with self._sessions() as session:
            return await session.run_sync(work)

    async def transaction_committed_apart(self, work: Callable[[Session], T]) -> T:
        """Run `work`, which writes and does not commit, in one write transaction, and commit it: on SQLite as
        `commit_apart_then` does; elsewhere in a transaction of its own. Cancelling the caller leaves the commit to
        run once the statements have: cancelled before the thread took it, the COMMIT would never run and the
        transaction would keep SQLite's one write lock."""
        if self._sqlite_writer_thread is None:
            return await self.transaction(functools.partial(_commit_alone, work))
        answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def settle(outcome: Callable[[], T]) -> None:
            if answer.done():  # the caller went away: nobody is left to tell
                return
            try:
                answer.set_result(outcome())
            except Exception as failure:
                answer.set_exception(failure)

        self.commit_apart_then(work, settle)
        return await answer

    def commit_apart_then(self, work: Callable[[Session], T], then: Callable[[Callable[[], T]], None]) -> None:
        """SQLite: run `work`, which writes and does not commit, in one write transaction, commit it, and call `then`
        on the event loop's thread with its outcome (a function that returns what `work` returned, or raises what
        failed). While the writer thread has nothing to do, `work` runs here on the event loop's thread and only the
        COMMIT (the fsync) on the writer thread; otherwise all of it there, after what it is doing, as `transaction`.

        Why the event loop's thread: the `sqlite3` module gives up the interpreter lock around each statement, and
        the writer thread must get it back to go on, which takes up to a switch interval (5 ms) while the event
        loop's thread is busy. Past a process's capacity a group of a few ops, a dozen such waits, took 150-760 ms
        on the writer thread (a slow machine, bench.compare's A). The work between the statements is Python either
        way, so on the loop's thread it costs the same CPU; only the COMMIT, which waits for the disk, is worth a
        thread of its own. The statements touch pages SQLite holds in memory; the disk is written at COMMIT.

        Why a callback and not an awaited future: `then` runs in the very turn of the event loop that learns the
        COMMIT's end, where an awaiting task resumes a turn later (two, through `asyncio.wrap_future`); past a
        process's capacity a turn of its loop takes 25-35 ms (bench.compare's C), and every group of ops waits for
        its COMMIT this way."""
        assert self._sqlite_writer_thread is not None
        loop = asyncio.get_running_loop()
        session = self._session_holding_the_write_lock()
        if session is None:
            whole = self._submit_to_writer(
                _in_session, self._sqlite_writer_engine, functools.partial(_commit_alone, work)
            )
            _when_done_on_the_loop(loop, whole, lambda: then(whole.result))
            return
        try:
            result = work(session)
        except Exception as failure:
            session.close()
            loop.call_soon(then, failed(failure))
            return
        except BaseException:
            session.close()
            raise
        # Given to the writer thread before anything else can be (a write given after it would wait on this
        # transaction's lock), and never cancelled: once the statements have run, the COMMIT must.
        committing = self._submit_to_writer(_commit_and_close, session)

        def committed() -> T:
            committing.result()
            return result

        _when_done_on_the_loop(loop, committing, lambda: then(committed))

    def _session_holding_the_write_lock(self) -> Session | None:
        """On SQLite, a session of the writer's engine for this thread, its transaction begun holding the write
        lock; None while the writer thread has a job (the connection is its) or another process holds the lock
        (wait for it on the writer thread, never here)."""
        last = self._sqlite_writer_last
        if self._sqlite_writer_thread is None or (last is not None and not last.done()):
            return None
        # The writer thread has finished every job it was given (one thread: the last done, all done), and none can
        # be given it before this returns to the loop: the connection is this transaction's alone until then.
        session = Session(self._sqlite_writer_engine, expire_on_commit=False)
        try:
            session.connection(execution_options={_WRITE_LOCK_AT_ONCE: True})
        except WriteLockTaken:
            session.close()
            return None
        return session

    def _writer_job(self, job: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`job` given to the writer thread now, after every job given before it (cancelled with the future, if the
        thread has not begun it)."""
        return asyncio.wrap_future(self._submit_to_writer(job, *args))

    def _submit_to_writer(self, job: Callable[..., T], *args: Any) -> Future[T]:
        assert self._sqlite_writer_thread is not None
        submitted = self._sqlite_writer_last = self._sqlite_writer_thread.submit(job, *args)
        return submitted

    async def alone(self, work: Callable[[Connection], T]) -> T:
        """PostgreSQL only: run `work`, a single statement, on a connection in autocommit, so the statement is its
        own transaction, committed (and flushed, as `synchronous_commit` is on) before this returns: one round trip,
        where BEGIN and COMMIT around it would be two more."""
        if self.is_sqlite:
            raise RuntimeError("a statement alone is for PostgreSQL: SQLite's writes go through its writer thread")
        async with self._autocommit.connect() as connection:
            return await connection.run_sync(work)

    async def read_alone(self, work: Callable[[Connection], T]) -> T:
        """Run `work`, a read of one statement (which sees one consistent snapshot by itself) run through
        app/store/prepared.py: on SQLite on the event loop's thread, in autocommit; on PostgreSQL in autocommit,
        one round trip where a REPEATABLE READ transaction around it would add three.

        Why on the loop's thread: such a read (a session by its token's hash, at every connect and every request
        signed in) takes SQLite about 50 us; handed to a reader thread in a session of its own it cost the process
        600-750 us of CPU (the hop there and back, the session, BEGIN and ROLLBACK, the interpreter lock passed
        between threads). A WAL reader never waits for the writer, and this one never waits at all: in the rare
        moments SQLite cannot give a reader a snapshot at once (another process opening the database after a crash,
        or holding it in exclusive mode) the read goes to a reader thread, which waits there."""
        if self._sqlite_reader_here is not None:
            try:
                with self._sqlite_reader_here.connect() as connection:
                    return work(connection)
            except (OperationalError, sqlite3.OperationalError) as failure:
                if not _is_sqlite_busy(failure):
                    raise
            return await self.snapshot(lambda session: work(session.connection()))
        return await self.alone(work)

    async def grouped(self, work: Callable[[Session], T]) -> T:
        """Run `work`, a small write in Core statements that does not commit, and commit it: on SQLite together
        with the other such writes waiting at that moment, each in its own savepoint (one that fails rolls back
        alone and raises here), in one transaction and one fsync; elsewhere in a transaction of its own. Returns
        only after the commit that holds it. For writes that come in storms (sign-ins when a room fills up), which
        one at a time would each be a transaction on SQLite's one writer."""
        if self._sqlite_writer_thread is None:
            return await self.transaction(functools.partial(_commit_alone, work))
        answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._grouped.append(_GroupedWrite(work, answer))
        self._grouped_waiting += 1
        answer.add_done_callback(self._grouped_answered)
        if self._grouped_committer is None:
            self._grouped_committer = asyncio.create_task(self._commit_grouped(), name="db-grouped-commit")
        return await answer

    @property
    def grouped_waiting(self) -> int:
        """Writes given to `grouped` and not yet answered (waiting for a group, or in the one being committed)."""
        return self._grouped_waiting

    def _grouped_answered(self, _answer: asyncio.Future[Any]) -> None:
        self._grouped_waiting -= 1

    async def _commit_grouped(self) -> None:
        try:
            await commit_in_groups(self._grouped, MAX_GROUPED_WRITES, self._commit_group)
        finally:
            self._grouped_committer = None

    async def _commit_group(self, group: list[_GroupedWrite]) -> list[Any]:
        return await self.transaction(functools.partial(_commit_group, [write.work for write in group]))

    async def run_migrations(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade_to_head)

    async def dispose(self) -> None:
        if self._sqlite_writer_thread is not None and self._sqlite_writer_engine is not None:
            await self._writer_job(self._sqlite_writer_engine.dispose)
            self._sqlite_writer_thread.shutdown()
        if self._sqlite_reader_threads is not None and self._sqlite_reader_engine is not None:
            self._sqlite_reader_threads.shutdown()
            self._sqlite_reader_engine.dispose()
        if self._sqlite_reader_here is not None:
            self._sqlite_reader_here.dispose()
        await self.engine.dispose()


@dataclass(slots=True)
class _GroupedWrite:
    work: Callable[[Session], Any]
    answer: asyncio.Future[Any]
    then: None = None


def _in_session(engine: Engine | None, work: Callable[[Session], T]) -> T:
    """`work` in a session of `engine`, on the thread that calls this (a SQLite reader or the writer)."""
    with Session(engine, expire_on_commit=False) as session:
        return work(session)


def _commit_and_close(session: Session) -> None:
    """On the writer thread: the COMMIT of a transaction written on the event loop's thread; the session closed
    whatever happens (a refused COMMIT is rolled back as the connection goes back to the pool)."""
    with session:
        session.commit()


def _commit_alone(work: Callable[[Session], T], session: Session) -> T:
    result = work(session)
    session.commit()
    return result


def _commit_group(works: list[Callable[[Session], Any]], session: Session) -> list[Any]:
    """Each write in its own savepoint, then one commit: what a write raised is its outcome, and it is rolled back
    alone. A failure of the database itself (not a refusal or a constraint of that write) fails them all."""
    connection = session.connection()
    outcomes: list[Any] = []
    for work in works:
        SAVEPOINT.run(connection, {})
        try:
            outcome = work(session)
        except Exception as failure:
            if is_database_trouble(failure):
                raise
            ROLLBACK_TO.run(connection, {})
            session.expunge_all()  # nothing the write may have left in the session outlives its savepoint
            outcome = failure
        RELEASE.run(connection, {})
        outcomes.append(outcome)
    session.commit()
    return outcomes


def _upgrade_to_head(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _end_a_refused_commit(dbapi_connection: Any, _record: Any, _state: Any) -> None:
    """A COMMIT that SQLite refused (a full disk, a failed I/O, a deferred constraint) leaves its transaction open
    and the write lock held, while SQLAlchemy believes it ended and skips its rollback as the connection goes back
    to the pool: the writer's next transaction (other people's ops) would then fail on BEGIN. End it here."""
    if dbapi_connection.in_transaction:
        dbapi_connection.rollback()


IDLE_BEFORE_PING_SECONDS = 5.0
"""A pooled PostgreSQL connection left unused this long is pinged before it is used again: the server may have
restarted, or the network dropped it, meanwhile. A busy server's connections are never idle that long, so an op's
commit pays nothing for it; SQLAlchemy's pool_pre_ping pinged on every use (BEGIN, a query, ROLLBACK: three round
trips), about 5% of the CPU of two processes on PostgreSQL and a sixth of B's p99."""


def _ping_after_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as failure:
            # The pool throws this connection away and checks out another (a new one, if all were cut).
            raise DisconnectionError("a pooled connection went away while idle") from failure


def _when_done_on_the_loop(loop: asyncio.AbstractEventLoop, job: Future[Any], callback: Callable[[], None]) -> None:
    """Call `callback` on `loop` once `job` (a job of a thread) is done, in the turn of the loop that learns it."""

    def on_the_loop(_: Future[Any]) -> None:
        # Called on the thread that ran the job (or here, if it is already done).
        with contextlib.suppress(RuntimeError):  # the loop closed first (the process stopping): nobody waits
            loop.call_soon_threadsafe(callback)

    job.add_done_callback(on_the_loop)


def failed(failure: Exception) -> Callable[[], Any]:
    """An outcome, as `Database.commit_apart_then` gives one to its `then`, that raises `failure`."""

    def outcome() -> Any:
        raise failure

    return outcome


def _is_sqlite_busy(failure: Exception) -> bool:
    """Whether SQLite refused for a lock another connection holds (SQLITE_BUSY or SQLITE_LOCKED), not for a fault."""
    driver_error = failure.orig if isinstance(failure, OperationalError) else failure
    code = getattr(driver_error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _sqlite_engine(url: str, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """A synchronous engine (the sqlite3 module's) on the SQLite file of `url`, usable from any of the process's
    threads, its connections waiting at most `busy_timeout_ms` for a lock another connection holds."""
    engine = create_engine(
        url.replace("+aiosqlite", "+pysqlite"),
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        hide_parameters=True,
    )
    _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # The sqlite3 module would otherwise run SELECTs outside any transaction, so a snapshot read as two
        # SELECTs could straddle a commit.
        if connection.get_execution_options().get(_WRITE_LOCK_AT_ONCE):
            _begin_holding_the_write_lock(connection)
        else:
            connection.exec_driver_sql("BEGIN")


_WRITE_LOCK_AT_ONCE = "sosboard_write_lock_at_once"
"""An execution option: the transaction begins holding SQLite's write lock, or fails at once with WriteLockTaken."""


class WriteLockTaken(Exception):
    """SQLite's write lock is held by another connection (another process: `sosboard purge`, a backup...)."""


def _begin_holding_the_write_lock(connection: Connection) -> None:
    """BEGIN IMMEDIATE without waiting: where the event loop's thread writes, SQLite's busy handler would stop the
    whole process for as long as another process holds the lock (up to the busy timeout, 30 s)."""
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as failure:
        raise WriteLockTaken from failure
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
