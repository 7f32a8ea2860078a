"""A reconnect storm: every screen of many meetings reconnecting at once with the session it already has, as after
a restart of the server (no sign-in: the cookie is kept), and what each connection then costs while idle.

    python -m bench.reconnect_storm                        # 200 meetings x 20 screens, 500 connecting at a time
    python -m bench.reconnect_storm --rooms 100 --per-room 20 --concurrency 500

Starts the real server (`python -m app.cli serve`, fresh SQLite file, limits a benchmark trips lifted), makes the
meetings and signs everyone in over HTTP (not timed), connects one screen per meeting first (so every room is
open, as after a restart its first screen opens it), then all the others at once, each waiting for its hello.
Reports the time until every socket has its hello, the server's CPU per connection over that storm, and the
server's resident memory per connection once they are all connected and idle. The client is Python (websockets
on uvloop) on the same 2 cores, so the wall time includes the client's share; the CPU per connection is the
server's alone. bench.compare measures the storm with sign-in, with its node load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fanout import BENCH_SERVER_ENV, CLK_TCK, Server, install_uvloop, proc_cpu_ticks, proc_memory_kib, setup_rooms

SETTLE_SECONDS = 3.0


async def _connect_all(port: int, sockets: list[tuple[str, str]], concurrency: int) -> tuple[float, list[Any]]:
    import websockets

    limit = asyncio.Semaphore(concurrency)
    connected: list[Any] = []

    async def one(meeting_id: str, cookie: str) -> None:
        async with limit:
            socket_ = await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/meetings/{meeting_id}",
                additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
                compression=None,
                ping_interval=None,
                open_timeout=120,
                max_size=2**24,
            )
            while not (await socket_.recv()).startswith('{"type":"hello"'):
                pass
            connected.append(socket_)

    started = time.monotonic()
    await asyncio.gather(*(one(meeting_id, cookie) for meeting_id, cookie in sockets))
    return time.monotonic() - started, connected


async def _storm(server: Server, rooms: int, per_room: int, concurrency: int) -> dict[str, float]:
    setups = await asyncio.to_thread(setup_rooms, server.port, rooms, per_room)
    first = [(room.meeting_id, room.listener_cookies[0]) for room in setups]
    others = [(room.meeting_id, cookie) for room in setups for cookie in room.listener_cookies[1:]]
    _, opened = await _connect_all(server.port, first, concurrency)
    await asyncio.sleep(SETTLE_SECONDS)  # let the first connections' work finish before measuring
    rss_before = proc_memory_kib(server.pid)["VmRSS"]
    cpu_before = proc_cpu_ticks(server.pid)
    seconds, connected = await _connect_all(server.port, others, concurrency)
    cpu_seconds = (proc_cpu_ticks(server.pid) - cpu_before) / CLK_TCK
    await asyncio.sleep(SETTLE_SECONDS)  # idle: only keepalive pings
    rss_after = proc_memory_kib(server.pid)["VmRSS"]
    await asyncio.gather(*(socket_.close() for socket_ in [*opened, *connected]), return_exceptions=True)
    return {
        "sockets": len(connected),
        "storm_seconds": round(seconds, 2),
        "server_cpu_ms_per_connection": round(cpu_seconds / len(connected) * 1000, 2),
        "idle_kib_per_connection": round((rss_after - rss_before) / len(connected), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--per-room", type=int, default=20, help="screens per meeting (default 20)")
    parser.add_argument("--concurrency", type=int, default=500, help="connections in flight at once")
    args = parser.parse_args(argv)
    install_uvloop()
    with tempfile.TemporaryDirectory(prefix="sosboard-storm-") as directory:
        server = Server(Path(directory), {**BENCH_SERVER_ENV, "SOSBOARD_LOG_LEVEL": "warning"}).start()
        try:
            result = asyncio.run(_storm(server, args.rooms, args.per_room, args.concurrency))
        finally:
            server.stop()
    print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
