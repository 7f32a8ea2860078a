"""Tamper evidence, on SQLite and PostgreSQL: every op row carries a SHA-256 hash chained to the one before it (the
first to the meeting's genesis), computed in the commit transaction. `OpLog.verify` recomputes the chain and says
whether it holds, and if not the first seq that breaks; and whether the stored record is still its log replayed.

The attacker here has the database on disk: they change rows with plain SQL, never through the app."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, delete, insert, select, text, update

from app.domain.agendas import MeetingKind
from app.domain.errors import MeetingNotFound, MeetingReadOnly, NotSignedIn
from app.domain.operations import Actor, apply_operation, operation_adapter
from app.domain.roles import Role
from app.domain.state import CONFERENCE_FIELDS, MeetingState
from app.store.chain import chain_hash, genesis_hash
from app.store.database import MIGRATIONS_DIR, Database
from app.store.meetings import Meetings
from app.store.oplog import OpLog, log_payload
from app.store.tables import CardRow, MeetingRow, MeetingStateRow, OpRow, ParticipantRow, SessionRow, as_utc
from tests.conftest import ROOT, postgres_admin

from ._support import Room, commit_as_a_client, op_id, op_rows

pytestmark = pytest.mark.asyncio

OPS: Table = OpRow.__table__  # type: ignore[attr-defined]
MEETINGS: Table = MeetingRow.__table__  # type: ignore[attr-defined]
CARDS: Table = CardRow.__table__  # type: ignore[attr-defined]
STATES: Table = MeetingStateRow.__table__  # type: ignore[attr-defined]
SESSIONS: Table = SessionRow.__table__  # type: ignore[attr-defined]
PARTICIPANTS: Table = ParticipantRow.__table__  # type: ignore[attr-defined]


def _conference(room: Room) -> list[tuple[Actor, dict[str, Any]]]:
    """Eight ops of several kinds, by several people. Seq 3 is the social worker's card about the bruise."""
    return [
        (room.chair, {"type": "add_child", "child_id": "j", "name": "Jay", "age": 6}),
        (room.chair, {"type": "set_phase", "phase": "worries", "from_phase": "welcome"}),
        (
            room.social_worker,
            {"type": "add_card", "card_id": "bruise", "column": "worries", "kind": "harm", "text": "Bruise on his arm"},
        ),
        (
            room.mum,
            {"type": "add_card", "card_id": "gran", "column": "working_well", "kind": "strength", "text": "Gran helps"},
        ),
        (
            room.teacher,
            {"type": "add_statement", "statement_id": "s1", "behaviour": "Dad drinks and shouts", "child_ids": ["j"]},
        ),
        (
            room.social_worker,
            {"type": "set_safety_goal", "statement_id": "s1", "base_version": 0, "adults_will": "Dad stops drinking"},
        ),
        (room.chair, {"type": "edit_card", "card_id": "bruise", "base_version": 1, "text": "Bruise on his left arm"}),
        (room.social_worker, {"type": "add_step", "step_id": "step-1", "what": "Visit every week"}),
    ]


async def _hold_a_conference(oplog: OpLog, room: Room) -> None:
    for actor, op in _conference(room):
        await oplog.commit(room.meeting_id, actor, op_id(), operation_adapter.validate_python(op))


@pytest_asyncio.fixture
async def held(oplog: OpLog, room: Room) -> Room:
    """The room after its conference: eight ops in the log."""
    await _hold_a_conference(oplog, room)
    return room


async def attack(db: Database, statement: Any) -> None:
    """Run one statement straight on the database, outside the app, and check it hit something."""
    async with db.engine.begin() as connection:
        result = await connection.execute(statement)
        assert result.rowcount == 1, "the attack changed nothing"


def _op(meeting_id: str, seq: int) -> Any:
    return (OPS.c.meeting_id == meeting_id, OPS.c.seq == seq)


async def _stored_op(db: Database, meeting_id: str, seq: int) -> dict[str, Any]:
    async with db.engine.connect() as connection:
        return dict((await connection.execute(select(OPS).where(*_op(meeting_id, seq)))).mappings().one())


# ---- an untouched meeting --------------------------------------------------------------------------------------


