"""SIGKILL the server again and again while people are typing, on SQLite and on PostgreSQL, and check the history
(the Jepsen method, tests/faults/ledger.py): 0 acknowledged edits lost, 0 committed twice, every client converges
on the board the server returns over HTTP.

CI kills a few times; the long run is `SOSBOARD_KILLS=50 .venv/bin/pytest -s tests/faults/test_kills.py`, which
prints one line of figures per database.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.faults.ledger import Ledger, Writer, check_everyone_converges, drop
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting

KILLS = int(os.environ.get("SOSBOARD_KILLS", "3"))
WRITERS = 4
ACKS_BETWEEN_KILLS = 30
FAST = {"ops_per_second": "1000", "ops_burst": "1000"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'board.db'}"
    else:
        yield request.getfixturevalue("postgres_database")


@pytest.mark.asyncio
async def test_acknowledged_edits_survive_repeated_sigkills_exactly_once(database_url: str) -> None:
    server = ServerProcess(database_url, **FAST).start()
    try:
        started = time.monotonic()
        chair = await create_meeting(server.url)
        members = [chair] + [
            await add_member(server.url, chair, "professional", f"Worker {n}") for n in range(1, WRITERS)
        ]
        family = await add_member(server.url, chair, "family", "Parent")
        ledger = Ledger()
        writers = [Writer(n, m, await BoardClient.connect(server.ws_url, m), ledger) for n, m in enumerate(members)]
        watcher = await BoardClient.connect(server.ws_url, family)  # reads only: the family's tablet
        for _ in range(KILLS):
            reached = asyncio.Event()
            typing = [asyncio.create_task(w.run(reached, len(ledger.acks) + ACKS_BETWEEN_KILLS)) for w in writers]
            await reached.wait()
            server.kill()  # with every writer's next op in flight
            await asyncio.gather(*typing)
            server.start()
            for writer in writers:
                await writer.reconnect(server.ws_url)
                await writer.settle()
            resumed = await BoardClient.connect(server.ws_url, family, since=watcher.seq)
            resumed.resume_from(watcher)
            drop(watcher)
            watcher = resumed

        board = await board_over_http(server.url, chair)
        ledger.check(board)
        await check_everyone_converges([w.client for w in writers], board)
        family_board = await board_over_http(server.url, family)
        await check_everyone_converges([watcher], family_board)
        print(
            f"\nkills[{database_url.split(':', 1)[0]}]: {KILLS} kills, {len(ledger.sent)} ops sent, "
            f"{len(ledger.acks)} acked, 0 lost, 0 duplicated; {ledger.indeterminate} in flight at a kill, "
            f"{ledger.committed_before_fault} of them already committed; {time.monotonic() - started:.1f} s"
        )
        for client in [w.client for w in writers] + [watcher]:
            await client.close()
    finally:
        server.stop()
