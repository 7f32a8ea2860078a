"""A SQLite group's ops as a handful of statements, whatever its size: the meetings' seqs in one statement, the ops'
rows in one, the cards they left in one.

Why: the `sqlite3` module gives up the interpreter lock around every statement it runs, and the writer thread must
get it back before its next one. While the event loop's thread is busy (fan-out, sockets, pings under load), that
takes up to a switch interval (5 ms) each time. One op at a time is about five statements (its savepoint, its seq,
its row, its card, the release), so a group of 64 waited for the lock some 320 times: groups of 200-470 ms under
load and up to 2 s in the drain, with the writer running in only 43% of the samples (the ninth session's profile).
A plain `sqlite3` thread committing such groups beside a thread always running Python managed 35-39 ops a second;
beside an idle one, 16,000-20,000.

So on SQLite, where the writer thread is the only writer, a group's ops are applied in memory to the boards the op
log holds for their meetings (as PostgreSQL's one-statement path does, app/store/op_statement.py), and written
together. Each meeting's seq is bumped only if it is still the seq its held board stands at and the meeting still
open; if any is not, or a constraint refuses a row (an op id already taken: a resend), nothing of this is kept and
the group goes one op at a time, in savepoints, reading what it needs.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import BindParameter, Connection, Table, bindparam, insert, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.store.op_statement import CARD_FIELDS, OP_FIELDS
from app.store.prepared import Prepared
from app.store.tables import CardRow, OpRow

ROWS_A_STATEMENT = 200
"""Rows one statement writes at most: a meeting's whole column reordered can rewrite hundreds of cards, and SQLite
takes at most 32,766 parameters a statement (eleven a card)."""

_OPS: Table = OpRow.__table__  # type: ignore[attr-defined]
_CARDS: Table = CardRow.__table__  # type: ignore[attr-defined]


def bump_seqs(connection: Connection, seqs: Mapping[str, tuple[int, int]]) -> bool:
    """Set each meeting's `last_seq` from the first of its pair to the second, in one statement, only if every one
    of them still stands at the first and is open. False (and nothing changed that the group's rollback does not
    take back) if any does not."""
    params: dict[str, Any] = {}
    for index, (meeting_id, (held, now)) in enumerate(seqs.items()):
        params.update({f"m{index}": meeting_id, f"held{index}": held, f"now{index}": now})
    return _seqs_statement(len(seqs)).changed(connection, params) == len(seqs)


def insert_ops(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """The ops' rows (by column), in as few statements as ROWS_A_STATEMENT allows. A taken op id raises
    IntegrityError."""
    _in_chunks(connection, INSERT_OP, [{f"b_{name}": row[name] for name in OP_FIELDS} for row in rows])


def upsert_cards(connection: Connection, cards: Sequence[Mapping[str, Any]]) -> None:
    """Cards added or changed, each with every column (`b_meeting`, `b_id` and `b_<field>`, as the projection's
    writes name them): a new card is inserted, one the meeting has is overwritten."""
    _in_chunks(connection, _UPSERT_CARD, cards)


def _in_chunks(connection: Connection, statement: Prepared, rows: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(rows), ROWS_A_STATEMENT):
        statement.run_rows(connection, rows[start : start + ROWS_A_STATEMENT])


INSERT_OP = Prepared(insert(_OPS).values({name: bindparam(f"b_{name}") for name in OP_FIELDS}))
CARD_VALUES: dict[str, BindParameter[Any]] = {name: bindparam(f"b_{name}") for name in CARD_FIELDS}
_CARD_INSERT = sqlite_insert(_CARDS).values(meeting_id=bindparam("b_meeting"), id=bindparam("b_id"), **CARD_VALUES)
_UPSERT_CARD = Prepared(
    _CARD_INSERT.on_conflict_do_update(
        index_elements=[_CARDS.c.meeting_id, _CARDS.c.id],
        set_={name: _CARD_INSERT.excluded[name] for name in CARD_FIELDS},
    )
)


@functools.lru_cache(maxsize=128)
def _seqs_statement(meetings: int) -> Prepared:
    """Written as text: SQLAlchemy took milliseconds to compile it for each number of meetings."""
    now = " ".join(f"WHEN :m{index} THEN :now{index}" for index in range(meetings))
    held = " OR ".join(f"(id = :m{index} AND last_seq = :held{index})" for index in range(meetings))
    sql = f"UPDATE meetings SET last_seq = CASE id {now} ELSE last_seq END WHERE status = 'open' AND ({held})"  # noqa: S608  # nosec B608  # parameter names only
    return Prepared(text(sql))