async def test_an_untouched_meeting_verifies_and_names_its_last_ops_hash(
    db: Database, oplog: OpLog, held: Room
) -> None:
    chain, matches = await oplog.verify(held.meeting_id)

    rows = await op_rows(db, held.meeting_id)
    assert len(rows) == 8
    assert (chain.holds, chain.ops, chain.first_broken_seq, chain.problem) == (True, 8, None, None)
    assert chain.last_hash == rows[-1].hash
    assert matches, "the stored record is its log replayed"
    assert all(row.hash is not None and len(row.hash) == 64 for row in rows)
    assert len({row.hash for row in rows}) == 8


async def test_a_meeting_with_no_ops_yet_verifies_with_no_last_hash(oplog: OpLog, room: Room) -> None:
    chain, matches = await oplog.verify(room.meeting_id)
    assert (chain.holds, chain.ops, chain.last_hash, chain.first_broken_seq) == (True, 0, None, None)
    assert matches


async def test_the_chain_is_what_the_documentation_says(db: Database, held: Room) -> None:
    """Recomputed here from the rows with nothing but hashlib and json, as a records manager would from
    docs/record.md: SHA-256(previous + "\\n" + canonical JSON), the first op after the meeting's genesis."""

    def instant(moment: datetime) -> str:
        return as_utc(moment).astimezone(UTC).isoformat(timespec="microseconds")

    def canonical(data: dict[str, Any]) -> bytes:
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    async with db.engine.connect() as connection:
        meeting = (await connection.execute(select(MEETINGS).where(MEETINGS.c.id == held.meeting_id))).one()
    genesis = {
        "id": meeting.id,
        "title": meeting.title,
        "kind": meeting.kind,
        "agenda": meeting.agenda,
        "created_at": instant(meeting.created_at),
    }
    previous = hashlib.sha256(canonical(genesis)).hexdigest()
    for row in await op_rows(db, held.meeting_id):
        fields = {
            "meeting_id": row.meeting_id,
            "seq": row.seq,
            "op_id": row.op_id,
            "actor_id": row.actor_id,
            "role": row.role,
            "type": row.type,
            "target_id": row.card_id,
            "payload": row.payload,
            "created_at": instant(row.created_at),
        }
        previous = hashlib.sha256(previous.encode() + b"\n" + canonical(fields)).hexdigest()
        assert row.hash == previous, f"seq {row.seq}"


# ---- an attacker changes the log ---------------------------------------------------------------------------------


def _altered(column: str, stored: dict[str, Any], room: Room) -> Any:
    if column == "payload":
        assert "Bruise on his arm" in stored["payload"]
        return stored["payload"].replace("Bruise on his arm", "Graze on his arm")
    if column == "payload_spacing":
        return stored["payload"].replace(",", ", ", 1)
    if column == "actor_id":
        return room.teacher.participant_id
    if column == "created_at":
        return stored["created_at"] + timedelta(seconds=1)
    if column == "type":
        return "edit_card"
    if column == "role":
        return "chair"
    if column == "card_id":
        return "gran"
    raise AssertionError(column)


@pytest.mark.parametrize("column", ["payload", "payload_spacing", "actor_id", "created_at", "type", "role", "card_id"])
async def test_altering_one_stored_op_breaks_the_chain_at_exactly_that_seq(
    db: Database, oplog: OpLog, held: Room, column: str
) -> None:
    before, _ = await oplog.verify(held.meeting_id)
    assert before.holds
    stored = await _stored_op(db, held.meeting_id, 3)
    target = "payload" if column == "payload_spacing" else column

    await attack(db, update(OPS).where(*_op(held.meeting_id, 3)).values({target: _altered(column, stored, held)}))

    chain, matches = await oplog.verify(held.meeting_id)
    assert (chain.holds, chain.first_broken_seq, chain.last_hash) == (False, 3, None)
    assert chain.problem is not None and "Op 3 " in chain.problem
    assert not matches
    assert not (await OpLog(db).verify(held.meeting_id))[0].holds, "a cold cache says the same"


