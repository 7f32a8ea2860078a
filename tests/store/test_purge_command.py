"""`sosboard purge` as an operator runs it: a subprocess against a prepared SQLite file, with the deployment's
settings from the environment. It prints ids and counts only."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.domain.roles import Role
from app.store import retention
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.tables import AuditEventRow, MeetingRow
from tests.conftest import ROOT

pytestmark = pytest.mark.asyncio

RETENTION_DAYS = 30


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Prepared:
    url: str
    expired: str
    held: str
    fresh: str


async def sosboard(*args: str, retention_days: int | None = RETENTION_DAYS) -> Result:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SOSBOARD_")}
    if retention_days is not None:
        env["SOSBOARD_RETENTION_DAYS"] = str(retention_days)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'deployment.db'}"


async def prepare(url: str) -> Prepared:
    """Three meetings, with names and words in them: one past retention, one past it but held, one new."""
    db = Database(url)
    try:
        await db.run_migrations()
        meetings = Meetings(db, session_hours=8)
        ids = []
        for title in ("Canary expired", "Canary held", "Canary fresh"):
            chair, _ = await meetings.create(title, "Canary Chair")
            await meetings.invite(chair.meeting.id, Role.family, "Canary Mum", None)
            ids.append((chair.meeting.id, chair.participant.id))
        (expired, _), (held, held_chair), (fresh, _) = ids
        long_ago = datetime.now(UTC) - timedelta(days=RETENTION_DAYS + 1)

        def age(session: Session) -> None:
            session.execute(
                update(MeetingRow).where(col(MeetingRow.id).in_([expired, held])).values(created_at=long_ago)
            )
            session.commit()

        await db.transaction(age)
        await retention.place_hold(db, held, actor_id=held_chair, role="chair")
        return Prepared(url, expired, held, fresh)
    finally:
        await db.dispose()


async def stored(url: str) -> tuple[set[str], list[str]]:
    """The meetings in the database, and the actions of the audit rows about retention."""
    db = Database(url)
    try:
        async with db.read() as session:
            meetings = set((await session.execute(select(col(MeetingRow.id)))).scalars())
            actions = (
                await session.execute(
                    select(col(AuditEventRow.action))
                    .where(col(AuditEventRow.action).in_(["purged", "purge_run"]))
                    .order_by(col(AuditEventRow.id))
                )
            ).scalars()
            return meetings, list(actions)
    finally:
        await db.dispose()


async def test_purge_deletes_what_is_past_retention_and_prints_ids_and_counts(url: str) -> None:
    prepared = await prepare(url)

    dry = await sosboard("purge", "--dry-run", "--database-url", url)

    assert dry.code == 0, dry.err
    assert "Dry run, nothing deleted: would delete 1 meeting(s)." in dry.out
    assert prepared.expired in dry.out and prepared.held in dry.out and prepared.fresh not in dry.out
    assert await stored(url) == ({prepared.expired, prepared.held, prepared.fresh}, [])

    done = await sosboard("purge", "--database-url", url)

    assert done.code == 0, done.err
    assert "deleted 1 meeting(s)." in done.out
    [line] = [line for line in done.out.splitlines() if prepared.expired in line]
    assert "meetings=1" in line and "participants=2" in line and "invites=2" in line, line
    assert "Kept by legal hold: 1." in done.out and prepared.held in done.out
    assert await stored(url) == ({prepared.held, prepared.fresh}, ["purged", "purge_run"])
    for output in (dry, done):
        assert "canary" not in (output.out + output.err).lower(), "ids and counts only"

    again = await sosboard("purge", "--database-url", url)

    assert again.code == 0, again.err
    assert "deleted 0 meeting(s)." in again.out and prepared.expired not in again.out
    assert await stored(url) == ({prepared.held, prepared.fresh}, ["purged", "purge_run", "purge_run"])


async def test_purge_without_a_retention_period_says_so_and_deletes_nothing(url: str) -> None:
    prepared = await prepare(url)

    result = await sosboard("purge", "--database-url", url, retention_days=None)

    assert result.code == 2
    assert "no retention period is set" in result.err and "SOSBOARD_RETENTION_DAYS" in result.err
    assert result.out == ""
    assert await stored(url) == ({prepared.expired, prepared.held, prepared.fresh}, [])
