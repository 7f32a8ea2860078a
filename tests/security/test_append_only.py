"""The op log is the record: no path of the application changes or removes an op, except the documented retention
purge (app/store/retention.py), which deletes a whole meeting past its retention period; and after a scripted
conference with every kind of op, finalised and corrected by an addendum, the chain verifies over HTTP on SQLite and
on PostgreSQL.

The audit trail's own guarantees (no module changes its rows; the database refuses UPDATE and DELETE on SQLite and
PostgreSQL) are tests/store/test_audit.py's; the same scan here covers the op log.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.store.retention import MEETING_TABLES
from tests.conftest import ServerProcess
from tests.security.hostile_meeting import build, finalise_with_addendum
from tests.support.clients import TLS, Connections

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("app", "realtime") for p in (ROOT / folder).rglob("*.py"))
OPS_NAMES = ("OpRow", "_OPS", "ops")
SQL_CHANGE = re.compile(r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?|DROP\s+TABLE|ALTER\s+TABLE)\s+\"?ops\b", re.I)
PURGE = "app/store/retention.py"
"""The one module that deletes ops: a meeting past retention, whole, with its audit row (README, Retention)."""


def _names_ops(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id in OPS_NAMES)
        or (isinstance(n, ast.Attribute) and n.attr in OPS_NAMES)
        or (isinstance(n, ast.Constant) and n.value == "ops")
        for n in ast.walk(node)
    )


def changes_to_ops(source: str) -> list[str]:
    """Where this source changes or removes rows of the op log: SQL text naming the table, update/delete/merge on
    the table or its row class, or a delete of a table it cannot name (a loop over tables)."""
    found = [f"SQL: {match.group(0)}" for match in SQL_CHANGE.finditer(source)]
    for call in (node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)):
        func = call.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called not in {"update", "delete", "merge", "bulk_update_mappings"}:
            continue
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "heapq":
            continue  # heapq.merge: merging two lists in memory
        on = [*call.args, *([func.value] if isinstance(func, ast.Attribute) else [])]
        unknown_table = called == "delete" and any(isinstance(arg, ast.Name) and arg.id == "table" for arg in on)
        if unknown_table or any(_names_ops(node) for node in on):
            found.append(f"line {call.lineno}: {ast.unparse(call)[:80]}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "session.execute(update(OpRow).values(payload='{}'))",
        "db.execute(delete(_OPS).where(_OPS.c.seq == 3))",
        "session.query(OpRow).filter_by(seq=1).delete()",
        "session.execute(text('UPDATE ops SET hash = NULL'))",
        "connection.exec_driver_sql('delete from ops where seq > 2')",
        "for table in tables: session.execute(delete(table))",
    ],
)
def test_the_scan_finds_a_change_to_the_op_log(source: str) -> None:
    assert changes_to_ops(source) != []


def test_the_scan_passes_what_only_reads_or_appends() -> None:
    source = "db.execute(insert(_OPS)); db.execute(update(_CARDS).values(text='x')); select(_OPS)"
    assert changes_to_ops(source) == []


def test_only_the_retention_purge_changes_the_op_log() -> None:
    changing = {
        path.relative_to(ROOT).as_posix(): found
        for path in SOURCES
        if (found := changes_to_ops(path.read_text(encoding="utf-8")))
    }
    assert set(changing) == {PURGE}, changing
    # And there, only the delete of a whole meeting's rows, ops among them.
    assert all(entry.startswith("line") and "delete(table)" in entry for entry in changing[PURGE]), changing
    assert "ops" in {table.name for table, _ in MEETING_TABLES}


# ---- the chain verifies after a scripted conference --------------------------------------------------------------


async def _scripted_then_verified(server: ServerProcess) -> tuple[dict[str, object], int]:
    connections = Connections()
    try:
        meeting = await build(server, connections)
        last_seq = await finalise_with_addendum(meeting)
    finally:
        await connections.close_all()
    async with httpx.AsyncClient(base_url=server.url, verify=TLS) as http:
        answer = await http.get(f"/api/meetings/{meeting.meeting_id}/verify", headers={"Cookie": meeting.chair.cookie})
    assert answer.status_code == 200, answer.text
    return answer.json(), last_seq


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def scripted_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'board.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_database"))
    )
    server = ServerProcess(url, ops_per_second="1000", ops_burst="1000").start()
    try:
        yield server
    finally:
        server.stop()


def test_after_a_scripted_conference_the_chain_verifies(scripted_server: ServerProcess) -> None:
    verification, last_seq = asyncio.run(_scripted_then_verified(scripted_server))
    assert verification["holds"] is True, verification
    assert verification["record_matches_log"] is True, verification
    assert verification["ops"] == last_seq >= 22
    assert re.fullmatch(r"[0-9a-f]{64}", str(verification["last_hash"]))
    assert verification["first_broken_seq"] is None and verification["problem"] is None