async def test_an_op_changed_and_its_hash_recomputed_breaks_the_chain_at_the_next_seq(
    db: Database, oplog: OpLog, held: Room
) -> None:
    stored = await _stored_op(db, held.meeting_id, 3)
    forged = {**stored, "payload": stored["payload"].replace("Bruise on his arm", "Graze on his arm")}
    previous = (await _stored_op(db, held.meeting_id, 2))["hash"]
    await attack(
        db,
        update(OPS)
        .where(*_op(held.meeting_id, 3))
        .values(payload=forged["payload"], hash=chain_hash(previous, forged)),
    )

    chain, _ = await oplog.verify(held.meeting_id)
    assert (chain.holds, chain.first_broken_seq) == (False, 4)


async def test_rewriting_the_rest_of_the_chain_changes_the_last_hash_the_record_named(
    db: Database, oplog: OpLog, held: Room
) -> None:
    """The chain alone cannot stop someone who rewrites every hash after their change: the last hash the record
    named (on its exports) is what shows it."""
    named, _ = await oplog.verify(held.meeting_id)
    previous = (await _stored_op(db, held.meeting_id, 3))["hash"]
    for seq in range(4, 9):
        row = await _stored_op(db, held.meeting_id, seq)
        if seq == 4:
            assert '"Gran helps"' in row["payload"]
            row["payload"] = row["payload"].replace('"Gran helps"', '"Gran never helps"')
        previous = chain_hash(previous, row)
        await attack(db, update(OPS).where(*_op(held.meeting_id, seq)).values(payload=row["payload"], hash=previous))

    chain, matches = await oplog.verify(held.meeting_id)
    assert chain.holds
    assert chain.last_hash != named.last_hash
    assert not matches, "and the log no longer replays to the stored record"


async def test_changing_the_meetings_genesis_breaks_the_chain_at_the_first_op(
    db: Database, oplog: OpLog, held: Room
) -> None:
    await attack(db, update(MEETINGS).where(MEETINGS.c.id == held.meeting_id).values(title="Another family"))
    chain, _ = await oplog.verify(held.meeting_id)
    assert (chain.holds, chain.first_broken_seq) == (False, 1)


@pytest.mark.parametrize("seq", [1, 5])
async def test_deleting_an_op_names_the_missing_seq(db: Database, oplog: OpLog, held: Room, seq: int) -> None:
    await attack(db, delete(OPS).where(*_op(held.meeting_id, seq)))

    chain, matches = await oplog.verify(held.meeting_id)
    assert (chain.holds, chain.first_broken_seq) == (False, seq)
    assert chain.problem == f"Op {seq} is missing from the log."
    assert not matches


async def test_deleting_the_last_op_names_it_missing(db: Database, oplog: OpLog, held: Room) -> None:
    """The meeting row says eight ops were accepted: a log cut short by one is missing its eighth."""
    await attack(db, delete(OPS).where(*_op(held.meeting_id, 8)))

    chain, matches = await oplog.verify(held.meeting_id)
    assert (chain.holds, chain.first_broken_seq) == (False, 8)
    assert chain.problem == "Op 8 is missing from the log."
    assert not matches


async def test_an_op_added_after_the_last_with_a_valid_link_is_not_in_the_record(
    db: Database, oplog: OpLog, held: Room
) -> None:
    """Someone who knows the chain appends a ninth op, correctly linked: the meeting accepted eight."""
    last = await _stored_op(db, held.meeting_id, 8)
    added = {**last, "seq": 9, "op_id": "forged", "payload": last["payload"].replace("Visit every week", "No visits")}
    added["hash"] = chain_hash(last["hash"], added)
    async with db.engine.begin() as connection:
        await connection.execute(insert(OPS).values(added))

    chain, matches = await oplog.verify(held.meeting_id)
    assert (chain.holds, chain.first_broken_seq) == (False, 9)
    assert not matches


# ---- an attacker changes the record, not the log ---------------------------------------------------------------


async def test_altering_a_card_row_leaves_the_chain_holding_but_the_record_no_longer_matches(
    db: Database, oplog: OpLog, held: Room
) -> None:
    named, _ = await oplog.verify(held.meeting_id)
    await attack(
        db,
        update(CARDS).where(CARDS.c.meeting_id == held.meeting_id, CARDS.c.id == "bruise").values(text="Nothing seen"),
    )

    chain, matches = await oplog.verify(held.meeting_id)
    assert chain.holds and chain.last_hash == named.last_hash
    assert not matches


