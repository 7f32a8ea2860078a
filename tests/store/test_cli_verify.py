"""`sosboard verify MEETING_ID` as a records manager runs it: a subprocess against a prepared SQLite file. Exit 0
when the chain holds and the stored record is its log replayed, 1 when not (naming the first seq that breaks),
2 for a meeting the database does not hold."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Table, update

from app.domain.operations import operation_adapter
from app.store.database import Database
from app.store.oplog import OpLog
from app.store.tables import CardRow, OpRow
from tests.conftest import ROOT

from ._support import new_room, op_id, op_rows

pytestmark = pytest.mark.asyncio

OPS: Table = OpRow.__table__  # type: ignore[attr-defined]
CARDS: Table = CardRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Prepared:
    url: str
    meeting_id: str
    last_hash: str


async def sosboard(*args: str, env_url: str | None = None) -> Result:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SOSBOARD_")}
    if env_url is not None:
        env["SOSBOARD_DATABASE_URL"] = env_url
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


async def prepare(url: str) -> Prepared:
    """A meeting with five ops in the log, the third a card about a bruise."""
    db = Database(url)
    try:
        await db.run_migrations()
        room = await new_room(db)
        oplog = OpLog(db)
        steps = [
            (room.chair, {"type": "add_child", "child_id": "j", "name": "Jay", "age": 6}),
            (room.chair, {"type": "set_phase", "phase": "worries", "from_phase": "welcome"}),
            (
                room.social_worker,
                {"type": "add_card", "card_id": "c1", "column": "worries", "kind": "harm", "text": "Bruise on his arm"},
            ),
            (
                room.mum,
                {"type": "add_card", "column": "working_well", "kind": "strength", "text": "Gran helps every day"},
            ),
            (room.chair, {"type": "finalise"}),
        ]
        for actor, op in steps:
            await oplog.commit(room.meeting_id, actor, op_id(), operation_adapter.validate_python(op))
        last = (await op_rows(db, room.meeting_id))[-1].hash
        assert last is not None
        return Prepared(url, room.meeting_id, last)
    finally:
        await db.dispose()


async def attack(url: str, statement: object) -> None:
    """Change the file behind the app's back, as someone with the disk would."""
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            result = await connection.execute(statement)  # type: ignore[call-overload]
            assert result.rowcount == 1
    finally:
        await db.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"


async def test_an_untouched_meeting_verifies_with_exit_0_and_names_its_last_hash(url: str) -> None:
    prepared = await prepare(url)

    result = await sosboard("verify", prepared.meeting_id, "--database-url", url)

    assert result.code == 0, result
    assert prepared.meeting_id in result.out
    assert "holds over 5 op(s)" in result.out
    assert f"Last hash: {prepared.last_hash}" in result.out
    assert "Record: matches its log" in result.out


async def test_the_database_can_come_from_the_environment(url: str) -> None:
    prepared = await prepare(url)
    result = await sosboard("verify", prepared.meeting_id, env_url=url)
    assert result.code == 0, result
    assert prepared.last_hash in result.out


async def test_altering_one_op_in_sql_exits_1_and_names_its_seq(url: str) -> None:
    prepared = await prepare(url)
    await attack(
        url,
        update(OPS)
        .where(OPS.c.meeting_id == prepared.meeting_id, OPS.c.seq == 3)
        .values(payload=OPS.c.payload.op("||")(" ")),
    )

    result = await sosboard("verify", prepared.meeting_id, "--database-url", url)

    assert result.code == 1, result
    assert "BROKEN at seq 3" in result.out
    assert "Op 3 is not what was recorded" in result.out
    assert prepared.last_hash not in result.out


async def test_a_record_changed_behind_its_log_exits_1(url: str) -> None:
    prepared = await prepare(url)
    await attack(
        url,
        update(CARDS).where(CARDS.c.meeting_id == prepared.meeting_id, CARDS.c.id == "c1").values(text="Nothing seen"),
    )

    result = await sosboard("verify", prepared.meeting_id, "--database-url", url)

    assert result.code == 1, result
    assert "holds over 5 op(s)" in result.out, "the log itself is intact"
    assert "DOES NOT MATCH its log" in result.out


async def test_an_unknown_meeting_exits_2(url: str) -> None:
    await prepare(url)

    result = await sosboard("verify", "no-such-meeting", "--database-url", url)

    assert result.code == 2, result
    assert "no-such-meeting" in result.err
    assert result.out == ""
