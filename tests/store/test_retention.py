"""Retention: the purge removes exactly the meetings past retention and not under legal hold, every row of them and
nothing of any other meeting, and the audit says what went, by id and count only. On SQLite and PostgreSQL.

The PostgreSQL database is shared by the test session, so each test looks only at its own meetings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from app.domain.board import CardKind, Column
from app.domain.errors import MeetingNotFound
from app.domain.operations import Actor, AddCard
from app.domain.roles import Role
from app.store import retention
from app.store.database import Database
from app.store.lobby import Lobby
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from app.store.tables import AuditEventRow, MeetingRow

from ._support import op_id

pytestmark = pytest.mark.asyncio

RETENTION_DAYS = 30
CANARY = "Canary"
"""In every name, title and card of the meetings made here: it must never reach the audit trail."""


@dataclass(frozen=True)
class Made:
    meeting_id: str
    chair_id: str


async def a_meeting(db: Database, *, age_days: float = 0, finalised_days_ago: float | None = None) -> Made:
    """A meeting with something in every table: people, invites, sessions, ops, cards, the conference state, a room
    code and a device in its lobby."""
    meetings = Meetings(db, session_hours=8)
    chair, _ = await meetings.create(f"{CANARY} conference for Jay", f"{CANARY} Chair")
    meeting_id = chair.meeting.id
    worker = await meetings.invite(meeting_id, Role.professional, f"{CANARY} Social Worker", f"{CANARY} Council")
    await meetings.invite(meeting_id, Role.family, f"{CANARY} Mum", None)
    await meetings.join(worker.invite_token)
    lobby = Lobby(db, bytes(32), session_hours=8)
    room_code = await lobby.create_code(meeting_id, chair.participant)
    await lobby.arrive(room_code.code)
    oplog = OpLog(db)
    for words in ("bruise on the arm", "missed school"):
        add = AddCard(column=Column.worries, kind=CardKind.harm, text=f"{CANARY} {words}")
        await oplog.commit(meeting_id, Actor(worker.participant.id, Role.professional), op_id(), add)
    now = datetime.now(UTC)
    await set_times(db, meeting_id, created_at=now - timedelta(days=age_days))
    if finalised_days_ago is not None:
        await set_times(db, meeting_id, finalised_at=now - timedelta(days=finalised_days_ago))
    return Made(meeting_id, chair.participant.id)


async def set_times(db: Database, meeting_id: str, **times: datetime) -> None:
    """Ages a meeting the way only a test may: straight in the database."""

    def work(session: Session) -> None:
        session.execute(update(MeetingRow).where(col(MeetingRow.id) == meeting_id).values(**times))
        session.commit()

    await db.transaction(work)


async def rows_of(db: Database, meeting_id: str) -> dict[str, int]:
    """Rows that belong to the meeting in every table of the real database (not only the known ones), the audit
    trail aside."""
    async with db.read() as session:
        connection = await session.connection()
        columns_of: dict[str, set[str]] = await connection.run_sync(
            lambda sync: {
                name: {c["name"] for c in inspect(sync).get_columns(name)} for name in inspect(sync).get_table_names()
            }
        )
        counts: dict[str, int] = {}
        for name, columns in sorted(columns_of.items()):
            if name in {"alembic_version", "audit_events"}:
                continue
            key = "id" if name == "meetings" else "meeting_id"
            assert key in columns, f"table {name} has no meeting_id: does a purge reach it?"
            table = SQLModel.metadata.tables.get(name)
            assert table is not None, f"table {name} is in the database but not in app/store/tables.py"
            found = await session.execute(select(func.count()).select_from(table).where(table.c[key] == meeting_id))
            counts[name] = int(found.scalar_one())
        return counts


RETENTION_ACTIONS = {"purged", "purge_run", "hold_placed", "hold_lifted"}


async def audit_rows(db: Database, meeting_id: str, everything: bool = False) -> list[AuditEventRow]:
    """The meeting's audit rows about retention (or, `everything`, all its rows: joins, invites...)."""
    async with db.read() as session:
        found = await session.execute(
            select(AuditEventRow).where(col(AuditEventRow.meeting_id) == meeting_id).order_by(col(AuditEventRow.id))
        )
        return [row for row in found.scalars() if everything or row.action in RETENTION_ACTIONS]


async def run_rows(db: Database) -> list[AuditEventRow]:
    return await audit_rows(db, retention.DEPLOYMENT)


def only(ids: list[str], mine: set[str]) -> set[str]:
    return set(ids) & mine