async def test_altering_the_stored_meeting_leaves_the_chain_holding_but_the_record_no_longer_matches(
    db: Database, oplog: OpLog, held: Room
) -> None:
    named, _ = await oplog.verify(held.meeting_id)
    async with db.engine.connect() as connection:
        state = (await connection.execute(select(STATES.c.state).where(STATES.c.meeting_id == held.meeting_id))).one()
    document = json.loads(state[0])
    assert document["statements"][0]["goal"]["adults_will"] == "Dad stops drinking"
    document["statements"][0]["goal"]["adults_will"] = "Dad drinks less"
    await attack(db, update(STATES).where(STATES.c.meeting_id == held.meeting_id).values(state=json.dumps(document)))

    chain, matches = await oplog.verify(held.meeting_id)
    assert chain.holds and chain.last_hash == named.last_hash
    assert not matches


async def test_an_unknown_meeting_is_not_found(oplog: OpLog) -> None:
    with pytest.raises(MeetingNotFound):
        await oplog.verify("no-such-meeting")


# ---- the chain carries on: a cold cache, other processes ---------------------------------------------------------


async def test_the_chain_continues_across_a_cold_cache(db: Database, oplog: OpLog, room: Room) -> None:
    steps = [operation_adapter.validate_python(op) for _, op in _conference(room)]
    actors = [actor for actor, _ in _conference(room)]
    for n in range(3):
        await oplog.commit(room.meeting_id, actors[n], op_id(), steps[n])
    cold = OpLog(db)  # another op log on the same database: nothing in its cache
    await cold.commit(room.meeting_id, actors[3], op_id(), steps[3])
    for n in range(4, 6):  # the first one's cache is behind now: it must read the link before from the log
        await oplog.commit(room.meeting_id, actors[n], op_id(), steps[n])
    for n in range(6, 8):
        await cold.commit(room.meeting_id, actors[n], op_id(), steps[n])

    chain, matches = await OpLog(db).verify(room.meeting_id)
    assert (chain.holds, chain.ops) == (True, 8) and matches
    assert chain.last_hash == (await op_rows(db, room.meeting_id))[-1].hash


async def test_the_chain_holds_when_two_processes_commit_to_one_meeting_at_once(
    database_url: str, db: Database, room: Room
) -> None:
    other = Database(database_url)  # a second app process: its own engine, its own board cache
    try:
        first, second = OpLog(db), OpLog(other)
        writers = [room.chair, room.social_worker, room.teacher, room.mum]
        await asyncio.gather(
            *(
                commit_as_a_client(
                    first if n % 2 else second,
                    room.meeting_id,
                    writers[n % 4],
                    op_id(),
                    operation_adapter.validate_python(
                        {"type": "add_card", "column": "worries", "kind": "grey_area", "text": f"Card {n}"}
                    ),
                )
                for n in range(40)
            )
        )
    finally:
        await other.dispose()

    chain, matches = await OpLog(db).verify(room.meeting_id)
    assert (chain.holds, chain.ops) == (True, 40) and matches


_WORKER = """
import asyncio, json, sys
from app.domain.operations import Actor, operation_adapter
from app.domain.roles import Role
from app.store.database import Database
from app.store.oplog import OpLog

async def main(url, meeting_id, participant_id, role):
    db = Database(url)
    oplog, actor = OpLog(db), Actor(participant_id, Role(role))
    try:
        for line in sys.stdin:
            request = json.loads(line)
            op = operation_adapter.validate_python(request["op"])
            committed = await oplog.commit(meeting_id, actor, request["op_id"], op)
            print(committed.seq, flush=True)
    finally:
        await db.dispose()

asyncio.run(main(*sys.argv[1:]))
"""


