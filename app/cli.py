"""`sosboard serve`: the app on the embedded default (SQLite file, in-process fan-out), no services needed.
`sosboard purge`: delete the meetings past the deployment's retention period (see app/store/retention.py).
`sosboard verify MEETING_ID`: recompute a meeting's hash chain (app/store/chain.py) and say whether it holds."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys

import uvicorn

from app.config import Settings
from app.domain.errors import MeetingNotFound
from app.log_privacy import PrivateLogLine, logging_config
from app.store import retention
from app.store.chain import Verification
from app.store.database import Database


class _SpuriousHandshakeError(logging.Filter):
    """uvicorn's websockets-sansio logs an error after a correct HTTP denial of a websocket upgrade (it does not
    count the denial as the end of the handshake). Refusing a socket without a session is routine, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


class _TextThatIsNotUtf8(logging.Filter):
    """A text frame that is not UTF-8 is the client's error, which the websocket layer answers with close 1007
    (docs/protocol.md). uvicorn logs it as an error with a traceback, which would read as the server failing and
    hide real failures among a hostile client's noise: one warning line says what happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Invalid UTF-8 sequence received from client"):
            record.msg, record.args = "A client sent a text frame that is not UTF-8; closed it with 1007.", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


SWITCH_INTERVAL_SECONDS = 0.001
"""How long a thread that wants the interpreter lock waits before the one holding it is asked to give it up (5 ms by
default). SQLite's writer thread gives the lock up around every statement (five a group) and must get it back from
the event loop's thread, which under load holds it more than half the time. One process on SQLite at 1,000 edits/s
(shape A), four pairs of runs alternating: 110 / 1,370 / 9,980 / 6,529 `busy` at 1 ms against 2,311 / 18,132 /
8,195 / 12,565 at 5 ms, accepted p99 106-250 ms against 164-454 ms, and B's p99 33-57 ms against 36-82 ms."""
ACCEPTED_SOCKET_LINE = '%s - "WebSocket %s" [accepted]'
"""uvicorn's line for every socket it accepts (the device's address and the path), written at INFO even with the
access log off."""


class _LineForEverySocket(logging.Filter):
    """The websockets library logs "connection open" and "connection closed" at INFO for every socket, and uvicorn
    one more line for each socket accepted: 12,000 lines when 4,000 screens reconnect after a restart, each formatted
    and written while the storm waits (uvicorn's alone were 3% of the server's work in bench.compare's connect storm).
    Like HTTP's access log (off), they tell an operator nothing to act on; a failed or refused connection still logs
    its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.INFO
            and record.msg in ("connection open", "connection closed", ACCEPTED_SOCKET_LINE)
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sosboard")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the board server")
    serve.add_argument("--host", help="default 127.0.0.1")
    serve.add_argument("--port", type=int, help="default 8000")
    serve.add_argument("--database-url", help="default: a SQLite file in ./data")
    serve.add_argument("--broker-url", help="memory:// (default) or redis://host:port")
    purge = commands.add_parser(
        "purge",
        help="delete the meetings past the retention period (SOSBOARD_RETENTION_DAYS), except those under legal hold",
    )
    purge.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")
    purge.add_argument("--database-url", help="default: SOSBOARD_DATABASE_URL, or the SQLite file in ./data")
    verify = commands.add_parser(
        "verify",
        help="recompute a meeting's hash chain and say whether its record still is what was recorded "
        "(exit 0: it holds; 1: it does not; 2: no such meeting)",
    )
    verify.add_argument("meeting_id", metavar="MEETING_ID")
    verify.add_argument("--database-url", help="default: SOSBOARD_DATABASE_URL, or the SQLite file in ./data")
    migrate = commands.add_parser(
        "migrate",
        help="bring the database's schema up to date and exit (serve does it too; a deployment with several "
        "replicas runs this once before them)",
    )
    migrate.add_argument("--database-url", help="default: SOSBOARD_DATABASE_URL, or the SQLite file in ./data")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        sys.exit(_migrate(args))
    if args.command == "purge":
        sys.exit(_purge(args))
    if args.command == "verify":
        sys.exit(_verify(args))
    _serve(args)


def _serve(args: argparse.Namespace) -> None:
    from app.main import create_app  # the web app only for serving: `purge` starts faster without it
    from realtime.uvicorn_protocol import BoardWebSocketProtocol

    overrides = {
        key: value
        for key, value in {
            "host": args.host,
            "port": args.port,
            "database_url": args.database_url,
            "broker_url": args.broker_url,
        }.items()
        if value is not None
    }
    settings = Settings(**overrides)
    logging.getLogger("uvicorn.error").addFilter(_SpuriousHandshakeError())
    logging.getLogger("uvicorn.error").addFilter(_TextThatIsNotUtf8())
    logging.getLogger("uvicorn.error").addFilter(_LineForEverySocket())
    _log_app_lines(settings.log_level)
    app = create_app(settings)
    # What start-up made (modules, the ORM's and pydantic's schemas) lives as long as the process: out of the
    # collector's way, so its full collections, with thousands of connections open, stop rescanning it.
    gc.collect()
    gc.freeze()
    # A full collection stops the event loop for as long as it takes to scan every object: 225-262 ms with 4,000
    # connections open, every 15 s or so under load. In that pause the loop reads nothing; after it, the edits sent
    # meanwhile arrive at once and push the commit queue past its share for new ops, so they are refused `busy`
    # (A at 1,000 edits/s: 600-757 refusals, every one in such a moment, and a p99 of 535-812 ms). Almost all
    # garbage here is freed by reference counting. Cycles are still collected: young ones every 10,000 new objects
    # (and 200,000), old ones by a full collection every 4 million instead of every 70,000, which under that load
    # is about every 15 minutes: A 25-52 refusals, p99 65-81 ms.
    gc.set_threshold(10_000, 20, 20)
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ws=BoardWebSocketProtocol,
        # Browsers always ask for per-message deflate; for small edits it costs +58% CPU and twice the memory.
        ws_per_message_deflate=False,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ws_ping_seconds,
        ws_ping_timeout=settings.ws_ping_timeout_seconds,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=settings.log_level,
        log_config=logging_config(),  # no names, words, cookies or query strings; one line per message
        timeout_graceful_shutdown=5,
    )


def _log_app_lines(level: str) -> None:
    """The app's own log lines (ids and counts, never names or words: the scheduled purge's counts, a failed
    commit) on stderr beside uvicorn's, at the level uvicorn logs at."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    handler.addFilter(PrivateLogLine())
    app_log = logging.getLogger("sosboard")
    app_log.addHandler(handler)
    app_log.setLevel(uvicorn.config.LOG_LEVELS[level])
    app_log.propagate = False


