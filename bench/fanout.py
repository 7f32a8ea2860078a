"""Fan-out benchmark of the real server: many meetings, many sockets, one writer per meeting.

    python -m bench.fanout                 # the default run (about 4 minutes): floors, 30 rooms x 31 sockets, 20 x 101
    python -m bench.fanout --quick         # a smoke run (about 40 s)
    python -m bench.fanout --help

What it does, bounded in count and in time, on loopback only:

1. Floors, without the server: one SQLite WAL commit with synchronous=FULL (the least an ack can wait), and one
   `OpLog.commit` of the app (the same commit with the app's rules, SQLAlchemy and projection), in-process.
2. Starts `python -m app.cli serve` as a subprocess on a free port with a fresh SQLite file (rate limit lifted),
   creates the meetings over HTTP (chair, then one invited and joined professional per listening socket), and
   connects the sockets: one writer per meeting in a writer process, and the listeners spread over separate
   listener processes (uvloop), so the client side has cores of its own as far as a 2-core machine allows.
3. For each phase, every writer sends `add_card` ops (open loop at a fixed rate, or closed loop: the next op as
   soon as the previous one is acked) and the benchmark measures:
   - commit latency: writer's send -> its ack (durable, since the ack is sent after the commit);
   - fan-out latency: writer's send -> the event received by a listener (every delivery), and by the LAST
     listener of the meeting (the op is "everywhere");
   - ops/s committed, events/s delivered (to listeners and writers), and deliveries missing;
   - server CPU (utime+stime from /proc/<pid>/stat, % of one core) and RSS (/proc/<pid>/status), the client
     processes' CPU, and the whole machine's busy time (/proc/stat), so a client-side bottleneck shows.

Timestamps are CLOCK_MONOTONIC (time.monotonic_ns), which all processes of the machine share.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
CARD_TEXT = "Bench card {phase} r{room} #{k}: Jo said school felt safe today and Mum was on time."
DRAIN_SECONDS = 45.0
SETUP_CONCURRENCY = 8
CONNECT_CONCURRENCY = 64
BENCH_SERVER_ENV = {
    # One benchmark client stands for a whole county's rooms: lift the limits meant for one person or one address.
    "SOSBOARD_OPS_PER_SECOND": "100000",
    "SOSBOARD_OPS_BURST": "100000",
    "SOSBOARD_MEETINGS_PER_ADDRESS_PER_HOUR": "100000",
    "SOSBOARD_MEETINGS_PER_MINUTE": "100000",
}


# ---- small helpers ----------------------------------------------------------------------------------------------


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not values:
        return float("nan")
    rank = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[rank]


def ms(ns: float) -> float:
    return ns / 1e6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


def proc_memory_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def _cpu_jiffies() -> list[int]:
    """/proc/stat's line for all CPUs: user, nice, system, idle, iowait, irq, softirq, steal, ..."""
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    values = _cpu_jiffies()
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def stolen_ticks() -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs: time the hypervisor ran someone else on this machine's CPUs. A run with
    much of it was on a slower machine than its neighbours, whatever its own figures say."""
    values = _cpu_jiffies()
    return values[7], sum(values[:8])


def cpu_pressure() -> float | None:
    """/proc/pressure/cpu "some avg10": % of the last 10 s in which a runnable task waited for a CPU."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return float(Path("/proc/pressure/cpu").read_text().split()[1].split("=")[1])
    return None