async def test_the_chain_holds_when_another_process_takes_turns_with_this_one(
    database_url: str, db: Database, oplog: OpLog, room: Room
) -> None:
    """A real second process (as a second app server would be) commits every other op: each side's cached link
    is behind after the other's commit, and neither may chain onto a stale hash."""
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _WORKER,
        database_url,
        room.meeting_id,
        room.social_worker.participant_id,
        Role.professional.value,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert worker.stdin is not None and worker.stdout is not None
    try:
        for n in range(10):
            op = {"type": "add_card", "column": "worries", "kind": "grey_area", "text": f"Card {n}"}
            if n % 2:
                worker.stdin.write(json.dumps({"op_id": op_id(), "op": op}).encode() + b"\n")
                await worker.stdin.drain()
                reply = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
                assert int(reply) == n + 1, reply
            else:
                committed = await oplog.commit(
                    room.meeting_id, room.chair, op_id(), operation_adapter.validate_python(op)
                )
                assert committed.seq == n + 1
    finally:
        worker.stdin.close()
        assert await asyncio.wait_for(worker.wait(), timeout=60) == 0

    chain, matches = await OpLog(db).verify(room.meeting_id)
    assert (chain.holds, chain.ops) == (True, 10) and matches
    rows = await op_rows(db, room.meeting_id)
    assert [row.actor_id for row in rows] == [room.chair.participant_id, room.social_worker.participant_id] * 5


# ---- finalising --------------------------------------------------------------------------------------------------


async def _session_ends(db: Database, meeting_id: str) -> dict[str, datetime]:
    """Each participant's session expiry, by role (one session per role here)."""
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(PARTICIPANTS.c.role, SESSIONS.c.expires_at)
            .join(PARTICIPANTS, PARTICIPANTS.c.id == SESSIONS.c.participant_id)
            .where(SESSIONS.c.meeting_id == meeting_id)
        )
        return {row.role: as_utc(row.expires_at) for row in rows}


async def _meeting_with_everyone_signed_in(db: Database) -> tuple[Meetings, dict[str, str], Actor, str]:
    """A meeting with a signed-in session in every role: (meetings, session token by role, the chair, its id)."""
    meetings = Meetings(db, session_hours=8)
    chair, _ = await meetings.create("Initial conference", "Chair")
    meeting_id = chair.meeting.id
    tokens = {"chair": chair.session_token}
    for role in (Role.professional, Role.family, Role.projector, Role.observer):
        invited = await meetings.invite(meeting_id, role, f"The {role.value}", None)
        tokens[role.value] = (await meetings.join(invited.invite_token)).session_token
    return meetings, tokens, Actor(chair.participant.id, Role.chair), meeting_id


async def test_finalising_marks_the_meeting_and_ends_only_the_family_and_room_screen_sessions_soon(
    db: Database,
) -> None:
    meetings, _, chair, meeting_id = await _meeting_with_everyone_signed_in(db)
    ends_before = await _session_ends(db, meeting_id)
    grace = timedelta(seconds=30)

    finalised = await OpLog(db, grace).commit(
        meeting_id, chair, op_id(), operation_adapter.validate_python({"type": "finalise"})
    )

    async with db.engine.connect() as connection:
        meeting = (await connection.execute(select(MEETINGS).where(MEETINGS.c.id == meeting_id))).one()
    assert meeting.status == "finalised"
    assert as_utc(meeting.finalised_at) == finalised.at
    ends = await _session_ends(db, meeting_id)
    assert ends["family"] == ends["projector"] == finalised.at + grace
    for role in ("chair", "professional", "observer"):
        assert ends[role] == ends_before[role], f"the {role}'s session is not cut"
    assert (await meetings.get(meeting_id)).status == "finalised"


async def test_with_no_grace_the_family_and_room_screen_are_signed_out_by_finalising(db: Database) -> None:
    meetings, tokens, chair, meeting_id = await _meeting_with_everyone_signed_in(db)

    await OpLog(db, timedelta(0)).commit(
        meeting_id, chair, op_id(), operation_adapter.validate_python({"type": "finalise"})
    )

    for role in ("family", "projector"):
        with pytest.raises(NotSignedIn):
            await meetings.signed_in(meeting_id, tokens[role])
    for role in ("chair", "professional", "observer"):
        assert (await meetings.signed_in(meeting_id, tokens[role])).role.value == role


