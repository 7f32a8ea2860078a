"""Legal hold over HTTP (chair only), the meeting's retention as the chair reads it, and the server's scheduled
purge, started and stopped with the app."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.config import Settings
from app.main import create_app
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.tables import AuditEventRow, MeetingRow
from tests.api._support import JoinAs, Member, assert_error

RETENTION_DAYS = 30


@pytest_asyncio.fixture
async def app(db_path: Path) -> AsyncIterator[FastAPI]:
    """The app of a deployment that keeps meetings 30 days (and does not purge by itself)."""
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{db_path}", retention_days=RETENTION_DAYS))
    await app.state.services.start()
    try:
        yield app
    finally:
        await app.state.services.stop()


async def hold_events(app: FastAPI, meeting_id: str) -> list[tuple[str, str | None, str | None, dict[str, object]]]:
    db: Database = app.state.services.db
    async with db.read() as session:
        rows = await session.execute(
            select(AuditEventRow)
            .where(col(AuditEventRow.meeting_id) == meeting_id, col(AuditEventRow.action).like("hold_%"))
            .order_by(col(AuditEventRow.id))
        )
        return [(r.action, r.actor_id, r.role, json.loads(r.detail)) for r in rows.scalars()]


async def retention_of(member: Member) -> dict[str, object]:
    response = await member.browser.get(member.url("/retention"))
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.asyncio
async def test_the_chair_places_and_lifts_a_hold_and_the_audit_says_who(app: FastAPI, chair: Member) -> None:
    assert (await retention_of(chair))["legal_hold"] is False

    placed = await chair.browser.put(chair.url("/hold"))
    again = await chair.browser.put(chair.url("/hold"))

    assert (placed.status_code, placed.content) == (204, b"")
    assert again.status_code == 204, "placing a hold twice is one hold"
    assert (await retention_of(chair))["legal_hold"] is True

    lifted = await chair.browser.delete(chair.url("/hold"))
    assert lifted.status_code == 204, lifted.text
    assert (await chair.browser.delete(chair.url("/hold"))).status_code == 204
    assert (await retention_of(chair))["legal_hold"] is False

    assert await hold_events(app, chair.meeting_id) == [
        ("hold_placed", chair.participant_id, "chair", {"legal_hold": True}),
        ("hold_lifted", chair.participant_id, "chair", {"legal_hold": False}),
    ]


@pytest.mark.asyncio
async def test_the_chair_reads_when_the_meeting_becomes_due(app: FastAPI, chair: Member) -> None:
    body = await retention_of(chair)
    assert set(body) == {"legal_hold", "retention_days", "purge_after"}
    assert body["retention_days"] == RETENTION_DAYS
    assert isinstance(body["purge_after"], str)
    due = datetime.fromisoformat(body["purge_after"])
    expected = datetime.now(UTC) + timedelta(days=RETENTION_DAYS)
    assert expected - timedelta(minutes=5) < due <= expected

    # Counted from the finalising, once there is one.
    finalised_at = datetime.now(UTC) - timedelta(days=3)
    db: Database = app.state.services.db

    def finalise(session: Session) -> None:
        session.execute(
            update(MeetingRow).where(col(MeetingRow.id) == chair.meeting_id).values(finalised_at=finalised_at)
        )
        session.commit()

    await db.transaction(finalise)
    body = await retention_of(chair)
    assert datetime.fromisoformat(str(body["purge_after"])) == finalised_at + timedelta(days=RETENTION_DAYS)


@pytest.mark.asyncio
@pytest.mark.parametrize("role", ["professional", "family", "projector", "observer"])
async def test_only_the_chair_may_hold_or_read_retention(
    app: FastAPI, chair: Member, join_as: JoinAs, role: str
) -> None:
    member = await join_as(role)

    assert_error(await member.browser.put(member.url("/hold")), 403, "forbidden")
    assert_error(await member.browser.delete(member.url("/hold")), 403, "forbidden")
    assert_error(await member.browser.get(member.url("/retention")), 403, "forbidden")
    assert (await retention_of(chair))["legal_hold"] is False
    assert await hold_events(app, chair.meeting_id) == []


@pytest.mark.asyncio
async def test_without_a_session_nothing_is_held_or_read(
    app: FastAPI, chair: Member, client: httpx.AsyncClient
) -> None:
    base = f"/api/meetings/{chair.meeting_id}"

    assert_error(await client.put(f"{base}/hold"), 401, "not_signed_in")
    assert_error(await client.delete(f"{base}/hold"), 401, "not_signed_in")
    assert_error(await client.get(f"{base}/retention"), 401, "not_signed_in")
    # A chair of another meeting is no one here.
    other = await client.post("/api/meetings", json={"title": "Another", "chair_name": "Other chair"})
    assert other.status_code == 201
    assert_error(await client.put(f"{base}/hold"), 401, "not_signed_in")
    assert await hold_events(app, chair.meeting_id) == []


@pytest.mark.asyncio
async def test_the_routes_are_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for method in ("put", "delete"):
        operation = paths["/api/meetings/{meeting_id}/hold"][method]
        assert set(operation["responses"]) >= {"204", "401", "403", "404"}
    get = paths["/api/meetings/{meeting_id}/retention"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RetentionOut"
    }
    assert set(spec["components"]["schemas"]["RetentionOut"]["properties"]) == {
        "legal_hold",
        "retention_days",
        "purge_after",
    }


# --- the scheduled purge ------------------------------------------------------------------------------------------


async def prepare(url: str) -> tuple[str, str]:
    """A database with a meeting long past retention and a new one; returns their ids (old, new)."""
    db = Database(url)
    try:
        await db.run_migrations()
        meetings = Meetings(db, session_hours=8)
        old, _ = await meetings.create("Canary old conference", "Canary Chair")
        new, _ = await meetings.create("Canary new conference", "Canary Chair")
        long_ago = datetime.now(UTC) - timedelta(days=RETENTION_DAYS + 1)

        def age(session: Session) -> None:
            session.execute(update(MeetingRow).where(col(MeetingRow.id) == old.meeting.id).values(created_at=long_ago))
            session.commit()

        await db.transaction(age)
        return old.meeting.id, new.meeting.id
    finally:
        await db.dispose()


async def meeting_ids(db: Database) -> set[str]:
    async with db.read() as session:
        return set((await session.execute(select(col(MeetingRow.id)))).scalars())


@pytest.mark.asyncio
async def test_the_server_purges_on_its_schedule_and_logs_counts_only(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{db_path}"
    old, new = await prepare(url)
    caplog.set_level(logging.INFO, logger="sosboard.retention")
    app = create_app(Settings(database_url=url, retention_days=RETENTION_DAYS, purge_every_hours=24))
    services = app.state.services

    await services.start()
    try:
        schedule = services.purge_schedule
        assert schedule is not None
        await asyncio.wait_for(schedule.ran.wait(), timeout=30)  # the first run is at start

        assert schedule.runs == 1 and schedule.last_report is not None
        assert [p.meeting_id for p in schedule.last_report.purged] == [old]
        remaining = await meeting_ids(services.db)
        assert old not in remaining and new in remaining
        # The app still answers while the schedule waits for its next run.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as web:
            assert (await web.get("/api/health")).status_code == 200
    finally:
        await services.stop()
    assert services.purge_schedule._task is None, "stopped with the app"

    [line] = [r.getMessage() for r in caplog.records if r.name == "sosboard.retention"]
    assert re.fullmatch(r"purge: 1 meetings removed \(\d+ rows\), 0 kept by legal hold, 0 failed", line), line
    assert "canary" not in caplog.text.lower()
    db = Database(url)
    try:
        async with db.read() as session:
            found = await session.execute(
                select(col(AuditEventRow.detail)).where(
                    col(AuditEventRow.meeting_id) == old, col(AuditEventRow.action) == "purged"
                )
            )
            [detail] = [json.loads(d) for d in found.scalars()]
    finally:
        await db.dispose()
    assert detail["trigger"] == "schedule" and detail["rows_meetings"] == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("retention_days", "purge_every_hours"), [(None, None), (RETENTION_DAYS, None), (None, 24.0)], ids=str
)
async def test_the_server_does_not_purge_unless_told_to(
    db_path: Path, retention_days: int | None, purge_every_hours: float | None, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{db_path}"
    old, _new = await prepare(url)
    settings = Settings(database_url=url, retention_days=retention_days, purge_every_hours=purge_every_hours)
    services = create_app(settings).state.services

    await services.start()
    try:
        assert services.purge_schedule is None
        assert old in await meeting_ids(services.db)
    finally:
        await services.stop()
    if purge_every_hours is not None:
        assert "retention_days is not" in caplog.text, "a schedule with no retention period is said to do nothing"
