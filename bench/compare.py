"""Side by side: the full app against Hocuspocus, the same load generator, the same shapes, one after the other.

    python -m bench.compare                     # the full run (make bench): both modes and Hocuspocus, ~15 minutes
    python -m bench.compare --quick             # every shape shrunk: the whole run in under ~4 minutes
    python -m bench.compare --without-c         # shapes A and B only (C is past one process's capacity)
    python -m bench.compare --modes sqlite      # only one app process on SQLite (and Hocuspocus)
    python -m bench.compare --help

Targets, each started fresh, on loopback only:

- app, mode `sqlite`: one `python -m app.cli serve` on a fresh SQLite file (the embedded default);
- app, mode `pg2` (`pgN`: N processes): two app processes on a PostgreSQL database made for the run and dropped after it
  (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379) as the broker. The load is spread over both: meeting i's
  writer is on process i % 2 and its listeners alternate between the two, so every meeting has clients on both
  and half of each edit's deliveries cross processes through Redis;
- Hocuspocus (`@hocuspocus/server` as pinned in bench/peer/package-lock.json, no extensions: no persistence, no
  auth), one node process, run once.

The app gets authenticated participants (every client is an invited professional who signs in with its invite
token), real ops (`add_card`, ~200 characters of text) and durable commits (each ack after its commit), with the
caps a benchmark would trip lifted (ops and control frames per second, meetings per address and per minute,
connections per meeting) and the commit queue's bound left as it is, so past capacity it answers `busy`.

The shapes: A, 200 meetings x 20 clients at 5 edits/s a meeting (1,000 edits/s, 19,000 deliveries/s to listeners);
B, 50 x 20 at 10/s (500 edits/s); C, 200 x 20 at 10/s (2,000 edits/s, 38,000 deliveries/s to listeners and 40,000
with the writers' own): the issue's "then 10 edits/s per meeting (40,000 deliveries/s)", twice A's rate, past one
app process's capacity on a 2-core machine, so on the app it also shows how a server past its capacity answers
(`busy`, and the latency of the edits it takes).

Each shape (A, B, C, catch-up) runs on freshly started server processes (the app's on the same database, whose
meetings and invites are made once over HTTP), so that one shape's aftermath never shows in the next.

The load generator is bench/peer/loadgen.mjs (node, two child processes holding the sockets; each meeting whole in
one of them): one writer per meeting sends edits open loop at a fixed rate; every other client of the meeting
listens and does what a screen does with what it receives: an app listener JSON-parses each event and applies its
changes to its copy of the board; a Hocuspocus listener is a HocuspocusProvider with its own websocket and Y.Doc
(awareness on, as in a browser) that applies each update, and reads the entry from the Y.Array's observer. App
clients send no pings while the load runs (the server's protocol-level pings are answered by `ws`); in the drain,
the listeners of a meeting still missing an edit ping once a second, as the board page does after a second of
quiet. Per shape it reports:

- everywhere p50/p99/max: edit sent by the writer (its first send, also when `busy` made it wait and resend) until
  the LAST listener of the meeting has it; and the same from the send the server took (the last, for an edit told
  `busy` and resent): the latency of the edits a server past its capacity accepts, which the issue bounds, apart
  from the wait it asked the others for;
- deliveries/s to listeners, and lost deliveries (expected minus received after a drain of up to --drain s); a
  client whose socket the server closes comes back as the board page does (after 0.25-5 s, app: with `since`, a
  writer resending every op without an answer with its op_id; Hocuspocus: the sync exchange), and what it receives
  then (events, a resume, a snapshot's cards) still counts, once per listener and edit;
- server CPU (% of one core, utime+stime from /proc/<pid>/stat over the sending window, summed over the app's
  processes); in pg2 the PostgreSQL and Redis CPU apart (every `postgres` and `redis-server` process on the machine,
  so another user's queries count too); the load generator's CPU; `other procs`: cores used by everything else
  (steal included); and the share of the machine's CPU time stolen by the hypervisor (steal in /proc/stat), which
  says when a run was on a machine slower than it looks;
- busy (and any other refusals) the app sent; a busy op is resent with its op_id after retry_after_ms, never lost;
- the load generator's own event-loop delay (p99 and max over its processes): when it is large, part of the
  latency is the load generator's, not the server's.

And once per target: memory per idle connection (the servers' RSS with shape A's sockets connected and idle,
minus the RSS before they connected, / sockets), connect time for all of shape A's sockets as a storm (at most
--connect-concurrency in flight; app: sign-in + websocket + hello; Hocuspocus: websocket + sync), and catch-up:
a client that missed 1,000 edits (app: reconnect with `since`, hello received and applied; Hocuspocus: a fresh
provider's sync of a document with 1,000 edits), median of --catchup-repeats tries.

The results go to stdout as a markdown table and, unless --no-write, into BENCHMARKS.md as a dated section at the
top (between the `bench.compare` markers, replacing the previous one).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import queue
import re
import resource
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.fanout import (
    BENCH_SERVER_ENV,
    CLK_TCK,
    ROOT,
    BenchProcess,
    Server,
    busy_cores,
    cpu_model,
    free_port,
    machine_ticks,
    proc_cpu_ticks,
    proc_memory_kib,
    setup_rooms,
    stolen_ticks,
    wait_until_quiet,
)

PEER = ROOT / "bench" / "peer"
BENCHMARKS = ROOT / "BENCHMARKS.md"
BEGIN = "<!-- bench.compare: begin (written by python -m bench.compare; the next run replaces it) -->"
END = "<!-- bench.compare: end -->"
POSTGRES_ADMIN = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
REDIS = ("127.0.0.1", 6379)
SETTLE_SECONDS = 3.0

# What a benchmark would trip over and a real meeting never does: lifted. The commit queue keeps its bound.
APP_ENV = {
    **BENCH_SERVER_ENV,
    "SOSBOARD_CONTROL_FRAMES_PER_SECOND": "100000",
    "SOSBOARD_CONTROL_FRAMES_BURST": "100000",
    "SOSBOARD_CONNECTIONS_PER_MEETING": "100000",
    "SOSBOARD_CONNECTIONS_PER_PARTICIPANT": "1000",
}


@dataclass
class Shape:
    name: str
    meetings: int
    clients: int  # per meeting: 1 writer + clients - 1 listeners
    rate: float  # edits/s per writer
    seconds: float

    @property
    def label(self) -> str:
        return f"{self.meetings} x {self.clients} @ {self.rate:g}/s"


def shapes(
    quick: bool,
    seconds: float | None,
    shape_a: str | None = None,
    shape_b: str | None = None,
    shape_c: str | None = None,
) -> tuple[Shape, Shape, Shape]:
    if quick:
        a, b, c = Shape("A", 20, 10, 5, 5), Shape("B", 10, 10, 10, 5), Shape("C", 20, 10, 10, 5)
    else:
        a, b, c = Shape("A", 200, 20, 5, 20), Shape("B", 50, 20, 10, 20), Shape("C", 200, 20, 10, 20)
    if seconds is not None:
        a.seconds = b.seconds = c.seconds = seconds
    for shape, text in ((a, shape_a), (b, shape_b), (c, shape_c)):
        if text:
            match = re.fullmatch(r"(\d+)x(\d+)@([\d.]+)", text)
            if match is None:
                raise SystemExit(f"a shape is MEETINGSxCLIENTS@RATE (e.g. 200x20@5), not {text!r}")
            shape.meetings, shape.clients, shape.rate = int(match[1]), int(match[2]), float(match[3])
    return a, b, c


# ---- processes ----------------------------------------------------------------------------------------------------


def ensure_peer_installed() -> str:
    """npm ci into bench/peer/node_modules (git-ignored) when it is missing; returns node's version."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        raise SystemExit("bench.compare needs node (>= 20) and npm on PATH")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    if int(version.strip().lstrip("v").split(".")[0]) < 20:
        raise SystemExit(f"bench.compare needs node >= 20, found {version.strip()}")
    if not (PEER / "node_modules" / "@hocuspocus" / "server").is_dir():
        print("installing the load generator and Hocuspocus: npm ci --prefix bench/peer", flush=True)
        subprocess.run(
            [npm, "ci", "--prefix", str(PEER), "--no-audit", "--no-fund", "--loglevel=error"], timeout=600, check=True
        )
    return version.strip()


