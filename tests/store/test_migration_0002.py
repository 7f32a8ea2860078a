"""A database from before the conference (revision 0001) with a meeting under way: after migrating to head the
meeting still loads, replays from its log, follows its kind's agenda, and takes the new operations."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from app.domain.agendas import MeetingKind, agenda_for
from app.domain.board import Card, CardKind, Column
from app.domain.operations import Actor, operation_adapter
from app.domain.phases import PhaseState
from app.domain.roles import Role
from app.domain.state import MeetingState
from app.store.database import MIGRATIONS_DIR, Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from tests.conftest import postgres_admin

from ._support import op_id, replayed

pytestmark = pytest.mark.asyncio

MEETING = "m-before-the-conference"
CHAIR, SOCIAL_WORKER, MUM = "p-chair", "p-sw", "p-mum"
T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    name = f"sos_0001_{uuid.uuid4().hex[:10]}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_postgres_url"))


@pytest_asyncio.fixture
async def old_db(fresh_url: str) -> AsyncIterator[Database]:
    """A database at revision 0001 holding meetings under way."""
    database = Database(fresh_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0001")
            await connection.run_sync(_insert_meeting, MEETING, OLD_LOG, True)
            await connection.run_sync(_insert_meeting, EDITED_BY_THE_CHAIR, CHAIR_EDITS_A_CARD, False)
        yield database
    finally:
        await database.dispose()


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


# A log as revision 0001 wrote it: who, in which role, the op, and the card after it.
OldEntry = tuple[str, str, dict[str, Any], dict[str, Any]]


def _add(actor: str, role: str, card_id: str, column: str, kind: str, words: str) -> OldEntry:
    op = {"type": "add_card", "card_id": card_id, "column": column, "kind": kind, "text": words, "position": 0}
    card = {"id": card_id, "column": column, "kind": kind, "text": words, "author_id": actor, "version": 1}
    return actor, role, op, card


def _edit(actor: str, role: str, before: OldEntry, words: str) -> OldEntry:
    card = before[3]
    op = {"type": "edit_card", "card_id": card["id"], "base_version": card["version"], "text": words, "kind": None}
    return actor, role, op, {**card, "text": words, "version": card["version"] + 1}


_C1 = _add(SOCIAL_WORKER, "professional", "c1", "worries", "harm", "Bruise seen")
OLD_LOG = [
    _C1,
    _add(MUM, "family", "c2", "working_well", "strength", "Gran helps"),
    _edit(SOCIAL_WORKER, "professional", _C1, "Bruise seen on his arm"),
]
EDITED_BY_THE_CHAIR = "m-edited-by-the-chair"
CHAIR_EDITS_A_CARD = [_C1, _edit(CHAIR, "chair", _C1, "Bruise seen on his left arm")]


def _insert_meeting(connection: Connection, meeting_id: str, log: list[OldEntry], with_people: bool) -> None:
    connection.execute(
        text(
            "INSERT INTO meetings (id, title, status, last_seq, created_at) "
            "VALUES (:id, 'Conference for J', 'open', :seq, :at)"
        ),
        {"id": meeting_id, "seq": len(log), "at": T0},
    )
    for participant, role, name in [
        (CHAIR, "chair", "Chair"),
        (SOCIAL_WORKER, "professional", "Sam"),
        (MUM, "family", "Kelly"),
    ][: 3 if with_people else 0]:
        connection.execute(
            text(
                "INSERT INTO participants (id, meeting_id, role, display_name, created_at) "
                "VALUES (:id, :meeting, :role, :name, :at)"
            ),
            {"id": participant, "meeting": meeting_id, "role": role, "name": name, "at": T0},
        )
    cards: dict[str, dict[str, Any]] = {}
    for seq, (actor, role, op, card) in enumerate(log, start=1):
        connection.execute(
            text(
                "INSERT INTO ops (meeting_id, seq, op_id, actor_id, role, type, card_id, payload, created_at) "
                "VALUES (:meeting, :seq, :op_id, :actor, :role, :type, :card_id, :payload, :at)"
            ),
            {
                "meeting": meeting_id,
                "seq": seq,
                "op_id": f"old-{seq}",
                "actor": actor,
                "role": role,
                "type": op["type"],
                "card_id": card["id"],
                "payload": json.dumps({"op": op, "card": card}),
                "at": T0 + timedelta(minutes=seq),
            },
        )
        cards[card["id"]] = card
    for card in cards.values():  # the projection: one card per column here, so each at position 0
        connection.execute(
            text(
                'INSERT INTO cards (meeting_id, id, "column", kind, text, author_id, version, position) '
                "VALUES (:meeting, :id, :column, :kind, :text, :author_id, :version, 0)"
            ),
            {"meeting": meeting_id, **card},
        )


async def test_a_meeting_from_before_the_conference_loads_after_the_migration(old_db: Database) -> None:
    await old_db.run_migrations()
    oplog = OpLog(old_db)

    board = await oplog.board(MEETING)

    assert board.seq == 3
    assert board.columns[Column.worries] == (
        Card(
            id="c1",
            column=Column.worries,
            kind=CardKind.harm,
            text="Bruise seen on his arm",
            author_id=SOCIAL_WORKER,
            version=2,
        ),
    )
    assert board.columns[Column.working_well] == (
        Card(id="c2", column=Column.working_well, kind=CardKind.strength, text="Gran helps", author_id=MUM),
    )
    # It follows its kind's template: an initial conference, at the start of the agenda.
    assert board.kind is MeetingKind.initial_conference
    assert board.agenda == agenda_for(MeetingKind.initial_conference)
    assert board.phase == PhaseState(current="welcome")
    assert (await Meetings(old_db, session_hours=8).get(MEETING)).kind is MeetingKind.initial_conference
    assert await oplog.genesis(MEETING) == MeetingState.new(MeetingKind.initial_conference)
    assert await replayed(oplog, MEETING) == board, "its old log replays to the same meeting"
    async with old_db.engine.connect() as connection:
        states = (
            await connection.execute(text("SELECT state FROM meeting_states WHERE meeting_id = :m"), {"m": MEETING})
        ).all()
    assert len(states) == 1, "the meeting got its row for the rest of the conference"


async def test_the_old_log_reads_back_with_what_each_op_changed(old_db: Database) -> None:
    await old_db.run_migrations()
    result = await OpLog(old_db).since(MEETING, 0, 100)
    assert result is not None
    ops, last_seq = result
    assert last_seq == 3
    assert [(op.seq, op.op.type, op.target_id) for op in ops] == [
        (1, "add_card", "c1"),
        (2, "add_card", "c2"),
        (3, "edit_card", "c1"),
    ]
    assert ops[2].card is not None and ops[2].card.text == "Bruise seen on his arm"
    assert ops[0].at == T0 + timedelta(minutes=1)


async def test_a_meeting_from_before_the_conference_takes_the_new_operations(old_db: Database) -> None:
    await old_db.run_migrations()
    oplog = OpLog(old_db)
    chair, social_worker, mum = (
        Actor(CHAIR, Role.chair),
        Actor(SOCIAL_WORKER, Role.professional),
        Actor(MUM, Role.family),
    )
    steps = [
        (chair, {"type": "set_phase", "phase": "worries", "from_phase": "welcome"}),
        (chair, {"type": "add_child", "child_id": "j", "name": "J.", "age": 6}),
        (social_worker, {"type": "edit_card", "card_id": "c1", "base_version": 2, "child_ids": ["j"]}),
        (mum, {"type": "edit_card", "card_id": "c2", "base_version": 1, "text": "Gran helps every day"}),
        (
            social_worker,
            {"type": "add_statement", "statement_id": "s1", "behaviour": "Dad hits J.", "child_ids": ["j"]},
        ),
        (chair, {"type": "start_closed_part"}),
        (
            social_worker,
            {"type": "add_card", "card_id": "c3", "column": "worries", "kind": "harm", "text": "Police report"},
        ),
        (chair, {"type": "end_closed_part"}),
    ]
    for actor, op in steps:
        await oplog.commit(MEETING, actor, op_id(), operation_adapter.validate_python(op))

    board = await oplog.board(MEETING)
    assert board.seq == 3 + len(steps)
    assert board.phase.current == "worries"
    assert [(c.id, c.child_ids, c.restricted, c.version) for c in board.columns[Column.worries]] == [
        ("c1", ("j",), False, 3),
        ("c3", (), True, 1),
    ]
    assert board.columns[Column.working_well][0].author_id == MUM
    assert [s.id for s in board.statements] == ["s1"]
    assert await replayed(oplog, MEETING) == board
    assert await OpLog(old_db).board(MEETING) == board


async def test_who_last_edited_an_old_card_is_the_same_in_the_projection_as_in_the_log(old_db: Database) -> None:
    """The chair changed the social worker's card before the migration. The log says so (replaying it names the
    chair as the last editor); the projection must say the same, or the two drift apart from the next edit on."""
    await old_db.run_migrations()
    oplog = OpLog(old_db)
    board = await oplog.board(EDITED_BY_THE_CHAIR)
    assert await replayed(oplog, EDITED_BY_THE_CHAIR) == board
    assert board.columns[Column.worries][0].edited_by == CHAIR
