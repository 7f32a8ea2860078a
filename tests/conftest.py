"""Shared fixtures: a real app server in a subprocess, PostgreSQL and Redis on loopback.

Tests that need PostgreSQL or Redis fail (never skip) when the service is down: `make test` starts both first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.support.clients import Connections

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`sosboard serve` in a subprocess, as a user would run it; restartable on the same database."""

    def __init__(self, database_url: str, broker_url: str = "memory://", **settings: str) -> None:
        self.database_url = database_url
        self.broker_url = broker_url
        self.settings = settings
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"sosboard-{self.port}-{uuid.uuid4().hex[:6]}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        env = {**os.environ, **{f"SOSBOARD_{k.upper()}": v for k, v in self.settings.items()}}
        with self.log_path.open("ab") as log:
            self.process = self._spawn(env, log)
        self._wait_until_healthy()
        return self

    def _spawn(self, env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "serve",
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
                "--broker-url",
                self.broker_url,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _wait_until_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling a port for readiness; nothing to synchronise on before it listens
        raise RuntimeError(f"server did not become healthy:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush; what was acknowledged must already be on disk."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'board.db'}"


@pytest.fixture
def server(sqlite_url: str) -> Iterator[ServerProcess]:
    """A fresh server on a fresh SQLite file, for one test."""
    process = ServerProcess(sqlite_url, ops_per_second="1000", ops_burst="1000").start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the whole session with default settings (tests isolate themselves by meeting)."""
    database = tmp_path_factory.mktemp("live") / "board.db"
    process = ServerProcess(f"sqlite+aiosqlite:///{database}").start()
    try:
        yield process
    finally:
        process.stop()


async def postgres_admin(sql: str) -> None:
    """One statement as PostgreSQL's admin (CREATE or DROP DATABASE, for a test's own database)."""
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session; returns its SQLAlchemy URL."""

    name = f"sos_test_{uuid.uuid4().hex[:10]}"

    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def private_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, by name, for tests that cut its connections or shut it."""
    name = f"sos_private_{uuid.uuid4().hex[:10]}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        asyncio.run(postgres_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest_asyncio.fixture
async def redis_url() -> AsyncIterator[str]:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        assert await client.ping()
    finally:
        await client.aclose()
    yield REDIS_URL


@pytest_asyncio.fixture
async def connections() -> AsyncIterator[Connections]:
    """Websocket clients for one test, closed after it (tests/support/clients.py)."""
    connections = Connections()
    yield connections
    await connections.close_all()