async def test_purge_removes_exactly_the_expired_meetings_and_every_row_of_them(db: Database) -> None:
    expired = await a_meeting(db, age_days=RETENTION_DAYS + 5)
    just_expired = await a_meeting(db, age_days=RETENTION_DAYS + 0.01)
    fresh = await a_meeting(db, age_days=RETENTION_DAYS - 1)
    new = await a_meeting(db)
    # Made long ago but finalised recently: retention counts from the record's finalising.
    finalised_late = await a_meeting(db, age_days=RETENTION_DAYS + 100, finalised_days_ago=RETENTION_DAYS - 3)
    finalised_long_ago = await a_meeting(db, age_days=RETENTION_DAYS + 9, finalised_days_ago=RETENTION_DAYS + 8)
    mine = {m.meeting_id for m in (expired, just_expired, fresh, new, finalised_late, finalised_long_ago)}
    gone = {expired.meeting_id, just_expired.meeting_id, finalised_long_ago.meeting_id}
    kept = mine - gone
    before = {meeting_id: await rows_of(db, meeting_id) for meeting_id in mine}
    for counts in before.values():
        assert all(counts.values()), f"every table has rows of the meeting before the purge: {counts}"

    report = await retention.purge(db, RETENTION_DAYS)

    assert {p.meeting_id for p in report.purged} & mine == gone
    assert report.failed == [] and not report.dry_run
    for meeting_id in gone:
        assert set((await rows_of(db, meeting_id)).values()) == {0}, "nothing of a purged meeting is left"
        [purged] = [p for p in report.purged if p.meeting_id == meeting_id]
        assert purged.rows == before[meeting_id], "the report counts every row removed, table by table"
    for meeting_id in kept:
        assert await rows_of(db, meeting_id) == before[meeting_id], "nothing of another meeting is touched"
    meetings = Meetings(db, session_hours=8)
    for meeting_id in gone:
        with pytest.raises(MeetingNotFound):
            await meetings.get(meeting_id)


async def test_the_audit_says_what_went_by_id_and_count_only(db: Database) -> None:
    expired = await a_meeting(db, age_days=RETENTION_DAYS + 1)
    before = await rows_of(db, expired.meeting_id)
    runs_before = len(await run_rows(db))

    report = await retention.purge(db, RETENTION_DAYS)

    [event] = await audit_rows(db, expired.meeting_id)
    assert (event.action, event.actor_id, event.role) == ("purged", None, None)
    detail = json.loads(event.detail)
    assert detail == {
        "meeting_id": expired.meeting_id,
        "retention_days": RETENTION_DAYS,
        "trigger": "command",
        **{f"rows_{table}": count for table, count in before.items()},
    }
    # One row for the run, with the totals; the meetings' own rows say which.
    runs = await run_rows(db)
    assert len(runs) == runs_before + 1
    run = json.loads(runs[-1].detail)
    assert runs[-1].action == "purge_run"
    assert run["meetings"] == len(report.purged) and run["retention_days"] == RETENTION_DAYS
    assert run["rows_meetings"] == len(report.purged) and run["held"] == len(report.held)
    # The trail outlives the meeting: none of its rows (retention's or any other) holds a name or a word.
    for row in [*await audit_rows(db, expired.meeting_id, everything=True), *runs]:
        stored = " ".join(str(value) for value in (row.meeting_id, row.actor_id, row.role, row.action, row.detail))
        assert CANARY.lower() not in stored.lower(), "no name, title or words in the audit"
        for key, value in json.loads(row.detail).items():
            assert not isinstance(value, str) or " " not in value, (key, value)


async def test_a_held_meeting_survives_and_goes_once_the_hold_is_lifted(db: Database) -> None:
    held = await a_meeting(db, age_days=RETENTION_DAYS + 40)
    before = await rows_of(db, held.meeting_id)
    assert await retention.place_hold(db, held.meeting_id, actor_id=held.chair_id, role="chair")
    assert not await retention.place_hold(db, held.meeting_id, actor_id=held.chair_id, role="chair")

    first = await retention.purge(db, RETENTION_DAYS)

    assert held.meeting_id in first.held
    assert held.meeting_id not in {p.meeting_id for p in first.purged}
    assert await rows_of(db, held.meeting_id) == before
    state = await retention.retention_of(db, held.meeting_id, RETENTION_DAYS)
    assert state.legal_hold and state.purge_after is not None and state.purge_after < datetime.now(UTC)

    assert await retention.lift_hold(db, held.meeting_id, actor_id=held.chair_id, role="chair")
    assert not await retention.lift_hold(db, held.meeting_id, actor_id=held.chair_id, role="chair")
    second = await retention.purge(db, RETENTION_DAYS)

    assert held.meeting_id in {p.meeting_id for p in second.purged}
    assert set((await rows_of(db, held.meeting_id)).values()) == {0}
    events = [(e.action, e.actor_id, e.role, json.loads(e.detail)) for e in await audit_rows(db, held.meeting_id)]
    assert events[:2] == [
        ("hold_placed", held.chair_id, "chair", {"legal_hold": True}),
        ("hold_lifted", held.chair_id, "chair", {"legal_hold": False}),
    ], "one row per change of hold, with who"
    assert [e[0] for e in events] == ["hold_placed", "hold_lifted", "purged"]


