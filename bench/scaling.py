"""How far the app scales across processes: the edits per second that 1, 2 and 4 app processes on PostgreSQL +
Redis carry at the same p99, edit sent until the last client of its meeting has it.

    python -m bench.scaling                        # 1, 2 and 4 processes: about 15 minutes; into BENCHMARKS.md
    python -m bench.scaling --processes 1,2 --p99 100 --no-write
    python -m bench.scaling --help

Each process count gets a PostgreSQL database of its own (made for the run and dropped after it; 127.0.0.1:5432,
trust auth) and Redis (127.0.0.1:6379) as the broker, exactly as bench.compare's `pgN` modes: the meetings and their
invites made over HTTP once, then every step on freshly started processes. Each meeting's clients are spread over
the processes (writer of meeting i on process i % N, its listeners alternating), so with N > 1 most of an edit's
deliveries cross processes through Redis. The clients sign in with their invite links; the writers send real
`add_card` ops, each acked after its durable commit; the listeners parse and apply every event (bench/peer/
loadgen.mjs, the same load generator as bench.compare).

The writers' rate is stepped up (--steps: the total edits/s offered) until a step misses: its p99 is above --p99
ms, or an edit was refused `busy` or never acked, or a delivery was lost. With --tries N each step runs N times and
the try in the middle stands for it: one run's p99 swings with where a burst of slow commits falls. A process
count's *capacity* is the edits/s of the last step that held; the ratio is its capacity over one process's. On a
machine with few cores the load generator, PostgreSQL and Redis share them with the app, and the table says how
much each used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shlex
import sys
from pathlib import Path
from typing import Any

from bench import compare
from bench.compare import (
    Shape,
    app_target,
    ensure_peer_installed,
    mode_name,
    report,
    run_folder,
    run_shape,
    write_section,
)
from bench.fanout import cpu_model, wait_until_quiet

BEGIN = "<!-- bench.scaling: begin (written by python -m bench.scaling; the next run replaces it) -->"
END = "<!-- bench.scaling: end -->"
DEFAULT_STEPS = "50,100,150,200,300,400,600,800,1000,1500"


def held(step: dict[str, Any], p99_bound_ms: float) -> bool:
    """Every edit taken and acked, every delivery made, and p99 within the bound."""
    if "error" in step:
        return False
    load = step["load"]
    p99 = load["everywhere"]["p99_ms"]
    return (
        p99 is not None
        and p99 <= p99_bound_ms
        and load["busy"] == 0
        and load["lost"] == 0
        and load["unacked"] == 0
        and not load["refusals"]
    )


def median_try(tries: list[dict[str, Any]], p99_bound_ms: float) -> dict[str, Any]:
    """The try in the middle, ranked by whether it held and then by its p99 (with an even count, the better of the
    two middle ones): one run's p99 swings with where a burst of slow commits falls (62-395 ms at one rate)."""

    def rank(step: dict[str, Any]) -> tuple[bool, float]:
        p99 = None if "error" in step else step["load"]["everywhere"]["p99_ms"]
        return (not held(step, p99_bound_ms), float("inf") if p99 is None else p99)

    return sorted(tries, key=rank)[(len(tries) - 1) // 2]


def run_processes(processes: int, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    setup = Shape("setup", args.meetings, args.clients, 1, args.seconds)
    steps: list[dict[str, Any]] = []
    with app_target(f"pg{processes}", setup, directory) as target:
        for offered in args.steps:
            tries = []
            for attempt in range(1, args.tries + 1):
                # Each try a phase (its name) of its own: the load generator's op ids carry it, and a second try
                # sending the first one's ids would be answered as resends (acked, nothing new to deliver).
                name = f"{offered:g}-per-s-try{attempt}"
                shape = Shape(name, args.meetings, args.clients, offered / args.meetings, args.seconds)
                wait_until_quiet(args.wait_quiet)
                running = target.start()
                try:
                    tries.append(run_shape(running, target, shape, args, directory, measure_idle=False))
                except Exception as failure:
                    tries.append({"error": str(failure)[:500]})
                    print(f"  pg{processes} {shape.name} FAILED: {failure}", flush=True)
                finally:
                    running.stop()
            step = median_try(tries, args.p99)
            step["offered"] = offered
            step["held"] = held(step, args.p99)
            step["tries"], step["tries_held"] = len(tries), sum(held(t, args.p99) for t in tries)
            steps.append(step)
            if not step["held"]:
                break
    passing = [step for step in steps if step["held"]]
    capacity = passing[-1]["load"]["edits_per_s"] if passing else 0.0
    # Every step held: the capacity is past the last step, and only a lower bound.
    return {"processes": processes, "steps": steps, "capacity": capacity, "bounded": not steps[-1]["held"]}


def _cell(step: dict[str, Any]) -> str:
    if "error" in step:
        return f"failed: {str(step['error']).splitlines()[0][:80]}"
    load = step["load"]
    ew = load["everywhere"]
    p99 = "-" if ew["p99_ms"] is None else f"{ew['p99_ms']:,.0f}"
    p50 = "-" if ew["p50_ms"] is None else f"{ew['p50_ms']:,.1f}"
    misses = []
    if load["busy"]:
        misses.append(f"busy {load['busy']:,}")
    if load["lost"]:
        misses.append(f"lost {load['lost']:,}")
    if load["unacked"]:
        misses.append(f"unacked {load['unacked']:,}")
    cpu = (
        f"app {step['server_cpu_pct']:.0f}%, pg+redis {step['services_cpu_pct']:.0f}%,"
        f" gen {step['loadgen_cpu_pct']:.0f}%"
    )
    missed = "".join(f", {miss}" for miss in misses)
    tries = f" ({step['tries_held']} of {step['tries']} tries held)" if step.get("tries", 1) > 1 else ""
    return f"{load['edits_per_s']:,.0f}/s, p50 / p99 {p50} / {p99} ms{missed}{tries}; {cpu}"


def section(results: dict[str, Any]) -> str:
    runs = results["runs"]
    one = next((run["capacity"] for run in runs if run["processes"] == 1), None)
    offered = sorted({step["offered"] for run in runs for step in run["steps"]})
    header = ["edits/s offered"] + [mode_name(f"pg{run['processes']}") for run in runs]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for rate in offered:
        cells = [f"{rate:,g}"]
        for run in runs:
            step = next((s for s in run["steps"] if s["offered"] == rate), None)
            cells.append("" if step is None else ("" if step["held"] else "**missed:** ") + _cell(step))
        lines.append("| " + " | ".join(cells) + " |")
    capacities = ["**capacity** (edits/s at p99 <= " + f"{results['p99']:g} ms)"]
    ratios = ["ratio to 1 process"]
    for run in runs:
        capacities.append(f"**{'' if run['bounded'] else '>= '}{run['capacity']:,.0f}**")
        ratios.append("" if not one else f"{run['capacity'] / one:.2f}x")
    lines.append("| " + " | ".join(capacities) + " |")
    if one is not None:
        lines.append("| " + " | ".join(ratios) + " |")
    return "\n".join(
        [
            BEGIN,
            f"## Across processes: PostgreSQL + Redis, {results['date']}",
            "",
            f"`{results['command']}`",
            "",
            f"Machine: {results['nproc']} x {results['cpu']}, {results['mem_gib']} GiB, shared; Python"
            f" {results['python']}, node {results['node']}; loadavg at start {' '.join(results['loadavg'])}."
            f" {results['meetings']} meetings x {results['clients']} clients (one writer each),"
            f" {results['seconds']:g} s per step, each step on freshly started processes; every client signs in"
            " with its invite link, every edit is an `add_card` acked after its durable commit. A step *held* when"
            " every edit was taken and acked, every delivery made (after a drain of up to"
            f" {results['drain']:g} s), and p99 edit-to-every-client was at most {results['p99']:g} ms; each step"
            f" ran {results['tries']} time(s) and the try in the middle (ranked by holding, then p99) stands for it;"
            " the steps go up until one misses. Each cell: edits/s carried, p50 / p99 edit-to-every-client, what"
            " missed, and the CPU (% of one core) of the app's processes, of PostgreSQL and Redis, and of the load"
            " generator. Definitions: the docstring of bench/scaling.py.",
            "",
            "\n".join(lines),
            "",
            END,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scaling", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", default="1,2,4", help="process counts, comma-separated (default 1,2,4)")
    parser.add_argument("--steps", default=DEFAULT_STEPS, help=f"total edits/s offered, ascending ({DEFAULT_STEPS})")
    parser.add_argument("--p99", type=float, default=250.0, help="the p99 a step must keep, ms (default 250)")
    parser.add_argument("--meetings", type=int, default=100, help="meetings (default 100)")
    parser.add_argument("--clients", type=int, default=10, help="clients per meeting, one of them the writer (10)")
    parser.add_argument(
        "--tries", type=int, default=1, help="runs of each step; the one in the middle is kept (default 1)"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each step's load (default 15 s)")
    parser.add_argument("--drain", type=float, default=10.0, help="how long to wait for late deliveries (10 s)")
    parser.add_argument("--connect-concurrency", type=int, default=500, help="sockets in flight while connecting")
    parser.add_argument("--loadgen-workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--wait-quiet", type=float, default=15.0, help="wait up to this long for other load to go")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md (stdout only)")
    args = parser.parse_args(argv)
    try:
        counts = [int(n) for n in args.processes.split(",") if n]
        args.steps = [float(n) for n in args.steps.split(",") if n]
    except ValueError:
        parser.error("--processes and --steps are comma-separated numbers")
    if not counts or any(not 1 <= n <= 8 for n in counts):
        parser.error("process counts are from 1 to 8")
    if args.tries < 1:
        parser.error("--tries is at least 1")
    if not args.steps or args.steps != sorted(args.steps):
        parser.error("--steps: at least one rate, going up")

    node = ensure_peer_installed()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": ("python -m bench.scaling " + shlex.join(argv if argv is not None else sys.argv[1:])).rstrip(),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "node": node,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "meetings": args.meetings,
        "clients": args.clients,
        "seconds": args.seconds,
        "drain": args.drain,
        "p99": args.p99,
        "tries": args.tries,
        "runs": [],
    }
    with run_folder("sosboard-scaling-", results, args.json) as directory:
        for processes in counts:
            print(f"pg{processes}:", flush=True)
            results["runs"].append(run_processes(processes, args, directory))
            print(f"  pg{processes}: capacity {results['runs'][-1]['capacity']:,.0f} edits/s", flush=True)
    # The first time, right after bench.compare's section.
    write = None if args.no_write else lambda text: write_section(text, BEGIN, END, after=compare.END)
    report(section(results), write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
