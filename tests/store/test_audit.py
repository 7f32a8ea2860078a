"""The audit trail in the store, on SQLite and PostgreSQL: each action leaves one row saying who, in which role,
did what; the rows hold ids only; and nothing, not even someone with SQL, changes or removes a row."""

from __future__ import annotations

import ast
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlmodel import col

from app.domain.board import CardKind, Column
from app.domain.errors import MeetingNotFound
from app.domain.operations import Actor, AddCard
from app.domain.roles import Role
from app.store.audit import AuditAction, AuditEvent, AuditTrail, OpEntry, add_event, check_detail
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from app.store.tables import AuditEventRow

ROOT = Path(__file__).resolve().parents[2]


def actions(events: list[AuditEvent]) -> list[tuple[str | None, str | None, str]]:
    return [(event.actor_id, event.role, event.action) for event in events]


@pytest.mark.asyncio
async def test_each_action_on_people_and_links_records_one_row_with_who_and_in_which_role(
    meetings: Meetings, db: Database
) -> None:
    audit = AuditTrail(db)
    chair, _ = await meetings.create("Review conference", "Chair")
    meeting_id, chair_id = chair.meeting.id, chair.participant.id
    assert actions(await audit.events(meeting_id)) == [(chair_id, "chair", "meeting_created")]

    invited = await meetings.invite(meeting_id, Role.family, "Parent", None, by=chair.participant)
    parent_id = invited.participant.id
    joined = await meetings.join(invited.invite_token)
    await meetings.leave(meeting_id, joined.session_token)
    await meetings.leave(meeting_id, joined.session_token)  # leaving twice is one leave
    await meetings.reissue_invite(meeting_id, parent_id, by=chair.participant)
    await meetings.revoke(meeting_id, parent_id, by=chair.participant)

    events = await audit.events(meeting_id)
    assert actions(events) == [
        (chair_id, "chair", "meeting_created"),
        (chair_id, "chair", "participant_invited"),
        (parent_id, "family", "joined"),
        (parent_id, "family", "left"),
        (chair_id, "chair", "link_reissued"),
        (chair_id, "chair", "link_revoked"),
    ]
    assert events[0].detail == {"kind": "initial_conference"}
    assert events[1].detail == {"participant_id": parent_id, "role": "family"}
    assert [event.participant_id for event in events[2:]] == [None, None, parent_id, parent_id]
    assert all(event.meeting_id == meeting_id for event in events)
    assert [event.at for event in events] == sorted(event.at for event in events)


@pytest.mark.asyncio
async def test_reads_and_exports_of_the_record_are_recorded(meetings: Meetings, db: Database) -> None:
    audit = AuditTrail(db)
    chair, _ = await meetings.create("Review conference", "Chair")
    teacher = (await meetings.invite(chair.meeting.id, Role.professional, "Teacher", "School")).participant

    await audit.read(chair.meeting.id, teacher)
    await audit.read(chair.meeting.id, chair.participant, via="websocket")
    await audit.exported(chair.meeting.id, teacher, "pdf", copy="full")

    events = (await audit.events(chair.meeting.id))[-3:]
    assert [(e.actor_id, e.role, e.action, e.detail) for e in events] == [
        (teacher.id, "professional", "record_read", {"via": "http"}),
        (chair.participant.id, "chair", "record_read", {"via": "websocket"}),
        (teacher.id, "professional", "record_exported", {"format": "pdf", "copy": "full"}),
    ]


@pytest.mark.asyncio
async def test_a_failed_change_leaves_no_audit_row(meetings: Meetings, db: Database) -> None:
    audit = AuditTrail(db)
    chair, _ = await meetings.create("Review conference", "Chair")
    nowhere = uuid.uuid4().hex

    with pytest.raises(MeetingNotFound):
        await meetings.invite(nowhere, Role.professional, "Teacher", None, by=chair.participant)

    assert await audit.events(nowhere) == []


