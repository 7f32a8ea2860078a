"""Retention: meetings past the deployment's retention period are deleted, except those under a legal hold.

When a meeting is past retention. The clock starts when the record was finalised, or, for a meeting never
finalised, when it was created (`COALESCE(finalised_at, created_at)`), not simply at `created_at`:

- Retention schedules for case records count from when a record is closed, and a conference record is closed when
  it is finalised. A chair may set a meeting up days ahead; the record made on the day must be kept as long as any
  other, counted from the day it became the record.
- `finalised_at` is never before `created_at`, so this never deletes anything sooner than counting from creation
  would; where the two differ, it keeps the record longer (the safe side of a mistake here is keeping).
- A meeting that was never finalised is a draft or an abandoned meeting, not a record; counting from its creation
  makes sure it goes too, instead of being kept forever for want of a finalising date.
- Addenda do not restart the clock: they belong to the record they correct.

How. Each meeting goes in its own transaction, which takes the meeting's row lock, checks again that it is still
past retention and not held (a hold placed since the meeting was listed wins), deletes every row that refers to
it, children first (`MEETING_TABLES`), then the meeting, and writes its "purged" audit row: a crash leaves either
the whole meeting or none of it, and never a deletion without its audit row. Each run then writes one "run" row
for the deployment (`DEPLOYMENT`). Audit rows and log lines hold ids and counts only, never names or words.

Several server processes may each run the scheduled purge: the row lock and the second check make two runs over
the same meeting harmless (the second finds it gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, CursorResult, Table, delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from app.domain.errors import MeetingNotFound
from app.store.database import Database
from app.store.tables import AuditEventRow, MeetingRow, as_utc, utcnow

logger = logging.getLogger("sosboard.retention")

DEPLOYMENT = "deployment"
"""The `meeting_id` of audit rows about the whole deployment (a purge run) rather than one meeting."""

Trigger = Literal["command", "schedule"]


def _tables_referring_to_meetings() -> list[tuple[Table, list[Any]]]:
    """Every table with a foreign key to meetings.id, children before parents (invites and sessions before
    participants), with the columns that refer to the meeting. Derived from the schema, so a table added later is
    purged too; a table referring to a meeting only through another table would make the delete fail loudly (a
    foreign key error, the whole meeting kept), never leave a half meeting."""
    meetings_id = SQLModel.metadata.tables["meetings"].c.id
    found = []
    for table in reversed(SQLModel.metadata.sorted_tables):
        columns = [fk.parent for fk in table.foreign_keys if fk.column is meetings_id]
        if columns:
            found.append((table, columns))
    return found


MEETING_TABLES = _tables_referring_to_meetings()
"""What a purge deletes for a meeting, in order, before the meeting's own row."""


@dataclass(frozen=True, slots=True)
class PurgedMeeting:
    meeting_id: str
    rows: dict[str, int] = field(hash=False)
    """Rows removed (or, in a dry run, that would be) per table, the meeting's own row included."""


