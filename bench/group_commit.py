"""The op log's commit path on its own, in one process: how many durable edits a second it takes when many people
write at once, with and without group commit, and what happens past its capacity.

    python -m bench.group_commit            # about 40 s
    python -m bench.group_commit --quick    # about 15 s
    python -m bench.group_commit --help

No server and no sockets: `writers` tasks, each a person in a meeting of its own (spread over `meetings`), send
`add_card` ops closed loop (the next as soon as the last is answered) straight to `OpLog.commit`, on a fresh
SQLite file (WAL, synchronous=FULL, as the server runs it). What a socket would add is measured by bench.fanout.

Phases, each `--seconds` long:
- `one per transaction`: max_group=1, every op its own transaction and fsync (the op log before group commit);
- `group commit`: the default group bound (64);
- `past capacity`: more writers than the commit queue's bound (SOSBOARD_COMMIT_QUEUE_OPS's default), each
  resending a `busy` op after its retry_after; reports how many were told to retry and the latency of the ops
  accepted (from the send that was accepted to its answer).

Reported: ops/s committed, commit latency p50/p99/max, mean group size, busy refusals.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.board import CardKind, Column
from app.domain.operations import Actor, AddCard
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import MAX_GROUP_OPS, MAX_WAITING_OPS, Busy, OpLog


@dataclass
class Phase:
    name: str
    writers: int
    max_group: int
    max_waiting: int
    latencies_ns: list[int] = field(default_factory=list)
    busy: int = 0
    starved: int = 0
    """Writers that got not one op accepted in the whole phase."""
    seconds: float = 0.0
    groups: int = 0
    ops: int = 0
    cpu_seconds: float = 0.0


def pct(values: list[int], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] / 1e6


async def run_phase(directory: Path, phase: Phase, meetings_count: int, seconds: float) -> Phase:
    path = directory / (phase.name.replace(" ", "-") + ".db")
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.run_migrations()
    meetings = Meetings(db, 12)
    actors: list[tuple[str, Actor]] = []
    for _ in range(meetings_count):
        signed_in, _token = await meetings.create("Bench meeting", "Chair")
        actors.append((signed_in.meeting.id, Actor(signed_in.participant.id, signed_in.participant.role)))
    oplog = OpLog(db, max_group=phase.max_group, max_waiting=phase.max_waiting)
    until = time.monotonic() + seconds

    async def writer(n: int) -> None:
        meeting_id, actor = actors[n % len(actors)]
        k = 0
        accepted = False
        while time.monotonic() < until:
            op_id = f"w{n}-{k}"
            op = AddCard(column=Column.worries, kind=CardKind.harm, text=f"Bench card {n}/{k}: Jo felt safe today.")
            while time.monotonic() < until:
                sent = time.perf_counter_ns()
                try:
                    await oplog.commit(meeting_id, actor, op_id, op)
                except Busy as busy:
                    phase.busy += 1
                    await asyncio.sleep(busy.retry_after)  # as the client does: the same op after the wait
                    continue
                phase.latencies_ns.append(time.perf_counter_ns() - sent)
                accepted = True
                break
            k += 1
        if not accepted:
            phase.starved += 1

    cpu0, started = time.process_time(), time.monotonic()
    await asyncio.gather(*(writer(n) for n in range(phase.writers)))
    phase.seconds = time.monotonic() - started
    phase.cpu_seconds = time.process_time() - cpu0
    phase.groups, phase.ops = oplog.groups_committed, oplog.ops_in_groups
    await db.dispose()
    return phase


def other_load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter phases")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (default 10)")
    parser.add_argument("--writers", type=int, default=200, help="people writing at once (default 200)")
    parser.add_argument("--meetings", type=int, default=50, help="meetings they are spread over (default 50)")
    args = parser.parse_args()
    seconds = 4.0 if args.quick else args.seconds
    over = MAX_WAITING_OPS * 2
    phases = [
        Phase("one per transaction", args.writers, 1, args.writers),
        Phase("group commit", args.writers, MAX_GROUP_OPS, args.writers),
        Phase("past capacity", over, MAX_GROUP_OPS, MAX_WAITING_OPS),
    ]
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; loadavg at start {other_load()}")
    print(f"- command: `python -m bench.group_commit{' --quick' if args.quick else ''}`")
    print()
    print(
        "| phase | writers | meetings | group bound | queue bound | ops/s | commit p50/p99/max ms | mean group | busy"
        " | writers starved | CPU |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory(prefix="sos-group-commit-") as directory:
        for phase in phases:
            done = asyncio.run(run_phase(Path(directory), phase, args.meetings, seconds))
            lat = done.latencies_ns
            print(
                f"| {done.name} | {done.writers} | {args.meetings} | {done.max_group} | {done.max_waiting} "
                f"| {len(lat) / done.seconds:,.0f} | {pct(lat, 50):.2f}/{pct(lat, 99):.2f}/{max(lat) / 1e6:.1f} "
                f"| {done.ops / max(1, done.groups):.1f} | {done.busy:,} | {done.starved} "
                f"| {100 * done.cpu_seconds / done.seconds:.0f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()
