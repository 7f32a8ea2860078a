"""Two app processes on PostgreSQL and a Redis of the test's own (a private redis-server on a free port, so the
shared one is never stopped): Redis restarted, Redis paused for 10 s, one app process killed, all mid-meeting.
No client is left with a gap (BoardClient refuses one), everyone converges on the server's board, and no
acknowledged edit is lost or doubled. A room can open while Redis is down, and hears the other process again
once Redis is back."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import ServerProcess, free_port
from tests.faults.ledger import Ledger, Writer, check_everyone_converges, converge, drop, keep_reading
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REDIS_PAUSE_SECONDS = 10.0
FAST = {"ops_per_second": "1000", "ops_burst": "1000"}
ADD = {"type": "add_card", "column": "worries", "kind": "harm", "text": "Said while Redis was away"}


class PrivateRedis:
    """`redis-server` on a free loopback port, without persistence, that a test may kill, restart and pause."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    if client.ping():
                        return self
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.05)  # polling a port for readiness, as ServerProcess does
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path).start()
    try:
        yield server
    finally:
        server.resume()
        server.kill()


@pytest.fixture
def two_processes(postgres_database: str, private_redis: PrivateRedis) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    first = ServerProcess(postgres_database, private_redis.url, **FAST).start()
    second = ServerProcess(postgres_database, private_redis.url, **FAST).start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


async def wait_for_log(server: ServerProcess, line: str, after: int) -> None:
    """Wait until the server's log says `line` after the first `after` characters (what an operator would read)."""
    for _ in range(400):  # 20 s at most
        if line in server.log()[after:]:
            return
        await asyncio.sleep(0.05)  # polling a file for a condition; the log has no event to wait on
    raise AssertionError(f"the log never said {line!r}")


@pytest.mark.asyncio
async def test_redis_restarted_and_paused_and_a_process_killed_mid_meeting_leave_no_client_with_a_gap(
    two_processes: tuple[ServerProcess, ServerProcess], private_redis: PrivateRedis
) -> None:
    a, b = two_processes
    chair = await create_meeting(a.url)
    workers = [await add_member(a.url, chair, "professional", f"Worker {n}") for n in range(1, 4)]
    family = await add_member(a.url, chair, "family", "Parent")
    wall = await add_member(a.url, chair, "projector", "Room screen")
    ledger = Ledger()
    places = [a, b, a, b]
    writers = [
        Writer(n, member, await BoardClient.connect(place.ws_url, member), ledger)
        for n, (member, place) in enumerate(zip([chair, *workers], places, strict=True))
    ]
    readers = [await BoardClient.connect(a.ws_url, wall), await BoardClient.connect(b.ws_url, family)]
    stop, never = asyncio.Event(), asyncio.Event()
    typing = [asyncio.create_task(w.run(never, 10**9, stop)) for w in writers]
    watching = [asyncio.create_task(keep_reading(reader)) for reader in readers]

    await ledger.acks_reach(20)
    private_redis.kill()
    await ledger.acks_reach(len(ledger.acks) + 20)
    private_redis.start()  # same port, empty: no subscriptions, no presence
    await ledger.acks_reach(len(ledger.acks) + 20)
    private_redis.pause()
    paused = len(ledger.acks)
    await asyncio.sleep(REDIS_PAUSE_SECONDS)  # the fault's duration, not a wait for anything
    acked_while_paused = len(ledger.acks) - paused
    private_redis.resume()
    await ledger.acks_reach(len(ledger.acks) + 20)

    a.kill()  # the writers on A lose their connection mid-op and come back on B
    await ledger.acks_reach(len(ledger.acks) + 20)
    stop.set()
    await asyncio.gather(*typing)
    for task in watching:
        task.cancel()
    await asyncio.gather(*watching, return_exceptions=True)
    for writer, place in zip(writers, places, strict=True):
        if place is a:
            await writer.reconnect(b.ws_url)
        await writer.settle()
    wall_again = await BoardClient.connect(b.ws_url, wall, since=readers[0].seq)
    wall_again.resume_from(readers[0])
    drop(readers[0])
    readers[0] = wall_again

    board = await board_over_http(b.url, chair)
    ledger.check(board)
    await check_everyone_converges([w.client for w in writers], board)
    await check_everyone_converges(readers, await board_over_http(b.url, family))
    assert acked_while_paused > 0, "edits stopped while Redis was paused"
    print(
        f"\nredis faults: {len(ledger.acks)} ops acked across a Redis restart, a {REDIS_PAUSE_SECONDS:.0f} s pause "
        f"({acked_while_paused} acked during it) and a killed process; 0 lost, 0 duplicated, no gaps"
    )
    for client in [w.client for w in writers] + readers:
        await client.close()


@pytest.mark.asyncio
async def test_a_room_opens_while_redis_is_down_and_subscribes_again_when_it_returns(
    two_processes: tuple[ServerProcess, ServerProcess], private_redis: PrivateRedis
) -> None:
    a, b = two_processes
    chair = await create_meeting(a.url)
    worker = await add_member(a.url, chair, "professional", "Health visitor")
    private_redis.kill()
    log_a, log_b = len(a.log()), len(b.log())

    # No room is open for this meeting on either process: both open while Redis is down.
    on_a = await BoardClient.connect(a.ws_url, chair)
    on_b = await BoardClient.connect(b.ws_url, worker)
    assert [p["display_name"] for p in on_b.hello["present"]] == ["Health visitor"]  # presence: this process only
    first = await on_a.request(ADD)
    assert first["type"] == "ack"
    await converge(on_b, first["seq"])  # no broker: the ping's catch-up reads the op log
    assert on_b.card(first["card_id"]) is not None

    private_redis.start()
    await wait_for_log(a, "broker back", log_a)
    await wait_for_log(b, "broker back", log_b)
    second = await on_a.request({**ADD, "text": "Said once Redis was back"})
    # B subscribed again: the event arrives by the broker, with no ping to pull it.
    event = await on_b.receive_until(lambda f: f["type"] == "event")
    assert event["seq"] == second["seq"] and on_b.card(second["card_id"]) is not None
    # The restarted Redis had forgotten who is here; each process said so again when it came back.
    both = {"Chair", "Health visitor"}

    def says_both(frame: dict[str, Any]) -> bool:
        return frame["type"] == "presence" and {p["display_name"] for p in frame["present"]} == both

    if not any(says_both(frame) for frame in on_a.inbox):  # it may have come before the second card's ack
        await on_a.receive_until(says_both)
    await on_a.close()
    await on_b.close()