async def test_a_finalised_meeting_refuses_every_op_but_the_chairs_addendum_and_the_chain_goes_on(
    db: Database, oplog: OpLog, held: Room
) -> None:
    await oplog.commit(held.meeting_id, held.chair, op_id(), operation_adapter.validate_python({"type": "finalise"}))
    for actor in held.everyone:
        with pytest.raises(MeetingReadOnly):
            await OpLog(db).commit(
                held.meeting_id,
                actor,
                op_id(),
                operation_adapter.validate_python(
                    {"type": "add_card", "column": "worries", "kind": "harm", "text": "x"}
                ),
            )
    addendum = {"type": "add_addendum", "text": "The review is moved.", "reason": "The school asked."}
    committed = await OpLog(db).commit(
        held.meeting_id, held.chair, op_id(), operation_adapter.validate_python(addendum)
    )

    assert committed.seq == 10
    chain, matches = await oplog.verify(held.meeting_id)
    assert (chain.holds, chain.ops) == (True, 10) and matches
    assert chain.last_hash == (await op_rows(db, held.meeting_id))[-1].hash
    assert [row.type for row in await op_rows(db, held.meeting_id)][-2:] == ["finalise", "add_addendum"]


# ---- a meeting from before the chain -----------------------------------------------------------------------------

T0 = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)
OLD_MEETING = "m-before-the-chain"
CHAIR, SOCIAL_WORKER, MUM = Actor("p-chair", Role.chair), Actor("p-sw", Role.professional), Actor("p-mum", Role.family)


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    name = f"sos_chain_{uuid.uuid4().hex[:10]}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_postgres_url"))