@pytest.mark.asyncio
async def test_an_event_commits_with_the_change_it_records_or_not_at_all(meetings: Meetings, db: Database) -> None:
    audit = AuditTrail(db)
    chair, _ = await meetings.create("Review conference", "Chair")

    def rolled_back(session: Session) -> None:
        add_event(session, chair.meeting.id, AuditAction.hold_placed, chair.participant)
        session.rollback()

    await db.transaction(rolled_back)

    assert [event.action for event in await audit.events(chair.meeting.id)] == ["meeting_created"]


@pytest.mark.asyncio
async def test_the_trail_holds_ids_never_names_words_or_tokens(meetings: Meetings, oplog: OpLog, db: Database) -> None:
    audit = AuditTrail(db)
    chair, chair_link = await meetings.create("Review for Jamie Canary", "Alexandra Chaircanary")
    meeting_id = chair.meeting.id
    invited = await meetings.invite(
        meeting_id, Role.family, "Patricia Parentcanary", "Canary Lane", by=chair.participant
    )
    joined = await meetings.join(invited.invite_token)
    card_text = "Canary words: bruise seen on Tuesday"
    await oplog.commit(
        meeting_id,
        Actor(joined.participant.id, Role.family),
        uuid.uuid4().hex,
        AddCard(column=Column.worries, kind=CardKind.harm, text=card_text),
    )
    reissued = await meetings.reissue_invite(meeting_id, invited.participant.id, by=chair.participant)
    await audit.read(meeting_id, joined.participant)
    await meetings.leave(meeting_id, joined.session_token)
    await meetings.revoke(meeting_id, invited.participant.id, by=chair.participant)

    async with db.read() as session:
        rows = (
            await session.execute(select(AuditEventRow).where(col(AuditEventRow.meeting_id) == meeting_id))
        ).scalars()
        stored = " ".join(f"{r.actor_id} {r.role} {r.action} {r.detail}" for r in rows)
    trail = await audit.trail(meeting_id)
    ops = [entry for entry in trail.entries if isinstance(entry, OpEntry)]

    secrets = [
        "Jamie",
        "Canary",
        "Chaircanary",
        "Parentcanary",
        "Canary Lane",
        card_text,
        "bruise",
        chair.session_token,
        chair_link,
        invited.invite_token,
        joined.session_token,
        reissued.invite_token,
    ]
    for secret in secrets:
        assert secret.lower() not in stored.lower(), secret
        assert all(secret not in repr(op) for op in ops), secret
    assert [(op.type, op.actor_id, op.role) for op in ops] == [("add_card", joined.participant.id, Role.family)]


@pytest.mark.asyncio
async def test_the_trail_merges_ops_and_events_in_time_order(meetings: Meetings, oplog: OpLog, db: Database) -> None:
    audit = AuditTrail(db)
    chair, _ = await meetings.create("Review conference", "Chair")
    meeting_id = chair.meeting.id
    invited = await meetings.invite(meeting_id, Role.professional, "Teacher", None, by=chair.participant)
    committed = await oplog.commit(
        meeting_id,
        Actor(chair.participant.id, Role.chair),
        uuid.uuid4().hex,
        AddCard(column=Column.worries, kind=CardKind.harm, text="Something"),
    )
    await meetings.join(invited.invite_token)

    trail = await audit.trail(meeting_id)

    assert [entry.type if isinstance(entry, OpEntry) else entry.action for entry in trail.entries] == [
        "meeting_created",
        "participant_invited",
        "add_card",
        "joined",
    ]
    op = trail.entries[2]
    assert isinstance(op, OpEntry) and op.seq == committed.seq and op.item_id == committed.target_id
    assert {person.display_name for person in trail.people.values()} == {"Chair", "Teacher"}


