"""Soak: hours of a realistic conference load on one server, watching that nothing grows that should not.

    python -m bench.soak                       # 2 hours (the documented run; figures in SECURITY.md)
    python -m bench.soak --minutes 10          # a shorter look
    python -m bench.soak --help

The load, on loopback, against `python -m app.cli serve` on a fresh SQLite file (rate limit as shipped):

- `--meetings` meetings run at once (default 6), each with a chair, four professionals, a family tablet and the
  wall connected. Professionals add, edit and move cards (one op every few seconds each); the family adds its
  own words; the chair moves the phase on, opens and reveals scaling rounds (everyone answers), and starts and
  ends a closed part.
- Every few seconds one connection somewhere drops and comes back with `?since=` (a tablet's wifi).
- Every `--meeting-minutes` (default 10) the oldest meeting is finalised, its people leave, and a new one starts:
  rooms open and close all the time, as on a real day.

Every `--sample-seconds` it records, from /proc and the server's diagnostics line (`SOSBOARD_DIAGNOSTICS_SECONDS`,
counts only): resident memory, open file descriptors, threads, asyncio tasks, rooms and connections, and the
ops acknowledged and refused so far. At the end it prints a summary (memory at the first sample after warm-up
and at the end, the slope in MiB per hour over the second half, the range of FDs and of tasks per connection) and
writes every sample to `--out` (JSON).

"Flat" means: memory's slope over the second half under 5 MiB/hour, file descriptors and tasks per connection
back to their warm-up range whenever the load is back to the same shape. Errors other than the documented
refusals (`stale_version` after a conflict, `rate_limited`) count as failures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.fanout import Server, proc_memory_kib

DIAGNOSTICS = re.compile(r"diagnostics tasks=(\d+) rooms=(\d+) connections=(\d+)")
EXPECTED_REFUSALS = {"stale_version", "rate_limited", "card_not_found", "round_not_open", "closed_part_running"}
PHASES = ("welcome", "worries", "working_well", "childs_voice", "danger_statements", "scaling", "plan", "decision")
WORDS = (
    "Mia said she felt safe at Gran's house on Friday and wants to stay there more often.",
    "School reports Leo was on time every day this week and ate his lunch.",
    "Mum has started going to the group on Tuesdays and says it helps her sleep.",
    "The neighbour heard shouting late on Saturday night and rang the police.",
    "Dad has agreed not to drink when the children are staying with him.",
)


@dataclass
class Counters:
    acked: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    meetings: int = 0
    examples: dict[str, str] = field(default_factory=dict)

    def error(self, code: str) -> None:
        bucket = self.refused if code in EXPECTED_REFUSALS else self.failures
        bucket[code] = bucket.get(code, 0) + 1


@dataclass
class Person:
    role: str
    name: str
    cookie: str = ""


class Screen:
    """One connection that keeps its copy of the cards and reconnects with `since` when dropped."""

    def __init__(self, soak: Soak, meeting_id: str, person: Person) -> None:
        self.soak = soak
        self.meeting_id = meeting_id
        self.person = person
        self.seq = 0
        self.cards: dict[str, int] = {}  # id -> version
        self.columns: dict[str, str] = {}  # id -> column
        self.rounds_open: list[str] = []
        self.socket: Any = None
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        query = f"?since={self.seq}" if self.seq else ""
        self.socket = await websockets.connect(
            f"ws://127.0.0.1:{self.soak.server.port}/ws/meetings/{self.meeting_id}{query}",
            additional_headers={"Cookie": self.person.cookie, "Origin": f"http://127.0.0.1:{self.soak.server.port}"},
            compression=None,
            max_size=2**24,
            open_timeout=60,
        )
        self.reader = asyncio.create_task(self._read(self.socket))

    async def _read(self, socket: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in socket:
                frame = json.loads(text)
                kind = frame["type"]
                if kind == "hello":
                    if frame.get("board") is not None:
                        columns = frame["board"]["columns"]
                        self.cards = {c["id"]: c["version"] for cs in columns.values() for c in cs}
                        self.columns = {c["id"]: column for column, cs in columns.items() for c in cs}
                        self.rounds_open = [r["id"] for r in frame["board"].get("rounds", []) if not r["revealed"]]
                    for event in frame.get("missed") or []:
                        self._apply(event)
                    self.seq = frame["seq"]
                elif kind == "event":
                    self._apply(frame)
                elif kind in ("ack", "error") and frame.get("op_id") in self.waiting:
                    self.waiting.pop(frame["op_id"]).set_result(frame)

    def _apply(self, event: dict[str, Any]) -> None:
        self.seq = max(self.seq, event["seq"])
        for change in event["changes"]:
            if change["entity"] == "card":
                if change["value"] is None:
                    self.cards.pop(change["id"], None)
                else:
                    self.cards[change["id"]] = change["value"]["version"]
                    self.columns[change["id"]] = change["value"]["column"]
            elif change["entity"] == "round" and change["value"] is not None:
                if change["value"]["revealed"]:
                    with contextlib.suppress(ValueError):
                        self.rounds_open.remove(change["id"])
                elif change["id"] not in self.rounds_open:
                    self.rounds_open.append(change["id"])

    async def request(self, op: dict[str, Any]) -> dict[str, Any] | None:
        op_id = uuid.uuid4().hex
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[op_id] = answer
        try:
            await self.socket.send(json.dumps({"type": "op", "op_id": op_id, "op": op}))
            frame = await asyncio.wait_for(answer, 30)
        except (websockets.ConnectionClosed, TimeoutError):
            self.waiting.pop(op_id, None)
            return None
        if frame["type"] == "ack":
            self.soak.counters.acked += 1
        else:
            self.soak.counters.error(frame["code"])
            if frame["code"] not in EXPECTED_REFUSALS:
                self.soak.counters.examples.setdefault(frame["code"], f"{op['type']}: {frame['message']}")
        return frame

    async def drop_and_return(self) -> None:
        await self.close()
        self.soak.counters.reconnects += 1
        await self.connect()

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


class Soak:
    def __init__(self, args: argparse.Namespace, server: Server) -> None:
        self.args = args
        self.server = server
        self.counters = Counters()
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=60)
        self.rng = random.Random(args.seed)

    async def new_meeting(self, index: int) -> tuple[str, dict[str, Screen]]:
        created = await self.http.post(
            "/api/meetings", json={"title": f"Soak conference {index}", "chair_name": "Chair"}
        )
        created.raise_for_status()
        meeting_id = created.json()["meeting"]["id"]
        chair = Person("chair", "Chair", f"sos_{meeting_id}={created.cookies[f'sos_{meeting_id}']}")
        people = [chair]
        for role, name in [("professional", f"Worker {k}") for k in range(4)] + [
            ("family", "Family"),
            ("projector", "Wall"),
        ]:
            invited = await self.http.post(
                f"/api/meetings/{meeting_id}/participants",
                json={"display_name": name, "role": role},
                headers={"Cookie": chair.cookie},
            )
            invited.raise_for_status()
            token = str(invited.json()["invite_url"]).split("#", 1)[1]
            joined = await self.http.post("/api/join", json={"token": token})
            joined.raise_for_status()
            people.append(Person(role, name, f"sos_{meeting_id}={joined.cookies[f'sos_{meeting_id}']}"))
        screens = {p.name: Screen(self, meeting_id, p) for p in people}
        for screen in screens.values():
            await screen.connect()
        self.counters.meetings += 1
        return meeting_id, screens

    async def run_meeting(self, screens: dict[str, Screen], until: float) -> None:
        """The meeting's people at work until `until`; then it is finalised and everyone leaves."""
        workers = [s for s in screens.values() if s.person.role in ("professional", "family")]
        chair = screens["Chair"]

        async def work(screen: Screen) -> None:
            while time.monotonic() < until:
                await asyncio.sleep(self.rng.uniform(2, 6) * self.args.pace)
                choice = self.rng.random()
                if screen.person.role == "family" and 0.5 <= choice < 0.8:
                    choice = 0.9  # a family edits only its own words: it answers or adds instead
                if choice < 0.5 or not screen.cards:
                    column = (
                        "working_well"
                        if screen.person.role == "family"
                        else self.rng.choice(["worries", "working_well", "needs_to_happen"])
                    )
                    kind = {"worries": "harm", "working_well": "strength", "needs_to_happen": "next_step"}[column]
                    await screen.request(
                        {"type": "add_card", "column": column, "kind": kind, "text": self.rng.choice(WORDS)}
                    )
                elif choice < 0.8:
                    card_id, version = self.rng.choice(list(screen.cards.items()))
                    await screen.request(
                        {
                            "type": "edit_card",
                            "card_id": card_id,
                            "base_version": version,
                            "text": self.rng.choice(WORDS) + f" ({self.rng.randrange(1000)})",
                        }
                    )
                elif choice >= 0.8 and screen.rounds_open:
                    await screen.request(
                        {
                            "type": "answer_round",
                            "round_id": screen.rounds_open[-1],
                            "value": self.rng.randrange(11),
                            "reason": "Things are a bit better than last month.",
                        }
                    )
                elif screen.person.role != "family":
                    card_id = self.rng.choice(list(screen.cards))
                    column = screen.columns.get(card_id, "worries")
                    await screen.request({"type": "move_card", "card_id": card_id, "column": column, "position": 0})

        async def chair_work() -> None:
            step = 0
            while time.monotonic() < until:
                await asyncio.sleep(self.rng.uniform(20, 40) * self.args.pace)
                step += 1
                if step % 4 == 1:
                    await chair.request({"type": "set_phase", "phase": PHASES[(step // 4) % len(PHASES)]})
                elif step % 4 == 2:
                    await chair.request({"type": "open_round", "label": "start"})
                elif step % 4 == 3 and chair.rounds_open:
                    await chair.request({"type": "reveal_round", "round_id": chair.rounds_open[-1]})
                else:
                    started = await chair.request({"type": "start_closed_part"})
                    if started is not None and started["type"] == "ack":
                        await asyncio.sleep(self.rng.uniform(5, 15) * self.args.pace)
                        await chair.request({"type": "end_closed_part"})

        async def flaky_wifi() -> None:
            while time.monotonic() < until:
                await asyncio.sleep(self.rng.uniform(20, 60) * self.args.pace)
                with contextlib.suppress(OSError, websockets.WebSocketException):
                    await self.rng.choice(list(screens.values())).drop_and_return()

        await asyncio.gather(*(work(s) for s in workers), chair_work(), flaky_wifi())
        await chair.request({"type": "finalise"})
        for screen in screens.values():
            await screen.close()

    def sample(self, started: float) -> dict[str, Any]:
        pid = self.server.pid
        memory = proc_memory_kib(pid)
        status = Path(f"/proc/{pid}/status").read_text()
        threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M)[1])  # type: ignore[index]
        found = DIAGNOSTICS.findall(self.server.log_path.read_text(errors="replace"))
        tasks, rooms, connections = (int(x) for x in found[-1]) if found else (0, 0, 0)
        return {
            "minute": round((time.monotonic() - started) / 60, 2),
            "rss_kib": memory.get("VmRSS", 0),
            "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": threads,
            "tasks": tasks,
            "rooms": rooms,
            "connections": connections,
            "acked": self.counters.acked,
            "reconnects": self.counters.reconnects,
            "meetings": self.counters.meetings,
            "refused": dict(self.counters.refused),
            "failures": dict(self.counters.failures),
            "examples": dict(self.counters.examples),
        }

    async def run(self) -> list[dict[str, Any]]:
        started = time.monotonic()
        end = started + self.args.minutes * 60
        samples: list[dict[str, Any]] = []
        index = 0

        async def one_slot(slot: int) -> None:
            nonlocal index
            # Meetings start staggered, so one ends (and a new one starts) every few minutes.
            first_length = self.args.meeting_minutes * 60 * (slot + 1) / self.args.meetings
            length = first_length
            while time.monotonic() + 30 < end:
                index += 1
                _, screens = await self.new_meeting(index)
                await self.run_meeting(screens, min(end, time.monotonic() + length))
                length = self.args.meeting_minutes * 60

        async def sampler() -> None:
            while time.monotonic() < end:
                await asyncio.sleep(self.args.sample_seconds)
                samples.append(self.sample(started))
                last = samples[-1]
                print(
                    f"{last['minute']:7.1f} min  rss {last['rss_kib'] / 1024:6.1f} MiB  fds {last['fds']:4d}  "
                    f"tasks {last['tasks']:4d}  rooms {last['rooms']:2d}  conns {last['connections']:3d}  "
                    f"acked {last['acked']:7d}  reconnects {last['reconnects']:5d}  failures {last['failures']}",
                    flush=True,
                )

        await asyncio.gather(*(one_slot(k) for k in range(self.args.meetings)), sampler())
        await self.http.aclose()
        return samples


def summarise(samples: list[dict[str, Any]], warmup_minutes: float) -> dict[str, Any]:
    settled = [s for s in samples if s["minute"] >= warmup_minutes] or samples
    half = settled[len(settled) // 2 :]
    slope = 0.0
    if len(half) >= 2:
        minutes = [s["minute"] for s in half]
        rss = [s["rss_kib"] / 1024 for s in half]
        mean_m, mean_r = sum(minutes) / len(minutes), sum(rss) / len(rss)
        var = sum((m - mean_m) ** 2 for m in minutes)
        slope = sum((m - mean_m) * (r - mean_r) for m, r in zip(minutes, rss, strict=True)) / var * 60 if var else 0
    per_connection = [(s["tasks"] - 1) / s["connections"] for s in settled if s["connections"]]
    last = samples[-1]
    return {
        "minutes": last["minute"],
        "rss_mib_after_warmup": round(settled[0]["rss_kib"] / 1024, 1),
        "rss_mib_end": round(last["rss_kib"] / 1024, 1),
        "rss_mib_max": round(max(s["rss_kib"] for s in settled) / 1024, 1),
        "rss_slope_mib_per_hour_second_half": round(slope, 2),
        "fds_range": [min(s["fds"] for s in settled), max(s["fds"] for s in settled)],
        "threads_range": [min(s["threads"] for s in settled), max(s["threads"] for s in settled)],
        "tasks_per_connection_range": [round(min(per_connection), 2), round(max(per_connection), 2)]
        if per_connection
        else None,
        "ops_acked": last["acked"],
        "reconnects": last["reconnects"],
        "meetings": last["meetings"],
        "refused": last["refused"],
        "failures": last["failures"],
        "failure_examples": last.get("examples", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--meetings", type=int, default=6)
    parser.add_argument("--meeting-minutes", type=float, default=10)
    parser.add_argument("--sample-seconds", type=float, default=30)
    parser.add_argument("--warmup-minutes", type=float, default=10)
    parser.add_argument("--pace", type=float, default=1.0, help="multiplies every wait (0.2: five times busier)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="where to write the samples (JSON)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sosboard-soak-") as directory:
        server = Server(Path(directory), {"SOSBOARD_DIAGNOSTICS_SECONDS": str(min(10.0, args.sample_seconds / 2))})
        server.start()
        try:
            samples = asyncio.run(Soak(args, server).run())
        finally:
            server.stop()
    summary = summarise(samples, args.warmup_minutes)
    print(json.dumps(summary, indent=2))
    if args.out is not None:
        args.out.write_text(
            json.dumps({"args": vars(args) | {"out": str(args.out)}, "summary": summary, "samples": samples}, indent=2)
        )


if __name__ == "__main__":
    main()