def _purge(args: argparse.Namespace) -> int:
    """One purge with the deployment's settings. Prints ids and counts only. Exit 0, 1 if a meeting failed (it was
    kept whole; run again), 2 if no retention period is set."""
    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    if settings.retention_days is None:
        print(
            "sosboard purge: no retention period is set, so nothing is past it and nothing was deleted. "
            "Set SOSBOARD_RETENTION_DAYS (the days a meeting is kept after it was finalised, or created if it never "
            "was) to purge.",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(_run_purge(settings.resolved_database_url(), settings.retention_days, args.dry_run))
    print(_describe(report))
    return 1 if report.failed else 0


async def _run_purge(database_url: str, retention_days: int, dry_run: bool) -> retention.PurgeReport:
    db = Database(database_url)
    try:
        await db.run_migrations()
        return await retention.purge(db, retention_days, dry_run=dry_run, trigger="command")
    finally:
        await db.dispose()


def _describe(report: retention.PurgeReport) -> str:
    verb = "would delete" if report.dry_run else "deleted"
    lines = [
        f"Retention {report.retention_days} days: meetings finalised (or, never finalised, created) before "
        f"{report.cutoff.isoformat(timespec='seconds')}.",
        f"{'Dry run, nothing deleted: ' if report.dry_run else ''}{verb} {len(report.purged)} meeting(s).",
    ]
    lines += [f"  {meeting.meeting_id}  {_counts(meeting.rows)}" for meeting in report.purged]
    if report.purged:
        lines.append(f"  rows {verb}: {_counts(report.rows)}")
    lines.append(f"Kept by legal hold: {len(report.held)}.")
    lines += [f"  {meeting_id}" for meeting_id in report.held]
    if report.failed:
        lines.append(f"Failed, kept whole (see the log; run again): {len(report.failed)}.")
        lines += [f"  {meeting_id}" for meeting_id in report.failed]
    return "\n".join(lines)


def _counts(rows: dict[str, int]) -> str:
    return " ".join(f"{table}={count}" for table, count in sorted(rows.items()))


def _migrate(args: argparse.Namespace) -> int:
    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))

    async def run(database_url: str) -> None:
        db = Database(database_url)
        try:
            await db.run_migrations()
        finally:
            await db.dispose()

    asyncio.run(run(settings.resolved_database_url()))
    print("sosboard migrate: the schema is up to date.")
    return 0


def _verify(args: argparse.Namespace) -> int:
    """Recompute one meeting's chain from its genesis, and check its stored record is its log replayed. Exit 0
    when both hold, 1 when either does not, 2 for an unknown meeting."""
    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    try:
        chain, matches = asyncio.run(_run_verify(settings.resolved_database_url(), args.meeting_id))
    except MeetingNotFound:
        print(f"sosboard verify: there is no meeting {args.meeting_id}.", file=sys.stderr)
        return 2
    print(_describe_verification(args.meeting_id, chain, matches))
    return 0 if chain.holds and matches else 1


async def _run_verify(database_url: str, meeting_id: str) -> tuple[Verification, bool]:
    from app.store.oplog import OpLog  # the op log only for verifying: `purge` starts faster without it

    db = Database(database_url)
    try:
        await db.run_migrations()
        return await OpLog(db).verify(meeting_id)
    finally:
        await db.dispose()


def _describe_verification(meeting_id: str, chain: Verification, matches: bool) -> str:
    lines = [f"Meeting {meeting_id}"]
    if chain.holds:
        lines.append(f"Chain: holds over {chain.ops} op(s).")
        lines.append(f"Last hash: {chain.last_hash or 'none (no ops yet)'}")
    else:
        lines.append(f"Chain: BROKEN at seq {chain.first_broken_seq}.")
        lines.append(f"Problem: {chain.problem}")
    if matches:
        lines.append("Record: matches its log (the stored meeting is its log replayed).")
    elif chain.holds:
        lines.append("Record: DOES NOT MATCH its log: the stored meeting was changed behind the log's back.")
    else:
        lines.append("Record: not checked against its log, which does not hold.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