def peer_version() -> str:
    lock = json.loads((PEER / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/@hocuspocus/server"]["version"])


class NodePeer(BenchProcess):
    """Hocuspocus in one node process (bench/peer/hocuspocus-server.mjs), loopback only."""

    name = "Hocuspocus"

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        super().__init__(directory / f"hocuspocus-{self.port}.log")

    def start(self) -> NodePeer:
        self._launch(["node", str(PEER / "hocuspocus-server.mjs"), str(self.port)], PEER)
        self._wait_until(self._listening, 30, "listen")
        return self

    def _listening(self) -> bool:
        socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        return True


class Loadgen:
    """One run of bench/peer/loadgen.mjs: JSON lines out, commands in; every wait bounded."""

    def __init__(self, config: dict[str, Any], directory: Path, name: str) -> None:
        path = directory / f"{name}.json"
        path.write_text(json.dumps(config))
        self.log_path = directory / f"{name}.log"
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["node", str(PEER / "loadgen.mjs"), str(path)],
                cwd=PEER,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                self.lines.put({"event": "output", "line": line.rstrip()})
        self.lines.put({"event": "exited"})

    def expect(self, event: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"loadgen: no {event!r} within {timeout:.0f} s; see {self.log_path}") from None
            if message["event"] == event:
                return message
            if message["event"] == "output":
                continue
            raise RuntimeError(f"loadgen: expected {event!r}, got {json.dumps(message)[:2000]}; see {self.log_path}")

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()

    def pids(self, reported: list[int]) -> list[int]:
        return [pid for pid in reported if Path(f"/proc/{pid}").exists()]

    def finish(self) -> None:
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_ticks_by_pid(pids).values()) / CLK_TCK


def cpu_ticks_by_pid(pids: list[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            ticks[pid] = proc_cpu_ticks(pid)
    return ticks


def cpu_seconds_between(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU used between two readings by the processes alive at both: a PostgreSQL backend that exits in between
    (a pooled connection closed) takes its ticks with it, which summed would read as negative time."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys()) / CLK_TCK


def pids_named(names: tuple[str, ...]) -> list[int]:
    """Processes whose command name is one of `names` (PostgreSQL's backends, Redis), whoever started them."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
    return found


def rss_kib(pids: list[int]) -> int:
    return sum(proc_memory_kib(pid)["VmRSS"] for pid in pids)


# ---- targets ------------------------------------------------------------------------------------------------------


@dataclass
class Running:
    """Server processes of one target, started for one shape."""

    endpoints: list[dict[str, str]]
    pids: list[int]
    stop: Callable[[], None]


@dataclass
class Target:
    """What the load generator needs to know of one target, and how to start its server processes."""

    key: str  # "sqlite", "pg2", "hocuspocus"
    adapter: str
    start: Callable[[], Running]
    meetings: list[dict[str, Any]]  # shape A's meetings; B uses the first ones
    catchup: dict[str, Any]
    services: tuple[str, ...] = ()  # command names of the services it uses (their CPU is shown apart)
    processes: int = 1
    setup_s: float = 0.0


def endpoints(ports: list[int]) -> list[dict[str, str]]:
    return [{"http": f"http://127.0.0.1:{port}", "ws": f"ws://127.0.0.1:{port}"} for port in ports]


def spread(index: int, client: int, servers: int) -> int:
    """Which server process a client connects to: meeting i's writer on i % n, its listeners alternating."""
    return (index + client) % servers


def app_meetings(port: int, shape: Shape, servers: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rooms = setup_rooms(port, shape.meetings + 1, shape.clients, join=False)
    meetings = [
        {
            "name": room.meeting_id,
            "clients": [{"server": spread(i, k, servers), "token": t} for k, t in enumerate(room.listener_tokens)],
        }
        for i, room in enumerate(rooms[:-1])
    ]
    last = rooms[-1]  # the catch-up meeting: a writer and the client that misses the edits, on different processes
    catchup = {
        "name": last.meeting_id,
        "clients": [{"server": spread(0, k, servers), "token": t} for k, t in enumerate(last.listener_tokens[:2])],
    }
    return meetings, catchup


def loadgen_config(running: Running, target: Target, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    return {
        "adapter": target.adapter,
        "servers": running.endpoints,
        "workers": args.loadgen_workers,
        "connect_concurrency": args.connect_concurrency,
        "connect_timeout_s": 60,
        "drain_s": args.drain,
        "text_bytes": 200,
        "mode": "load",
        **extra,
    }


def run_shape(
    running: Running, target: Target, shape: Shape, args: argparse.Namespace, directory: Path, measure_idle: bool
) -> dict[str, Any]:
    meetings = [{**m, "clients": m["clients"][: shape.clients]} for m in target.meetings[: shape.meetings]]
    config = loadgen_config(
        running,
        target,
        args,
        meetings=meetings,
        rate=shape.rate,
        seconds=shape.seconds,
        phase=shape.name,
        deadline_s=600 + shape.seconds + args.drain,
    )
    result: dict[str, Any] = {"shape": shape.name, "label": shape.label}
    rss_before = rss_kib(running.pids)
    loadgen = Loadgen(config, directory, f"{target.key}-{shape.name}")
    try:
        connected = loadgen.expect("connected", 600)
        result["connect"] = connected
        print(f"  {target.key} {shape.name}: {json.dumps({k: connected[k] for k in connected if k != 'pids'})}")
        if measure_idle:
            time.sleep(SETTLE_SECONDS)  # the presence/awareness storm of the connects settles
            rss_after = rss_kib(running.pids)
            result["idle_rss_before_mib"] = round(rss_before / 1024, 1)
            result["idle_rss_after_mib"] = round(rss_after / 1024, 1)
            result["idle_kib_per_connection"] = round((rss_after - rss_before) / max(1, connected["connected"]), 1)
        gen_pids = loadgen.pids(connected["pids"])
        loadgen.send("load")
        loadgen.expect("load_start", 30)
        service_pids = pids_named(target.services)
        cpu0, gen0, busy0, t0 = cpu_seconds(running.pids), cpu_seconds(gen_pids), machine_ticks(), time.monotonic()
        stolen0 = stolen_ticks()
        svc0 = cpu_ticks_by_pid(service_pids)
        loadgen.expect("load_stop", shape.seconds + 30)
        cpu1, gen1, busy1, t1 = cpu_seconds(running.pids), cpu_seconds(gen_pids), machine_ticks(), time.monotonic()
        stolen1 = stolen_ticks()
        svc1 = cpu_ticks_by_pid(service_pids)
        load = loadgen.expect("load_result", args.drain + 120)
        loadgen.send("close")
        loadgen.expect("closed", 60)
    finally:
        loadgen.send("close")
        loadgen.finish()
    window = t1 - t0
    machine = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * (os.cpu_count() or 1)
    server_cores = (cpu1 - cpu0) / window
    gen_cores = (gen1 - gen0) / window
    service_cores = cpu_seconds_between(svc0, svc1) / window
    result["load"] = load
    result["services_cpu_pct"] = round(service_cores * 100, 1) if target.services else None
    result["server_cpu_pct"] = round(server_cores * 100, 1)
    result["loadgen_cpu_pct"] = round(gen_cores * 100, 1)
    result["other_procs_cores"] = round(max(0.0, machine - server_cores - gen_cores - service_cores), 2)
    result["stolen_pct"] = round((stolen1[0] - stolen0[0]) / max(1, stolen1[1] - stolen0[1]) * 100, 1)
    result["server_rss_mib"] = round(rss_kib(running.pids) / 1024, 1)
    print(f"  {target.key} {shape.name}: {json.dumps({k: v for k, v in result.items() if k != 'connect'})}")
    return result


def run_catchup(running: Running, target: Target, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    config = loadgen_config(
        running,
        target,
        args,
        mode="catchup",
        meetings=[target.catchup],
        catchup={"edits": args.catchup_edits, "repeats": args.catchup_repeats},
        deadline_s=300,
    )
    loadgen = Loadgen(config, directory, f"{target.key}-catchup")
    try:
        result = loadgen.expect("catchup_result", 300)
    finally:
        loadgen.finish()
    print(f"  {target.key} catch-up: {json.dumps(result)}")
    return result


def run_target(target: Target, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    """Each shape on freshly started server processes (the same database), so that one shape's aftermath (a
    backlog, a stuck room) never shows up in the next; a shape that fails is recorded and the others still run."""
    shape_a, shape_b, shape_c = shapes(args.quick, args.seconds, args.shape_a, args.shape_b, args.shape_c)
    out: dict[str, Any] = {"target": target.key}
    steps: list[tuple[str, Callable[[Running], dict[str, Any]]]] = [
        ("A", lambda running: run_shape(running, target, shape_a, args, directory, measure_idle=True)),
        ("B", lambda running: run_shape(running, target, shape_b, args, directory, measure_idle=False)),
    ]
    if not args.without_c:
        steps.append(("C", lambda running: run_shape(running, target, shape_c, args, directory, measure_idle=False)))
    steps.append(("catchup", lambda running: run_catchup(running, target, args, directory)))
    for name, step in steps:
        running = target.start()
        try:
            out[name] = step(running)
        except Exception as failure:
            out[name] = {"error": str(failure)[:500]}
            print(f"  {target.key} {name} FAILED: {failure}", flush=True)
        finally:
            running.stop()
    return out


def setup_shape(args: argparse.Namespace) -> Shape:
    """Meetings and clients enough for every shape (each shape runs on the first of them)."""
    every = shapes(args.quick, args.seconds, args.shape_a, args.shape_b, args.shape_c)
    return Shape(
        "setup", max(s.meetings for s in every), max(s.clients for s in every), every[0].rate, every[0].seconds
    )


MODE = re.compile(r"sqlite|pg(?P<processes>[1-8])")


def mode_processes(mode: str) -> int:
    """`sqlite`: one process on SQLite; `pgN`: N processes on PostgreSQL + Redis."""
    match = MODE.fullmatch(mode)
    if match is None:
        raise ValueError(f"unknown mode {mode!r}: sqlite, or pgN for N processes on PostgreSQL + Redis (pg1-pg8)")
    return int(match["processes"] or 1)


def mode_name(mode: str) -> str:
    if mode == "sqlite":
        return "app, 1 process, SQLite"
    processes = mode_processes(mode)
    return f"app, {processes} process{'es' if processes > 1 else ''}, PostgreSQL + Redis"


@contextlib.contextmanager
def app_target(mode: str, setup: Shape, directory: Path) -> Iterator[Target]:
    """The app in `mode`, its meetings and invites made over HTTP (once; each shape then starts fresh processes on
    the same database). A PostgreSQL database is made for it and dropped after."""
    env = {**APP_ENV, "SOSBOARD_DATA_DIR": str(directory / f"data-{mode}")}
    processes = mode_processes(mode)
    database = None
    if mode == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'bench-sqlite.db'}"
    else:
        check_services()
        database = f"bench_compare_{os.getpid()}_{int(time.time())}"
        subprocess.run(["createdb", *POSTGRES_ADMIN, database], timeout=60, check=True)
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
        env |= {"SOSBOARD_BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}", "SOSBOARD_SECRET_KEY": "bench-" + database}

    def start() -> Running:
        servers: list[Server] = []

        def stop() -> None:
            for server in servers:
                server.stop()

        try:
            for _ in range(processes):  # one after the other: the first runs the migrations
                servers.append(Server(directory, env, database_url=url).start())
        except BaseException:
            stop()
            raise
        return Running(endpoints([s.port for s in servers]), [s.pid for s in servers], stop)

    try:
        running = start()
        try:
            t0 = time.monotonic()
            meetings, catchup = app_meetings(int(running.endpoints[0]["http"].rsplit(":", 1)[1]), setup, processes)
            setup_s = round(time.monotonic() - t0, 1)
        finally:
            running.stop()
        print(f"  app {mode}: {len(meetings)} meetings and their invites made in {setup_s} s", flush=True)
        services = ("postgres", "redis-server") if database is not None else ()
        yield Target(mode, "app", start, meetings, catchup, services, processes, setup_s)
    finally:
        if database is not None:
            subprocess.run(["dropdb", *POSTGRES_ADMIN, "--if-exists", "--force", database], timeout=60, check=False)


def run_app(mode: str, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    with app_target(mode, setup_shape(args), directory) as target:
        result = run_target(target, args, directory)
        result["setup_http_s"] = target.setup_s
        result["processes"] = target.processes
        return result


def run_hocuspocus(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    setup = setup_shape(args)

    def start() -> Running:
        peer = NodePeer(directory).start()
        return Running(endpoints([peer.port]), [peer.pid], peer.stop)

    meetings = [
        {"name": f"doc-{i}", "clients": [{"server": 0, "token": None}] * setup.clients} for i in range(setup.meetings)
    ]
    catchup = {"name": "doc-catchup", "clients": [{"server": 0, "token": None}] * 2}
    adapter = "hocuspocus-provider" if args.peer_client == "provider" else "hocuspocus"
    result = run_target(Target("hocuspocus", adapter, start, meetings, catchup), args, directory)
    result["processes"] = 1
    return result


def check_services() -> None:
    ready = subprocess.run(["pg_isready", "-q", *POSTGRES_ADMIN[:4]], timeout=30, check=False)
    if ready.returncode != 0:
        raise SystemExit("the pg modes need PostgreSQL on 127.0.0.1:5432 (scripts/ensure-test-services starts it)")
    try:
        with socket.create_connection(REDIS, timeout=3) as redis:
            redis.sendall(b"PING\r\n")
            if not redis.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as failure:
        raise SystemExit(
            f"the pg modes need Redis on 127.0.0.1:6379 ({failure}); see scripts/ensure-test-services"
        ) from None


# ---- report -------------------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _ratio(app: float | None, peer: float | None) -> str:
    if app is None or peer is None or peer == 0:
        return ""
    return f"{app / peer:.1f}x" if app / peer < 100 else f"{app / peer:,.0f}x"


Row = tuple[str, float | None, str]  # metric, number for the ratio (or None), cell text


def _failed(metrics: list[str], failure: dict[str, Any]) -> list[Row]:
    reason = str(failure["error"]).splitlines()[0][:120].replace("|", "/")
    return [(metric, None, f"failed: {reason}" if i == 0 else "failed") for i, metric in enumerate(metrics)]


def shape_rows(s: dict[str, Any], shape: Shape) -> list[Row]:
    label = f"{shape.name} ({shape.label})"
    metrics = [
        f"{label}: everywhere p50 ms",
        f"{label}: everywhere p99 ms",
        f"{label}: everywhere max ms",
        f"{label}: everywhere from the send the server took, p50 / p99 / max ms",
        f"{label}: edits sent/s (offered {shape.meetings * shape.rate:,.0f})",
        f"{label}: deliveries/s",
        f"{label}: lost deliveries",
        f"{label}: busy / other refusals / closes by the server, failed reconnects included (reconnected)",
        f"{label}: ack p50 / p99 ms",
        f"{label}: server CPU % of a core",
        f"{label}: PostgreSQL + Redis CPU % of a core",
        f"{label}: load generator CPU %, other procs cores, CPU stolen by the hypervisor %",
        f"{label}: load generator loop delay p99 / max ms",
    ]
    if "error" in s:
        return _failed(metrics, s)
    load = s["load"]
    ew = load["everywhere"]
    unacked = f" ({load['unacked']} edits unacked)" if load["unacked"] else ""
    values: list[tuple[float | None, str]] = [
        (ew["p50_ms"], _num(ew["p50_ms"], 2)),
        (ew["p99_ms"], _num(ew["p99_ms"], 2)),
        (ew["max_ms"], _num(ew["max_ms"], 2)),
        _taken(load),
        (load["edits_per_s"], _num(load["edits_per_s"], 0)),
        (load["deliveries_per_s"], _num(load["deliveries_per_s"], 0)),
        (None, f"{load['lost']:,} of {load['expected']:,}{unacked}"),
        (
            None,
            f"{load['busy']:,} / {sum(load['refusals'].values()):,} / {load['closed']:,} ({load['reconnects']:,})"
            + (f", {load['still_closed']} still closed" if load["still_closed"] else ""),
        ),
        (None, f"{_num(load['ack']['p50_ms'], 2)} / {_num(load['ack']['p99_ms'], 2)}"),
        (s["server_cpu_pct"], _num(s["server_cpu_pct"], 0)),
        (None, "" if s.get("services_cpu_pct") is None else _num(s["services_cpu_pct"], 0)),
        (None, f"{s['loadgen_cpu_pct']:.0f}%, {s['other_procs_cores']:.2f}, {s.get('stolen_pct', 0.0):.1f}%"),
        (None, f"{load['loop_delay_p99_ms']} / {load['loop_delay_max_ms']}"),
    ]
    return [(metric, number, text) for metric, (number, text) in zip(metrics, values, strict=True)]


def _taken(load: dict[str, Any]) -> tuple[float | None, str]:
    """The everywhere latency from the send the server took: the p99 for the ratio, and the cell."""
    taken = load.get("everywhere_taken")  # the peer's load has none: it never refuses
    if not taken or not taken.get("n"):
        return None, "n/a"
    cell = f"{_num(taken['p50_ms'], 2)} / {_num(taken['p99_ms'], 2)} / {_num(taken['max_ms'], 2)}"
    return taken["p99_ms"], cell


def once_rows(result: dict[str, Any], shape_a: Shape, edits: int) -> list[Row]:
    sockets = shape_a.meetings * shape_a.clients
    a = result["A"]
    connect_metrics = [
        f"memory per idle connection KiB ({sockets:,} sockets)",
        f"connect all {sockets:,} sockets s",
        "connect: per socket p50 / p99 ms, failures",
    ]
    if "error" in a:
        out = _failed(connect_metrics, a)
    else:
        per = a["connect"]["per_socket"]
        out = [
            (connect_metrics[0], a["idle_kib_per_connection"], _num(a["idle_kib_per_connection"])),
            (connect_metrics[1], a["connect"]["connect_all_s"], _num(a["connect"]["connect_all_s"], 2)),
            (
                connect_metrics[2],
                None,
                f"{_num(per['p50_ms'], 0)} / {_num(per['p99_ms'], 0)}, {a['connect']['failures']}",
            ),
        ]
    catchup_metrics = [f"catch-up after {edits:,} missed edits ms (median)", "catch-up: form of the answer, bytes"]
    c = result["catchup"]
    if "error" in c:
        return out + _failed(catchup_metrics, c)
    form = f"{c['hello']}, {c['hello_bytes']:,}" if c["hello_bytes"] else "sync of a fresh client (empty Y.Doc)"
    return [
        *out,
        (catchup_metrics[0], c["caught_up"]["p50_ms"], _num(c["caught_up"]["p50_ms"], 1)),
        (catchup_metrics[1], None, form),
    ]


def rows(result: dict[str, Any], results: dict[str, Any]) -> list[Row]:
    shape_a, shape_b, shape_c = shapes(
        results["quick"], results["seconds"], results["shape_a"], results["shape_b"], results.get("shape_c")
    )
    return [
        *shape_rows(result["A"], shape_a),
        *shape_rows(result["B"], shape_b),
        *(shape_rows(result["C"], shape_c) if "C" in result else []),
        *once_rows(result, shape_a, results["catchup_edits"]),
    ]


def markdown(results: dict[str, Any]) -> str:
    peer = results["targets"].get("hocuspocus")
    apps = [result for key, result in results["targets"].items() if key != "hocuspocus"]
    header = ["metric"] + [mode_name(app["target"]) for app in apps]
    if peer is not None:
        header.append(f"Hocuspocus {results['hocuspocus_version']}")
        header += [f"{app['target']} / Hocuspocus" for app in apps]
    table = [rows(app, results) for app in apps]
    peer_rows = rows(peer, results) if peer is not None else None
    reference = table[0] if table else (peer_rows or [])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for i, (metric, _n, _text) in enumerate(reference):
        cells = [metric] + [t[i][2] for t in table]
        if peer_rows is not None:
            cells.append(peer_rows[i][2])
            cells += [_ratio(t[i][1], peer_rows[i][1]) for t in table]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def section(results: dict[str, Any]) -> str:
    quick = " (quick: every shape shrunk)" if results["quick"] else ""
    other = ", ".join(f"{k} {v:.2f}" for k, v in results["other_load_cores_before"].items())
    peer_client = (
        "@hocuspocus/provider"
        if results["peer_client"] == "provider"
        else "a Y.Doc each on Hocuspocus' own protocol (y-protocols), every update applied"
    )
    return "\n".join(
        [
            BEGIN,
            f"## Side by side with Hocuspocus, {results['date']}{quick}",
            "",
            f"`{results['command']}`",
            "",
            f"Machine: {results['nproc']} x {results['cpu']}, {results['mem_gib']} GiB, shared; Python"
            f" {results['python']}, node {results['node']}; loadavg at start {' '.join(results['loadavg'])}; cores"
            f" used by other processes just before each target: {other}. One load generator (bench/peer/loadgen.mjs,"
            f" node, {results['loadgen_workers']} processes) drives every target, one after the other, on loopback;"
            " each shape on freshly started servers. Its clients: the app's sign in with their invite links and"
            " parse and apply every event; Hocuspocus' are "
            f"{peer_client}; no client sends presence (pings, `editing`, awareness) while the load runs. The ratio"
            " columns are app / Hocuspocus (above 1: the app is slower, bigger or busier; for edits/s and"
            " deliveries/s, above 1 is more).",
            "",
            "A mode of N processes on PostgreSQL spreads each meeting's clients over them (writer on process i % N,"
            " listeners in turn), so with two, half of every edit's deliveries cross processes through Redis."
            " *Everywhere*: the"
            " writer's first send of an edit until the last listener of its meeting has it (edits that never reached"
            " everyone are in *lost*, not in the percentiles). *Lost*: deliveries expected (edits sent x listeners"
            f" connected) minus received after a drain of up to {results['drain']:g} s. A client whose socket the"
            " server closed comes back as the board page does (after 0.25-5 s, with `since`; a writer resends what"
            " has no answer, with the same op_id), and what it then receives still counts. Idle memory and"
            " the connect storm (at most"
            f" {results['connect_concurrency']} in flight) are measured on shape A's sockets before its load starts."
            " Shape C is twice A's rate, the issue's 10 edits/s a meeting (40,000 deliveries/s with the writers'"
            " own): past one app process's capacity here, so it also shows the app's `busy` and the latency of the"
            " edits it takes. Definitions: the docstring of bench/compare.py.",
            "",
            markdown(results),
            "",
            END,
        ]
    )


def write_section(text: str, begin: str, end: str, after: str | None = None, path: Path = BENCHMARKS) -> None:
    """Put `text` (which starts with `begin` and ends with `end`) in place of the section between those markers;
    if there is none yet, right after the marker `after`, else before the first heading."""
    current = path.read_text()
    if begin in current and end in current:
        updated = current[: current.index(begin)] + text + current[current.index(end) + len(end) :]
    elif after is not None and after in current:
        at = current.index(after) + len(after)
        updated = current[:at] + "\n\n" + text + current[at:]
    else:
        match = re.search(r"^## ", current, flags=re.MULTILINE)
        at = match.start() if match else len(current)
        updated = current[:at] + text + "\n\n" + current[at:]
    path.write_text(updated)


@contextlib.contextmanager
def run_folder(prefix: str, results: dict[str, Any], json_path: Path | None) -> Iterator[Path]:
    """A temporary folder for a run's databases and logs: removed after a run that ends, kept (and its path said)
    after one that fails; the raw results written to `json_path` (if given) either way."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield directory
    except BaseException:
        print(f"logs kept in {directory}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(directory, ignore_errors=True)
    finally:
        if json_path:
            json_path.write_text(json.dumps(results, indent=2))


def report(text: str, write: Callable[[str], None] | None) -> None:
    """The section on stdout and, unless --no-write (`write` None), into BENCHMARKS.md."""
    print()
    print(text)
    if write is not None:
        write(text)
        print(f"\nwritten to {BENCHMARKS}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="shrink every shape (A: 20 meetings x 10 clients, B: 10 x 10, C: 20 x 10 at 10/s, 5 s each): the whole"
        " run in ~4 minutes",
    )
    parser.add_argument(
        "--modes",
        default="sqlite,pg2",
        help="app modes, comma-separated: sqlite (1 process, SQLite), pgN (N processes on PostgreSQL + Redis, "
        "N from 1 to 8); default sqlite,pg2 (for how far processes scale: python -m bench.scaling)",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip Hocuspocus (no ratios)")
    parser.add_argument(
        "--peer-client",
        choices=("raw", "provider"),
        default="raw",
        help="Hocuspocus clients: raw (default: a Y.Doc on Hocuspocus' protocol, y-protocols) or provider "
        "(@hocuspocus/provider, ~3x the load generator's CPU per delivery)",
    )
    parser.add_argument("--shape-a", help="shape A as MEETINGSxCLIENTS@RATE (default 200x20@5; --quick 20x10@5)")
    parser.add_argument("--shape-b", help="shape B as MEETINGSxCLIENTS@RATE (default 50x20@10; --quick 10x10@10)")
    parser.add_argument("--shape-c", help="shape C as MEETINGSxCLIENTS@RATE (default 200x20@10; --quick 20x10@10)")
    parser.add_argument(
        "--without-c", action="store_true", help="skip shape C (twice A's rate, past one app process's capacity)"
    )
    parser.add_argument("--seconds", type=float, help="length of each shape's load (default 20, --quick 5)")
    parser.add_argument("--drain", type=float, default=30.0, help="how long to wait for late deliveries (default 30 s)")
    parser.add_argument("--connect-concurrency", type=int, default=500, help="sockets in flight in the connect storm")
    parser.add_argument("--loadgen-workers", type=int, default=2, help="load generator processes holding the sockets")
    parser.add_argument("--catchup-edits", type=int, default=1000, help="edits the catching-up client missed")
    parser.add_argument("--catchup-repeats", type=int, default=5, help="catch-ups timed (the median is reported)")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        help="before each target, wait up to this many seconds for other load to go (default 30, --quick 5)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md (stdout only)")
    args = parser.parse_args(argv)
    if args.wait_quiet is None:
        args.wait_quiet = 5.0 if args.quick else 30.0
    modes = [mode for mode in args.modes.split(",") if mode]
    if unknown := [mode for mode in modes if MODE.fullmatch(mode) is None]:
        parser.error(f"unknown modes: {', '.join(unknown)} (sqlite, or pg1 to pg8)")

    node = ensure_peer_installed()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m bench.compare " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "quick": args.quick,
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "node": node,
        "hocuspocus_version": peer_version(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "seconds": args.seconds,
        "shape_a": args.shape_a,
        "shape_b": args.shape_b,
        "shape_c": None if args.without_c else args.shape_c,
        "catchup_edits": args.catchup_edits,
        "loadgen_workers": args.loadgen_workers,
        "peer_client": args.peer_client,
        "drain": args.drain,
        "connect_concurrency": args.connect_concurrency,
        "other_load_cores_before": {},
        "targets": {},
    }
    results["command"] = results["command"].rstrip()
    with run_folder("sosboard-compare-", results, args.json) as directory:
        plan: list[str] = [*modes] + ([] if args.no_peer else ["hocuspocus"])
        for key in plan:
            results["other_load_cores_before"][key] = round(wait_until_quiet(args.wait_quiet), 2)
            print(f"{key}: other load {results['other_load_cores_before'][key]:.2f} cores", flush=True)
            if key == "hocuspocus":
                results["targets"][key] = run_hocuspocus(args, directory)
            else:
                results["targets"][key] = run_app(key, args, directory)
        results["other_load_cores_after"] = round(busy_cores(2), 2)
    report(section(results), None if args.no_write else lambda text: write_section(text, BEGIN, END))
    return 0


if __name__ == "__main__":
    sys.exit(main())