@pytest_asyncio.fixture
async def fresh_db(fresh_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_url)
    try:
        yield database
    finally:
        await database.dispose()


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _insert(connection: Connection, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(f'"{name}"' for name in row)
    values = ", ".join(f":{name}" for name in row)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def _people(connection: Connection) -> None:
    for actor, name in ((CHAIR, "Chair"), (SOCIAL_WORKER, "Sam"), (MUM, "Kelly")):
        _insert(
            connection,
            "participants",
            {
                "id": actor.participant_id,
                "meeting_id": OLD_MEETING,
                "role": actor.role.value,
                "display_name": name,
                "created_at": T0,
            },
        )


def _meeting_at_0001(connection: Connection) -> None:
    """A meeting as revision 0001 kept it: the op and the card after it in each payload."""
    _insert(
        connection,
        "meetings",
        {"id": OLD_MEETING, "title": "Conference for J", "status": "open", "last_seq": 2, "created_at": T0},
    )
    _people(connection)
    cards: list[tuple[Actor, dict[str, Any]]] = [
        (SOCIAL_WORKER, {"id": "c1", "column": "worries", "kind": "harm", "text": "Bruise seen", "version": 1}),
        (MUM, {"id": "c2", "column": "working_well", "kind": "strength", "text": "Gran helps", "version": 1}),
    ]
    for seq, (actor, card) in enumerate(cards, start=1):
        card = {**card, "author_id": actor.participant_id}
        op = {"type": "add_card", "card_id": card["id"], "column": card["column"], "kind": card["kind"]}
        op |= {"text": card["text"], "position": 0}
        _insert(connection, "ops", _old_op(seq, actor, "add_card", card["id"], {"op": op, "card": card}))
        _insert(connection, "cards", {"meeting_id": OLD_MEETING, **card, "position": 0})


def _old_op(seq: int, actor: Actor, op_type: str, target: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "meeting_id": OLD_MEETING,
        "seq": seq,
        "op_id": f"old-{seq}",
        "actor_id": actor.participant_id,
        "role": actor.role.value,
        "type": op_type,
        "card_id": target,
        "payload": json.dumps(payload, separators=(",", ":")),
        "created_at": T0 + timedelta(minutes=seq, microseconds=seq),
    }


OLD_CONFERENCE: list[tuple[Actor, dict[str, Any]]] = [
    (CHAIR, {"type": "add_child", "child_id": "j", "name": "Jay", "age": 6}),
    (SOCIAL_WORKER, {"type": "add_card", "card_id": "c1", "column": "worries", "kind": "harm", "text": "Bruise"}),
    (MUM, {"type": "add_card", "card_id": "c2", "column": "working_well", "kind": "strength", "text": "Gran helps"}),
    (SOCIAL_WORKER, {"type": "add_statement", "statement_id": "s1", "behaviour": "Dad drinks", "child_ids": ["j"]}),
    (CHAIR, {"type": "start_closed_part"}),
    (SOCIAL_WORKER, {"type": "add_card", "card_id": "c3", "column": "worries", "kind": "harm", "text": "Police"}),
    (CHAIR, {"type": "end_closed_part"}),
    (CHAIR, {"type": "edit_card", "card_id": "c1", "base_version": 1, "text": "Bruise on his left arm"}),
]


def _meeting_at_0002(connection: Connection) -> None:
    """A conference as revision 0002 kept it: each op with every change it made, the cards, and the rest of the
    meeting as one JSON document (from before there were a finalisation or addenda)."""
    genesis = MeetingState.new(MeetingKind.review_conference)
    agenda = json.dumps([phase.model_dump(mode="json") for phase in genesis.agenda])
    _insert(
        connection,
        "meetings",
        {
            "id": OLD_MEETING,
            "title": "Review for J",
            "status": "open",
            "last_seq": len(OLD_CONFERENCE),
            "created_at": T0,
            "kind": MeetingKind.review_conference.value,
            "agenda": agenda,
        },
    )
    _people(connection)
    state = genesis
    for seq, (actor, op) in enumerate(OLD_CONFERENCE, start=1):
        at = T0 + timedelta(minutes=seq, microseconds=seq)
        applied = apply_operation(state, operation_adapter.validate_python(op), actor, new_id=f"n{seq}", seq=seq, at=at)
        state = applied.state
        row = _old_op(seq, actor, applied.op.type, applied.target_id, log_payload(applied.op, applied.changes))
        _insert(connection, "ops", {**row, "created_at": at})
    for cards in state.columns.values():
        for position, card in enumerate(cards):
            row = card.model_dump(mode="json", include={"id", "column", "kind", "text", "author_id", "version"})
            row |= {"child_ids": json.dumps(card.child_ids), "restricted": card.restricted, "edited_by": card.edited_by}
            _insert(connection, "cards", {"meeting_id": OLD_MEETING, **row, "position": position})
    before_the_record = set(CONFERENCE_FIELDS) - {"finalised", "addenda"}
    _insert(
        connection,
        "meeting_states",
        {"meeting_id": OLD_MEETING, "state": state.model_dump_json(include=before_the_record)},
    )


@pytest.mark.parametrize("revision", ["0001", "0002"])
async def test_a_meeting_from_before_the_chain_gets_one_that_verifies(fresh_db: Database, revision: str) -> None:
    async with fresh_db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to, revision)
        await connection.run_sync(_meeting_at_0001 if revision == "0001" else _meeting_at_0002)
    await fresh_db.run_migrations()
    oplog = OpLog(fresh_db)

    chain, matches = await oplog.verify(OLD_MEETING)

    rows = await op_rows(fresh_db, OLD_MEETING)
    assert chain.holds and matches
    assert chain.ops == len(rows) == (2 if revision == "0001" else len(OLD_CONFERENCE))
    assert chain.last_hash == rows[-1].hash
    async with fresh_db.engine.connect() as connection:
        meeting = (await connection.execute(select(MEETINGS).where(MEETINGS.c.id == OLD_MEETING))).mappings().one()
    assert rows[0].hash == chain_hash(genesis_hash(dict(meeting)), rows[0].model_dump()), "chained from its genesis"

    # ... and the chain goes on from there with the next op, and breaks where an old op is altered.
    await oplog.commit(
        OLD_MEETING, CHAIR, op_id(), operation_adapter.validate_python({"type": "set_timer", "minutes": 5})
    )
    chain, matches = await OpLog(fresh_db).verify(OLD_MEETING)
    assert (chain.holds, chain.ops) == (True, len(rows) + 1) and matches
    await attack(fresh_db, update(OPS).where(*_op(OLD_MEETING, 2)).values(actor_id=CHAIR.participant_id))
    chain, _ = await oplog.verify(OLD_MEETING)
    assert (chain.holds, chain.first_broken_seq) == (False, 2)