async def test_a_hold_placed_after_the_meeting_was_listed_still_wins(db: Database) -> None:
    """The purge checks again under the meeting's row lock, so a hold placed while a run is under way holds."""
    meeting = await a_meeting(db, age_days=RETENTION_DAYS + 2)
    await retention.place_hold(db, meeting.meeting_id, actor_id=meeting.chair_id, role="chair")

    assert await retention.purge_meeting(db, meeting.meeting_id, RETENTION_DAYS) is None
    fresh = await a_meeting(db, age_days=1)
    assert await retention.purge_meeting(db, fresh.meeting_id, RETENTION_DAYS) is None
    assert await retention.purge_meeting(db, "no-such-meeting", RETENTION_DAYS) is None
    assert all((await rows_of(db, meeting.meeting_id)).values())
    assert all((await rows_of(db, fresh.meeting_id)).values())
    assert [e.action for e in await audit_rows(db, meeting.meeting_id)] == ["hold_placed"]


async def test_a_dry_run_lists_what_would_go_and_removes_nothing(db: Database) -> None:
    expired = await a_meeting(db, age_days=RETENTION_DAYS + 3)
    held = await a_meeting(db, age_days=RETENTION_DAYS + 3)
    await retention.place_hold(db, held.meeting_id, actor_id=held.chair_id, role="chair")
    before = await rows_of(db, expired.meeting_id)
    runs_before = len(await run_rows(db))

    report = await retention.purge(db, RETENTION_DAYS, dry_run=True)

    assert report.dry_run
    [would] = [p for p in report.purged if p.meeting_id == expired.meeting_id]
    assert would.rows == before, "a dry run counts what would go, table by table"
    assert held.meeting_id in report.held
    assert await rows_of(db, expired.meeting_id) == before
    assert await audit_rows(db, expired.meeting_id) == []
    assert len(await run_rows(db)) == runs_before, "a dry run records nothing"


async def test_a_second_run_removes_nothing_more(db: Database) -> None:
    expired = await a_meeting(db, age_days=RETENTION_DAYS + 3)
    fresh = await a_meeting(db)
    first = await retention.purge(db, RETENTION_DAYS)
    assert expired.meeting_id in {p.meeting_id for p in first.purged}
    after_first = await rows_of(db, fresh.meeting_id)

    second = await retention.purge(db, RETENTION_DAYS)

    assert only([p.meeting_id for p in second.purged], {expired.meeting_id, fresh.meeting_id}) == set()
    assert await rows_of(db, fresh.meeting_id) == after_first
    assert [e.action for e in await audit_rows(db, expired.meeting_id)] == ["purged"], "purged once"


async def test_retention_state_says_when_a_meeting_becomes_due(db: Database) -> None:
    meeting = await a_meeting(db, age_days=10)
    state = await retention.retention_of(db, meeting.meeting_id, RETENTION_DAYS)
    assert not state.legal_hold and state.purge_after is not None
    due_in = state.purge_after - datetime.now(UTC)
    assert timedelta(days=RETENTION_DAYS - 10, minutes=-5) < due_in < timedelta(days=RETENTION_DAYS - 10)

    finalised_at = datetime.now(UTC) - timedelta(days=2)
    await set_times(db, meeting.meeting_id, finalised_at=finalised_at)
    state = await retention.retention_of(db, meeting.meeting_id, RETENTION_DAYS)
    assert state.purge_after == finalised_at + timedelta(days=RETENTION_DAYS), "counted from the finalising"

    assert (await retention.retention_of(db, meeting.meeting_id, None)).purge_after is None
    with pytest.raises(MeetingNotFound):
        await retention.retention_of(db, "no-such-meeting", RETENTION_DAYS)
    with pytest.raises(MeetingNotFound):
        await retention.place_hold(db, "no-such-meeting", actor_id=meeting.chair_id, role="chair")


async def test_the_purge_reaches_every_table_that_refers_to_a_meeting() -> None:
    """The tables a purge deletes from come from the schema: children before their parents."""
    names = [table.name for table, _columns in retention.MEETING_TABLES]
    assert set(names) == {
        "participants",
        "invites",
        "sessions",
        "ops",
        "cards",
        "meeting_states",
        "room_codes",
        "lobby_entries",
    }
    assert names.index("invites") < names.index("participants")
    assert names.index("sessions") < names.index("participants")
    assert names.index("room_codes") < names.index("participants")
    assert names.index("lobby_entries") < names.index("participants")


async def test_a_meeting_that_fails_is_kept_whole_and_the_others_still_go(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = await a_meeting(db, age_days=RETENTION_DAYS + 6)
    expired = await a_meeting(db, age_days=RETENTION_DAYS + 5)
    before = await rows_of(db, broken.meeting_id)
    purge_meeting = retention.purge_meeting

    async def failing_for_one(db: Database, meeting_id: str, *args: object, **kwargs: object) -> object:
        if meeting_id == broken.meeting_id:
            raise RuntimeError("disk full")
        return await purge_meeting(db, meeting_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(retention, "purge_meeting", failing_for_one)

    report = await retention.purge(db, RETENTION_DAYS)

    assert broken.meeting_id in report.failed
    assert expired.meeting_id in {p.meeting_id for p in report.purged}
    assert await rows_of(db, broken.meeting_id) == before
    run = json.loads((await run_rows(db))[-1].detail)
    assert run["failed"] == len(report.failed) >= 1