@pytest.mark.parametrize(
    "detail",
    [
        {"name": "Sam Smith"},
        {"note": "Mum said the children were fine"},
        {"Participant Name": "x"},
        {"rows": {"cards": "three"}},
        {"when": 1.5},
    ],
)
def test_an_event_refuses_free_text_in_its_detail(detail: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        check_detail(detail)  # type: ignore[arg-type]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'joined', actor_id = NULL WHERE meeting_id = :meeting",
        "UPDATE audit_events SET detail = '{}' WHERE meeting_id = :meeting",
        "DELETE FROM audit_events WHERE meeting_id = :meeting",
    ],
)
async def test_the_database_refuses_to_change_or_delete_an_audit_row(
    meetings: Meetings, db: Database, statement: str
) -> None:
    audit = AuditTrail(db)
    chair, _ = await meetings.create("Review conference", "Chair")
    await meetings.invite(chair.meeting.id, Role.family, "Parent", None, by=chair.participant)
    before = await audit.events(chair.meeting.id)

    def tamper(session: Session) -> None:
        session.execute(text(statement), {"meeting": chair.meeting.id})
        session.commit()

    with pytest.raises(DBAPIError, match="append-only"):
        await db.transaction(tamper)

    assert await audit.events(chair.meeting.id) == before


# ---- the application has no path that changes or deletes an audit row --------------------------------------

SOURCES = sorted(p for folder in ("app", "realtime") for p in (ROOT / folder).rglob("*.py"))
AUDIT_NAMES = ("AuditEventRow", "audit_events", "_EVENTS")
SQL_CHANGE = re.compile(
    r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?|DROP\s+TABLE|ALTER\s+TABLE)\s+\"?audit_events\b", re.I
)


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _mentions_audit(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id in AUDIT_NAMES)
        or (isinstance(n, ast.Attribute) and n.attr in AUDIT_NAMES)
        or (isinstance(n, ast.Constant) and isinstance(n.value, str) and "audit_events" in n.value)
        for n in ast.walk(node)
    )


def test_the_scan_sees_the_source() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in SOURCES}
    assert {"app/store/audit.py", "app/store/meetings.py", "realtime/endpoint.py"} <= names


def changes_to_audit_rows(source: str) -> list[str]:
    """Where this source changes or removes audit rows: SQL text naming the table, or update/delete/merge calls on
    the table, its row class or a query of it."""
    found = [f"SQL: {match.group(0)}" for match in SQL_CHANGE.finditer(source)]
    for call in _calls(ast.parse(source)):
        called = _name_of(call.func)
        if called not in {"update", "delete", "merge"}:
            continue
        # update(AuditEventRow) / delete(_EVENTS) / session.delete(row_of_audit) / select(...).filter(...).delete()
        on = [*call.args, *([call.func.value] if isinstance(call.func, ast.Attribute) else [])]
        if any(_mentions_audit(node) for node in on):
            found.append(f"line {call.lineno}: {ast.unparse(call)[:80]}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "session.execute(update(AuditEventRow).values(action='x'))",
        "session.execute(delete(AuditEventRow.__table__))",
        "db.execute(sa.delete(_EVENTS).where(_EVENTS.c.id == 1))",
        "session.query(AuditEventRow).filter_by(id=1).delete()",
        "session.execute(text('DELETE FROM audit_events WHERE id = 1'))",
        "connection.exec_driver_sql('update audit_events set role = null')",
        "op.execute('TRUNCATE TABLE audit_events')",
    ],
)
def test_the_scan_finds_a_change_to_audit_rows(source: str) -> None:
    assert changes_to_audit_rows(source) != []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_updates_or_deletes_audit_rows(path: Path) -> None:
    assert changes_to_audit_rows(path.read_text()) == []


def test_the_audit_repository_only_ever_inserts_and_selects() -> None:
    tree = ast.parse((ROOT / "app/store/audit.py").read_text())
    called = {
        _name_of(call.func)
        for call in _calls(tree)
        if not (isinstance(call.func, ast.Attribute) and _name_of(call.func.value) == "heapq")
    }
    assert not called & {"update", "delete", "merge", "text", "exec_driver_sql", "bulk_update_mappings"}, called
    # No attribute of a loaded row is ever assigned: the repository builds rows only through insert().
    assigned = [
        target
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute) and _name_of(target.value) != "self"
    ]
    assert assigned == []