@dataclass(frozen=True, slots=True)
class PurgeReport:
    retention_days: int
    cutoff: datetime
    """Meetings finalised (or, never finalised, created) before this moment are past retention."""
    dry_run: bool
    purged: list[PurgedMeeting]
    held: list[str]
    """Meetings past retention kept by a legal hold."""
    failed: list[str] = field(default_factory=list)
    """Meetings whose purge failed and were kept whole (the error is in the log, by type)."""

    @property
    def rows(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for meeting in self.purged:
            for table, count in meeting.rows.items():
                totals[table] = totals.get(table, 0) + count
        return totals


@dataclass(frozen=True, slots=True)
class RetentionState:
    legal_hold: bool
    purge_after: datetime | None
    """When the meeting becomes due for the purge (the next run after it deletes it unless a hold stands); None:
    no retention period is set."""


def _clock() -> ColumnElement[datetime]:
    """The moment retention counts from (see the module's docstring)."""
    return func.coalesce(col(MeetingRow.finalised_at), col(MeetingRow.created_at))


def cutoff_for(retention_days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=retention_days)


async def purge(
    db: Database,
    retention_days: int,
    *,
    dry_run: bool = False,
    trigger: Trigger = "command",
    now: datetime | None = None,
) -> PurgeReport:
    """Delete every meeting past retention and not under legal hold, one transaction each, and record it in the
    audit. A dry run deletes and records nothing, and reports what would go."""
    cutoff = cutoff_for(retention_days, now)
    expired, held = await _past_retention(db, cutoff)
    purged: list[PurgedMeeting] = []
    failed: list[str] = []
    for meeting_id in expired:
        if dry_run:
            purged.append(PurgedMeeting(meeting_id, await _count_rows(db, meeting_id)))
            continue
        try:
            done = await purge_meeting(db, meeting_id, retention_days, trigger=trigger, now=now)
        except Exception as error:  # one meeting's failure must not stop the others; its rows are all kept
            logger.error("purge of meeting %s failed (%s); it was kept whole", meeting_id, type(error).__name__)
            failed.append(meeting_id)
            continue
        if done is not None:
            purged.append(done)
    report = PurgeReport(retention_days, cutoff, dry_run, purged, held, failed)
    if not dry_run:
        await db.transaction(partial(_record_run, report=report, trigger=trigger))
    logger.info(
        "purge%s: %d meetings %s (%d rows), %d kept by legal hold, %d failed",
        " (dry run)" if dry_run else "",
        len(purged),
        "would go" if dry_run else "removed",
        sum(report.rows.values()),
        len(held),
        len(failed),
    )
    return report


async def purge_meeting(
    db: Database, meeting_id: str, retention_days: int, *, trigger: Trigger = "command", now: datetime | None = None
) -> PurgedMeeting | None:
    """Delete one meeting and every row of it, with its audit row, in one transaction, if under its row lock it is
    still past retention and not held. None: it was kept (held since it was listed, not expired, or gone)."""
    cutoff = cutoff_for(retention_days, now)

    def work(session: Session) -> PurgedMeeting | None:
        found = session.execute(
            select(col(MeetingRow.legal_hold), _clock().label("clock"))
            .where(col(MeetingRow.id) == meeting_id)
            .with_for_update()
        ).one_or_none()
        if found is None or found.legal_hold or as_utc(found.clock) >= cutoff:
            return None
        rows: dict[str, int] = {}
        for table, columns in MEETING_TABLES:
            for column in columns:
                result = cast(CursorResult[Any], session.execute(delete(table).where(column == meeting_id)))
                rows[table.name] = rows.get(table.name, 0) + result.rowcount
        result = cast(CursorResult[Any], session.execute(delete(MeetingRow).where(col(MeetingRow.id) == meeting_id)))
        rows["meetings"] = result.rowcount
        _audit(
            session,
            meeting_id,
            "purged",
            detail={"meeting_id": meeting_id, "retention_days": retention_days, "trigger": trigger, **_rows(rows)},
        )
        session.commit()
        return PurgedMeeting(meeting_id, rows)

    return await db.transaction(work)


async def _past_retention(db: Database, cutoff: datetime) -> tuple[list[str], list[str]]:
    """The meetings past retention, oldest first: those to purge, and those kept by a hold."""
    async with db.read() as session:
        found = await session.execute(
            select(col(MeetingRow.id), col(MeetingRow.legal_hold))
            .where(_clock() < cutoff)
            .order_by(_clock(), col(MeetingRow.id))
        )
        expired: list[str] = []
        held: list[str] = []
        for meeting_id, legal_hold in found.all():
            (held if legal_hold else expired).append(meeting_id)
        return expired, held


async def _count_rows(db: Database, meeting_id: str) -> dict[str, int]:
    """What `purge_meeting` would delete, table by table."""
    async with db.read() as session:
        rows: dict[str, int] = {}
        for table, columns in MEETING_TABLES:
            for column in columns:
                counted = await session.execute(select(func.count()).select_from(table).where(column == meeting_id))
                rows[table.name] = rows.get(table.name, 0) + int(counted.scalar_one())
        rows["meetings"] = 1
        return rows


def _record_run(session: Session, *, report: PurgeReport, trigger: Trigger) -> None:
    _audit(
        session,
        DEPLOYMENT,
        "purge_run",
        detail={
            "retention_days": report.retention_days,
            "cutoff": report.cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "trigger": trigger,
            "meetings": len(report.purged),
            "held": len(report.held),
            "failed": len(report.failed),
            **_rows(report.rows),
        },
    )
    session.commit()


def _rows(rows: Mapping[str, int]) -> dict[str, int]:
    """Row counts as flat detail keys (`rows_cards`: 12), the shape every audit detail has: ids and counts."""
    return {f"rows_{table}": count for table, count in sorted(rows.items())}


async def place_hold(db: Database, meeting_id: str, *, actor_id: str, role: str) -> bool:
    """Keep the meeting past the retention period until the hold is lifted. Audited ("hold_placed", who).
    Returns whether anything changed (placing a hold twice is one hold and one audit row)."""
    return await _set_hold(db, meeting_id, True, actor_id=actor_id, role=role)


async def lift_hold(db: Database, meeting_id: str, *, actor_id: str, role: str) -> bool:
    """Let the meeting go again: if it is past retention, the next purge deletes it. Audited ("hold_lifted")."""
    return await _set_hold(db, meeting_id, False, actor_id=actor_id, role=role)


async def _set_hold(db: Database, meeting_id: str, held: bool, *, actor_id: str, role: str) -> bool:
    def work(session: Session) -> bool:
        # The row lock orders this with a purge of the same meeting: the hold is placed before it or not at all.
        row = session.get(MeetingRow, meeting_id, with_for_update=True)
        if row is None:
            raise MeetingNotFound("There is no such meeting.")
        if row.legal_hold == held:
            return False
        row.legal_hold = held
        _audit(
            session,
            meeting_id,
            "hold_placed" if held else "hold_lifted",
            actor_id=actor_id,
            role=role,
            detail={"legal_hold": held},
        )
        session.commit()
        return True

    return await db.transaction(work)


async def retention_of(db: Database, meeting_id: str, retention_days: int | None) -> RetentionState:
    async with db.read() as session:
        found = (
            await session.execute(
                select(col(MeetingRow.legal_hold), _clock().label("clock")).where(col(MeetingRow.id) == meeting_id)
            )
        ).one_or_none()
        if found is None:
            raise MeetingNotFound("There is no such meeting.")
        purge_after = as_utc(found.clock) + timedelta(days=retention_days) if retention_days else None
        return RetentionState(legal_hold=bool(found.legal_hold), purge_after=purge_after)


def _audit(
    session: Session,
    meeting_id: str,
    action: str,
    *,
    actor_id: str | None = None,
    role: str | None = None,
    detail: Mapping[str, str | int | bool],
) -> None:
    """One audit row, in the caller's transaction; no actor and no role: the purge itself. Flat detail of ids,
    counts and flags, as app/store/audit.py's `check_detail` wants (this predates that repository: point this at
    its `add_event` once it settles)."""
    session.add(
        AuditEventRow(
            meeting_id=meeting_id,
            actor_id=actor_id,
            role=role,
            action=action,
            detail=json.dumps(detail, sort_keys=True, separators=(",", ":")),
        )
    )


class ScheduledPurge:
    """The server's own purge, every `every_hours` from start (the first run at start), as a background task: it
    never holds up a request (each meeting is its own short transaction) and logs counts only."""

    def __init__(self, db: Database, retention_days: int, every_hours: float) -> None:
        self.db = db
        self.retention_days = retention_days
        self.interval = every_hours * 3600
        self.runs = 0
        self.last_report: PurgeReport | None = None
        self.ran = asyncio.Event()
        """Set after each run (tests wait on it; clear it to wait for the next)."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run_forever(), name="scheduled-purge")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def run_once(self) -> PurgeReport | None:
        try:
            report = await purge(self.db, self.retention_days, trigger="schedule")
        except Exception as error:  # the next run tries again; the server goes on
            logger.error(
                "scheduled purge failed (%s); next run in %.1f hours", type(error).__name__, self.interval / 3600
            )
            report = None
        self.runs += 1
        self.last_report = report
        self.ran.set()
        return report

    async def _run_forever(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)


def scheduled_purge(db: Database, retention_days: int | None, purge_every_hours: float | None) -> ScheduledPurge | None:
    """The server's scheduled purge, started; None when the settings turn it off (the default)."""
    if purge_every_hours is None:
        return None
    if retention_days is None:
        logger.warning("purge_every_hours is set but retention_days is not: the server will not purge")
        return None
    scheduled = ScheduledPurge(db, retention_days, purge_every_hours)
    scheduled.start()
    return scheduled