def busy_cores(seconds: float) -> float:
    busy0 = machine_ticks()
    time.sleep(seconds)
    busy1 = machine_ticks()
    return (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * (os.cpu_count() or 1)


def wait_until_quiet(limit_s: float, threshold: float = 0.3) -> float:
    """Wait (up to limit_s) until other processes use less than `threshold` cores; return the last reading."""
    deadline = time.monotonic() + limit_s
    busy = busy_cores(2)
    while busy > threshold and time.monotonic() < deadline:
        print(f"machine busy with {busy:.2f} cores of other work; waiting", flush=True)
        busy = busy_cores(5)
    return busy


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def install_uvloop() -> str:
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return "uvloop"
    except ImportError:  # pragma: no cover
        return "asyncio"


# ---- 1. floors ----------------------------------------------------------------------------------------------------


def sqlite_floor(directory: Path, commits: int, synchronous: str = "FULL") -> dict[str, Any]:
    """One small INSERT per transaction, as the op log does, on the same filesystem as the bench database."""
    path = directory / f"floor-{synchronous.lower()}.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("CREATE TABLE ops (meeting TEXT, seq INTEGER, op_id TEXT, payload TEXT, PRIMARY KEY (meeting, seq))")
    payload = json.dumps({"op": {"type": "add_card", "text": "x" * 80}, "card": {"id": "c" * 32, "text": "x" * 80}})
    latencies = []
    for seq in range(1, commits + 1):
        t0 = time.perf_counter_ns()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO ops VALUES (?, ?, ?, ?)", ("m1", seq, f"op{seq}", payload))
        db.execute("COMMIT")
        latencies.append(time.perf_counter_ns() - t0)
    db.close()
    latencies.sort()
    return {
        "commits": commits,
        "synchronous": synchronous,
        "p50_ms": ms(pct(latencies, 50)),
        "p99_ms": ms(pct(latencies, 99)),
        "mean_ms": ms(sum(latencies) / len(latencies)),
    }


async def _oplog_floor(directory: Path, commits: int) -> dict[str, Any]:
    # Imported here: the floors are the only part of the benchmark that runs app code in this process.
    from app.domain.board import CardKind, Column
    from app.domain.operations import Actor, AddCard
    from app.store.database import Database
    from app.store.meetings import Meetings
    from app.store.oplog import OpLog

    db = Database(f"sqlite+aiosqlite:///{directory / 'oplog-floor.db'}")
    await db.run_migrations()
    signed_in, _token = await Meetings(db, 12).create("Bench floor", "Chair")
    actor = Actor(signed_in.participant.id, signed_in.participant.role)
    oplog = OpLog(db)
    latencies = []
    for k in range(commits):
        op = AddCard(column=Column.worries, kind=CardKind.harm, text=CARD_TEXT.format(phase="floor", room=0, k=k))
        t0 = time.perf_counter_ns()
        await oplog.commit(signed_in.meeting.id, actor, f"floor-{k}", op)
        latencies.append(time.perf_counter_ns() - t0)
    await db.dispose()
    first, last = sorted(latencies[:100]), sorted(latencies[-100:])
    latencies.sort()
    return {
        "commits": commits,
        "p50_ms": ms(pct(latencies, 50)),
        "p99_ms": ms(pct(latencies, 99)),
        "first100_p50_ms": ms(pct(first, 50)),
        "last100_p50_ms": ms(pct(last, 50)),
    }


def oplog_floor(directory: Path, commits: int) -> dict[str, Any]:
    install_uvloop()
    return asyncio.run(_oplog_floor(directory, commits))


# ---- 2. the server -------------------------------------------------------------------------------------------


class BenchProcess:
    """A process the benchmark starts, waits for (bounded) and stops (bounded), its output in `log_path`."""

    name = "process"
    stop_signal = signal.SIGTERM
    stop_seconds = 10.0

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _launch(self, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def _wait_until(self, ready: Callable[[], bool], seconds: float, what: str) -> None:
        assert self.process is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError):
                if ready():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not {what}; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(self.stop_seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


class Server(BenchProcess):
    name = "server"
    stop_signal = signal.SIGINT
    stop_seconds = 15.0

    def __init__(self, directory: Path, extra_env: dict[str, str], database_url: str | None = None) -> None:
        self.port = free_port()
        super().__init__(directory / f"server-{self.port}.log")
        self.directory = directory
        self.database_url = database_url  # default: a fresh SQLite file in `directory`
        self.env = {**os.environ, **extra_env}

    def start(self) -> Server:
        db_url = self.database_url or f"sqlite+aiosqlite:///{self.directory / f'bench-{self.port}.db'}"
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--database-url", db_url]
        self._launch(command, ROOT, self.env)
        self._wait_until(self._healthy, 60, "become healthy")
        return self

    def _healthy(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")


@dataclass
class RoomSetup:
    index: int
    meeting_id: str
    chair_cookie: str
    listener_cookies: list[str] = field(default_factory=list)
    listener_tokens: list[str] = field(default_factory=list)  # the invite tokens, when not joined here


async def _setup_rooms(port: int, rooms: int, listeners_per_room: int, join: bool = True) -> list[RoomSetup]:
    import httpx

    base = f"http://127.0.0.1:{port}"
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def create(index: int) -> RoomSetup:
            async with limit:
                response = await http.post("/api/meetings", json={"title": f"Bench {index}", "chair_name": "Chair"})
            response.raise_for_status()
            meeting_id = response.json()["meeting"]["id"]
            cookie = f"sos_{meeting_id}={response.cookies[f'sos_{meeting_id}']}"
            return RoomSetup(index, meeting_id, cookie)

        async def listener(room: RoomSetup, k: int) -> str:
            async with limit:
                invited = await http.post(
                    f"/api/meetings/{room.meeting_id}/participants",
                    json={"display_name": f"Listener {k}", "role": "professional"},
                    headers={"Cookie": room.chair_cookie},
                )
                invited.raise_for_status()
                token = str(invited.json()["invite_url"]).split("#", 1)[1]
                if not join:
                    return token
                joined = await http.post("/api/join", json={"token": token})
            joined.raise_for_status()
            return f"sos_{room.meeting_id}={joined.cookies[f'sos_{room.meeting_id}']}"

        setups = await asyncio.gather(*(create(i) for i in range(rooms)))
        for room in setups:
            made = list(await asyncio.gather(*(listener(room, k) for k in range(listeners_per_room))))
            if join:
                room.listener_cookies = made
            else:
                room.listener_tokens = made
        return list(setups)


def setup_rooms(port: int, rooms: int, listeners_per_room: int, join: bool = True) -> list[RoomSetup]:
    """Meetings over HTTP, and `listeners_per_room` invited professionals in each: joined (their session cookies in
    `listener_cookies`), or with `join=False` only invited (their invite tokens in `listener_tokens`)."""
    return asyncio.run(_setup_rooms(port, rooms, listeners_per_room, join))


# ---- 3. client processes ---------------------------------------------------------------------------------------


async def _connect(port: int, meeting_id: str, cookie: str) -> Any:
    import websockets

    socket_ = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/meetings/{meeting_id}",
        additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
        compression=None,
        ping_interval=None,
        max_size=2**24,
        open_timeout=120,
        close_timeout=2,
    )
    # The hello should be the first frame, but today a presence frame can come first (see BENCHMARKS.md).
    while not str(await socket_.recv(decode=True)).startswith('{"type":"hello"'):
        pass
    return socket_


async def _commands(conn: Connection) -> Any:
    return await asyncio.to_thread(conn.recv)


async def _listener_main(conn: Connection, port: int, sockets: list[tuple[int, str, str]]) -> None:
    received: list[tuple[str, int]] = []
    closed: list[str] = []
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def listen(meeting_id: str, cookie: str) -> None:
        async with limit:
            socket_ = await _connect(port, meeting_id, cookie)
        connected.append(socket_)
        append = received.append
        try:
            async for message in socket_:
                if message.startswith('{"type":"event"'):
                    now = time.monotonic_ns()
                    start = message.find('"op_id":"', 20) + 9
                    append((message[start : message.find('"', start)], now))
        except Exception as failure:  # a drop (e.g. 4408 too slow) is a result, not a crash
            closed.append(f"{type(failure).__name__}: {failure}")
        else:
            code = socket_.close_code
            if code not in (1000, 1001, None):
                closed.append(f"closed {code}")

    connected: list[Any] = []
    tasks = [asyncio.create_task(listen(meeting_id, cookie)) for _room, meeting_id, cookie in sockets]
    while len(connected) < len(sockets):
        await asyncio.sleep(0.05)
        failed = [task for task in tasks if task.done() and task.exception() is not None]
        if failed:
            conn.send(("failed", repr(failed[0].exception())))
            return
    conn.send(("ready", len(connected)))
    cpu0 = process_cpu_seconds()
    while True:
        command = await _commands(conn)
        if command[0] == "begin":
            received.clear()
            cpu0 = process_cpu_seconds()
            conn.send(("ok",))
        elif command[0] == "count":
            conn.send(("count", len(received)))
        elif command[0] == "end":
            data, cpu = list(received), process_cpu_seconds() - cpu0
            received.clear()
            conn.send(("data", data, cpu, list(closed)))
        elif command[0] == "quit":
            for socket_ in connected:
                with contextlib.suppress(Exception):
                    await socket_.close()
            for task in tasks:
                task.cancel()
            conn.send(("bye",))
            return


def listener_process(conn: Connection, port: int, sockets: list[tuple[int, str, str]]) -> None:
    install_uvloop()
    asyncio.run(_listener_main(conn, port, sockets))


class _Writer:
    def __init__(self, room: int, socket_: Any) -> None:
        self.room = room
        self.socket = socket_
        self.sent: dict[str, int] = {}
        self.acked: dict[str, tuple[int, int]] = {}
        self.errors: list[str] = []
        self.events = 0
        self.waiter: asyncio.Future[None] | None = None
        self.closed: str | None = None

    async def read(self) -> None:
        try:
            async for message in self.socket:
                if message.startswith('{"type":"event"'):
                    self.events += 1
                elif message.startswith('{"type":"ack"'):
                    now = time.monotonic_ns()
                    ack = json.loads(message)
                    self.acked[ack["op_id"]] = (now, ack["seq"])
                    if self.waiter is not None and not self.waiter.done():
                        self.waiter.set_result(None)
                elif message.startswith('{"type":"error"'):
                    self.errors.append(message[:300])
                    if self.waiter is not None and not self.waiter.done():
                        self.waiter.set_result(None)
        except Exception as failure:
            self.closed = f"{type(failure).__name__}: {failure}"
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def send(self, phase: str, k: int) -> None:
        op_id = f"{phase}-{self.room}-{k}"
        text = CARD_TEXT.format(phase=phase, room=self.room, k=k)
        frame = json.dumps(
            {
                "type": "op",
                "op_id": op_id,
                "op": {"type": "add_card", "column": "worries", "kind": "harm", "text": text},
            }
        )
        self.sent[op_id] = time.monotonic_ns()
        await self.socket.send(frame)

    async def open_loop(self, phase: str, rate: float, until: float) -> None:
        interval = 1.0 / rate
        next_at = time.monotonic() + random.uniform(0, interval)
        k = 0
        while next_at < until:
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.send(phase, k)
            k += 1
            next_at += interval

    async def closed_loop(self, phase: str, until: float) -> None:
        k = 0
        loop = asyncio.get_running_loop()
        while time.monotonic() < until and self.closed is None:
            self.waiter = loop.create_future()
            await self.send(phase, k)
            k += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.waiter, DRAIN_SECONDS)


async def _writer_main(conn: Connection, port: int, rooms: list[tuple[int, str, str]]) -> None:
    writers = [_Writer(room, await _connect(port, meeting_id, cookie)) for room, meeting_id, cookie in rooms]
    readers = [asyncio.create_task(writer.read()) for writer in writers]
    conn.send(("ready", len(writers)))
    while True:
        command = await _commands(conn)
        if command[0] == "run":
            _, phase, mode, rate, seconds = command
            for writer in writers:
                writer.sent.clear()
                writer.acked.clear()
                writer.errors.clear()
            cpu0 = process_cpu_seconds()
            until = time.monotonic() + seconds
            if mode == "open":
                await asyncio.gather(*(writer.open_loop(phase, rate, until) for writer in writers))
            else:
                await asyncio.gather(*(writer.closed_loop(phase, until) for writer in writers))
            deadline = time.monotonic() + DRAIN_SECONDS
            while time.monotonic() < deadline and any(  # noqa: ASYNC110 (a poll across many writers)
                len(w.acked) + len(w.errors) < len(w.sent) and w.closed is None for w in writers
            ):
                await asyncio.sleep(0.02)
            ops = [
                (writer.room, op_id, sent, *writer.acked.get(op_id, (None, None)))
                for writer in writers
                for op_id, sent in writer.sent.items()
            ]
            errors = [error for writer in writers for error in writer.errors]
            closed = [w.closed for w in writers if w.closed]
            conn.send(("done", ops, errors, closed, process_cpu_seconds() - cpu0))
        elif command[0] == "quit":
            for writer in writers:
                with contextlib.suppress(Exception):
                    await writer.socket.close()
            for task in readers:
                task.cancel()
            conn.send(("bye",))
            return


def writer_process(conn: Connection, port: int, rooms: list[tuple[int, str, str]]) -> None:
    install_uvloop()
    asyncio.run(_writer_main(conn, port, rooms))


def _expect(conn: Connection, kind: str, timeout: float) -> tuple[Any, ...]:
    if not conn.poll(timeout):
        raise RuntimeError(f"no {kind!r} from a client process within {timeout:.0f} s")
    message: tuple[Any, ...] = conn.recv()
    if message[0] != kind:
        raise RuntimeError(f"client process: expected {kind!r}, got {message!r:.500}")
    return message


# ---- 4. scenarios -----------------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    mode: str  # "open" (fixed rate per room) or "closed" (next op on ack)
    rate: float  # ops/s per room, open loop only
    seconds: float


@dataclass
class Scenario:
    name: str
    rooms: int
    listeners_per_room: int
    phases: list[Phase]


def run_scenario(
    scenario: Scenario, directory: Path, listener_procs: int, profile: Path | None, py_spy: str | None
) -> dict[str, Any]:
    server = Server(directory, BENCH_SERVER_ENV).start()
    ctx = mp.get_context("spawn")
    procs: list[mp.process.BaseProcess] = []
    result: dict[str, Any] = {
        "scenario": scenario.name,
        "rooms": scenario.rooms,
        "listeners_per_room": scenario.listeners_per_room,
        "sockets": scenario.rooms * (scenario.listeners_per_room + 1),
        "phases": [],
    }
    try:
        t0 = time.monotonic()
        rooms = setup_rooms(server.port, scenario.rooms, scenario.listeners_per_room)
        result["setup_http_s"] = round(time.monotonic() - t0, 1)
        rss_before = proc_memory_kib(server.pid)["VmRSS"]

        writer_conn, child = ctx.Pipe()
        writer = ctx.Process(
            target=writer_process,
            args=(child, server.port, [(r.index, r.meeting_id, r.chair_cookie) for r in rooms]),
            daemon=True,
        )
        writer.start()
        procs.append(writer)
        shares: list[list[tuple[int, str, str]]] = [[] for _ in range(listener_procs)]
        n = 0
        for room in rooms:
            for cookie in room.listener_cookies:
                shares[n % listener_procs].append((room.index, room.meeting_id, cookie))
                n += 1
        listener_conns = []
        for share in shares:
            parent, child = ctx.Pipe()
            process = ctx.Process(target=listener_process, args=(child, server.port, share), daemon=True)
            process.start()
            procs.append(process)
            listener_conns.append(parent)
        t0 = time.monotonic()
        _expect(writer_conn, "ready", 300)
        for conn in listener_conns:
            _expect(conn, "ready", 300)
        result["connect_s"] = round(time.monotonic() - t0, 1)
        time.sleep(3)  # let the presence storm of the connects settle
        memory = proc_memory_kib(server.pid)
        result["server_rss_idle_mib"] = round(memory["VmRSS"] / 1024, 1)
        result["server_rss_per_socket_kib"] = round((memory["VmRSS"] - rss_before) / result["sockets"], 1)

        for phase in scenario.phases:
            result["phases"].append(_run_phase(scenario, phase, server, writer_conn, listener_conns, profile, py_spy))
            print(json.dumps(result["phases"][-1]), flush=True)
        result["server_rss_end_mib"] = round(proc_memory_kib(server.pid)["VmRSS"] / 1024, 1)
        result["server_rss_peak_mib"] = round(proc_memory_kib(server.pid)["VmHWM"] / 1024, 1)
        for conn in [writer_conn, *listener_conns]:
            conn.send(("quit",))
        for conn in [writer_conn, *listener_conns]:
            with contextlib.suppress(Exception):
                _expect(conn, "bye", 30)
    finally:
        for child_process in procs:
            child_process.join(10)
            if child_process.is_alive():
                child_process.terminate()
        server.stop()
    return result


def _run_phase(
    scenario: Scenario,
    phase: Phase,
    server: Server,
    writer_conn: Connection,
    listener_conns: list[Connection],
    profile: Path | None,
    py_spy: str | None,
) -> dict[str, Any]:
    for conn in listener_conns:
        conn.send(("begin",))
        _expect(conn, "ok", 30)
    spy = None
    if profile is not None and py_spy is not None:
        out = profile.with_name(f"{profile.stem}-{scenario.name}-{phase.name}.txt")
        command = [py_spy, "record", "--nonblocking", "-p", str(server.pid), "-d", str(int(phase.seconds))]
        spy = subprocess.Popen(
            [*command, "-f", "raw", "-o", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    cpu0, busy0 = proc_cpu_ticks(server.pid), machine_ticks()
    t0 = time.monotonic_ns()
    writer_conn.send(("run", phase.name, phase.mode, phase.rate, phase.seconds))
    _, ops, errors, writer_closed, writer_cpu = _expect(writer_conn, "done", phase.seconds + DRAIN_SECONDS + 60)
    acked = [op for op in ops if op[3] is not None]
    expected = len(acked) * scenario.listeners_per_room
    deadline = time.monotonic() + DRAIN_SECONDS
    delivered = 0
    while time.monotonic() < deadline:
        delivered = 0
        for conn in listener_conns:
            conn.send(("count",))
            delivered += _expect(conn, "count", 30)[1]
        if delivered >= expected:
            break
        time.sleep(0.1)
    t1 = time.monotonic_ns()
    cpu1, busy1 = proc_cpu_ticks(server.pid), machine_ticks()
    received: list[tuple[str, int]] = []
    listener_cpu = []
    closed: list[str] = []
    for conn in listener_conns:
        conn.send(("end",))
        _, data, cpu, dropped = _expect(conn, "data", 60)
        received.extend(data)
        listener_cpu.append(cpu)
        closed.extend(dropped)
    if spy is not None:
        spy.wait(60)

    sent_at = {op_id: sent for _room, op_id, sent, _ack, _seq in ops}
    commit = sorted(ack - sent for _room, _op, sent, ack, _seq in acked)
    deliveries: dict[str, list[int]] = defaultdict(list)
    for op_id, at in received:
        deliveries[op_id].append(at)
    stray = sum(len(ats) for op_id, ats in deliveries.items() if op_id not in sent_at)  # an earlier phase's tail
    per_delivery = sorted(at - sent_at[op_id] for op_id, ats in deliveries.items() if op_id in sent_at for at in ats)
    everywhere = sorted(
        max(ats) - sent_at[op_id]
        for op_id, ats in deliveries.items()
        if op_id in sent_at and len(ats) >= scenario.listeners_per_room
    )
    first_send = min((sent for _r, _o, sent, _a, _s in ops), default=t0)
    last_ack = max((ack for _r, _o, _sent, ack, _s in acked), default=t1)
    last_delivery = max((at for _op, at in received), default=t1)
    window_s = (t1 - t0) / 1e9
    busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * (os.cpu_count() or 1)
    server_cpu = (cpu1 - cpu0) / CLK_TCK / window_s
    clients_cpu = (writer_cpu + sum(listener_cpu)) / window_s
    ops_per_s = len(acked) / max(1e-9, (last_ack - first_send) / 1e9)
    offered = "closed loop" if phase.mode == "closed" else f"{phase.rate:g}/s per room"
    return {
        "scenario": scenario.name,
        "phase": phase.name,
        "offered": offered,
        "seconds": phase.seconds,
        "ops_sent": len(ops),
        "ops_acked": len(acked),
        "op_errors": len(errors),
        "error_sample": errors[:3],
        "ops_per_s": round(ops_per_s, 1),
        "deliveries": len(received) - stray,
        "deliveries_from_earlier_phase": stray,
        "overloaded": len(acked) < len(ops) or (phase.mode == "open" and ops_per_s < 0.9 * phase.rate * scenario.rooms),
        "deliveries_expected": expected,
        "events_per_s_listeners": round(len(received) / max(1e-9, (last_delivery - first_send) / 1e9), 1),
        "events_per_s_all_sockets": round(
            (len(received) + len(acked)) / max(1e-9, (last_delivery - first_send) / 1e9), 1
        ),
        "commit_p50_ms": round(ms(pct(commit, 50)), 2),
        "commit_p95_ms": round(ms(pct(commit, 95)), 2),
        "commit_p99_ms": round(ms(pct(commit, 99)), 2),
        "delivery_p50_ms": round(ms(pct(per_delivery, 50)), 2),
        "delivery_p99_ms": round(ms(pct(per_delivery, 99)), 2),
        "everywhere_p50_ms": round(ms(pct(everywhere, 50)), 2),
        "everywhere_p99_ms": round(ms(pct(everywhere, 99)), 2),
        "server_cpu_pct": round(server_cpu * 100, 1),
        "writer_cpu_pct": round(writer_cpu / window_s * 100, 1),
        "listener_cpu_pct": [round(cpu / window_s * 100, 1) for cpu in listener_cpu],
        "machine_busy_cores": round(busy, 2),
        "other_processes_cores": round(max(0.0, busy - server_cpu - clients_cpu), 2),
        "cpu_pressure_avg10": cpu_pressure(),
        "server_rss_mib": round(proc_memory_kib(server.pid)["VmRSS"] / 1024, 1),
        "dropped_sockets": len(closed) + len(writer_closed),
        "drop_sample": (closed + writer_closed)[:3],
    }


# ---- 5. report --------------------------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"- date: {results['date']}; machine: {results['nproc']} x {results['cpu']}, {results['mem_gib']} GiB;"
        f" Python {results['python']}; loadavg at start {' '.join(results['loadavg'])}, other load"
        f" {results['other_load_cores_at_start']} cores",
        f"- command: `{results['command']}`",
        "",
        "| floor | p50 ms | p99 ms | note |",
        "| --- | --- | --- | --- |",
    ]
    for floor in results["floors"]:
        lines.append(f"| {floor['name']} | {floor['p50_ms']:.3f} | {floor['p99_ms']:.3f} | {floor.get('note', '')} |")
    lines += [
        "",
        "| scenario | sockets | offered | ops/s | events/s | commit p50/p95/p99 ms | delivery p50/p99 ms |"
        " everywhere p50/p99 ms | server CPU | clients CPU | other procs | server RSS | missing | dropped |",
        "| --- " * 14 + "|",
    ]
    for scenario in results["scenarios"]:
        for p in scenario["phases"]:
            clients = p["writer_cpu_pct"] + sum(p["listener_cpu_pct"])
            lines.append(
                f"| {scenario['rooms']}x{scenario['listeners_per_room']} | {scenario['sockets']} | {p['offered']} |"
                f" {p['ops_per_s']:.0f} | {p['events_per_s_all_sockets']:.0f} |"
                f" {p['commit_p50_ms']}/{p['commit_p95_ms']}/{p['commit_p99_ms']} |"
                f" {p['delivery_p50_ms']}/{p['delivery_p99_ms']} | {p['everywhere_p50_ms']}/{p['everywhere_p99_ms']} |"
                f" {p['server_cpu_pct']:.0f}% | {clients:.0f}% | {p['other_processes_cores']:.2f} cores |"
                f" {p['server_rss_mib']:.0f} MiB | {p['deliveries_expected'] - p['deliveries']} |"
                f" {p['dropped_sockets']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run: small scenario, short phases")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (default 10)")
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--listeners", type=int, default=30, help="listening sockets per room (default 30)")
    parser.add_argument("--rates", default="2,5,10", help="open-loop ops/s per room, comma-separated")
    parser.add_argument("--no-closed-loop", action="store_true", help="skip the saturation phase")
    parser.add_argument("--large", default="20x100@10", help="ROOMSxLISTENERS@RATE of the large run; '' to skip")
    parser.add_argument("--listener-procs", type=int, default=2)
    parser.add_argument(
        "--wait-quiet", type=float, default=0, help="wait up to this many seconds for other load to go away"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the server per phase (needs --py-spy)")
    parser.add_argument("--py-spy", help="path of a py-spy binary")
    args = parser.parse_args(argv)

    if args.quick:
        args.seconds, args.rooms, args.listeners, args.rates, args.large = 5.0, 10, 10, "10", ""
    rates = [float(rate) for rate in args.rates.split(",") if rate]
    phases = [Phase(f"r{rate:g}", "open", rate, args.seconds) for rate in rates]
    if not args.no_closed_loop:
        phases.append(Phase("closed", "closed", 0, args.seconds))
    scenarios = [Scenario(f"{args.rooms}x{args.listeners}", args.rooms, args.listeners, phases)]
    if args.large:
        shape, _, rate = args.large.partition("@")
        rooms, listeners = (int(v) for v in shape.split("x"))
        scenarios.append(
            Scenario(f"{rooms}x{listeners}", rooms, listeners, [Phase(f"r{rate}", "open", float(rate), args.seconds)])
        )
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "other_load_cores_at_start": round(wait_until_quiet(args.wait_quiet), 2),
        "command": "python -m bench.fanout " + " ".join(argv if argv is not None else sys.argv[1:]),
        "floors": [],
        "scenarios": [],
    }
    directory = Path(tempfile.mkdtemp(prefix="sosboard-bench-"))
    try:
        floor_commits = 300 if args.quick else 2000
        for synchronous in ("FULL", "NORMAL"):
            floor = sqlite_floor(directory, floor_commits, synchronous)
            floor["name"] = f"SQLite WAL commit, synchronous={synchronous} ({floor_commits} commits)"
            floor["note"] = "the ack floor" if synchronous == "FULL" else "no fsync per commit, for comparison"
            results["floors"].append(floor)
            print(json.dumps(floor), flush=True)
        oplog_commits = 200 if args.quick else 1000
        floor = oplog_floor(directory, oplog_commits)
        floor["name"] = f"app OpLog.commit in-process ({oplog_commits} add_card, one meeting)"
        floor["note"] = (
            f"p50 {floor['first100_p50_ms']:.3f} ms over the first 100 cards, {floor['last100_p50_ms']:.3f} ms over"
            f" the last 100"
        )
        results["floors"].append(floor)
        print(json.dumps(floor), flush=True)
        for scenario in scenarios:
            results["scenarios"].append(
                run_scenario(scenario, directory, args.listener_procs, args.profile, args.py_spy)
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print()
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
