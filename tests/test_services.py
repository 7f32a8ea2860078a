"""The server's diagnostics line (`SOSBOARD_DIAGNOSTICS_SECONDS`), which a soak run reads: counts of tasks, rooms
and connections that follow what is connected, and nothing of the meeting in it."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import Connections, add_member, create_meeting

LINE = re.compile(r"diagnostics tasks=(\d+) rooms=(\d+) connections=(\d+)")


async def counts_once(server: ServerProcess, rooms: int, connections: int) -> str:
    """The first diagnostics line written after now that shows these counts; the whole log up to it."""
    start = len(server.log())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log = server.log()
        for found in LINE.finditer(log, start):
            if (int(found[2]), int(found[3])) == (rooms, connections):
                return log
        await asyncio.sleep(0.1)  # the server writes its log on its own clock; read it again
    raise AssertionError(f"no diagnostics line with rooms={rooms} connections={connections}:\n{server.log()[-2000:]}")


@pytest.mark.asyncio
async def test_diagnostics_count_rooms_and_connections_and_name_nothing(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite+aiosqlite:///{tmp_path / 'board.db'}", diagnostics_seconds="0.2").start()
    connections = Connections()
    try:
        chair = await create_meeting(server.url, chair="Canary Chairname", title="Canary Meeting Title")
        mum = await add_member(server.url, chair, "family", "Canary Mumname")
        await connections.connect(server.ws_url, chair)
        await connections.connect(server.ws_url, mum)
        await counts_once(server, rooms=1, connections=2)
        await connections.close_all()
        log = await counts_once(server, rooms=0, connections=0)
        assert "Canary" not in log
    finally:
        await connections.close_all()
        server.stop()
