"""An op as one statement on PostgreSQL, which commits by itself: one round trip instead of five.

On PostgreSQL every statement of a transaction is a round trip through the process's event loop (BEGIN, the seq's
reservation, the op's row, its card, COMMIT), and with a thousand sockets on that loop each trip waits its turn:
the sixth session measured commits of 50-200 ms in bursts while PostgreSQL answered each statement in about a
millisecond. When the op log already holds the meeting as its last op left it (its board cache), the op is applied
in memory first, and its whole write goes as one statement of data-modifying CTEs, in autocommit:

- `reserved` bumps the meeting's `last_seq`, only if it is still the seq the cached board stands at, the meeting is
  still open and the op id is not taken: the row lock orders it against every other process, as in a transaction;
- every other part (the op's row, the cards it touched, the rest of the meeting) writes only if `reserved` did.

If `reserved` did not (another process wrote first, a resend, a status changed behind the cache), nothing was
written and the op takes the transaction path, which reads what it needs. Each shape of write (which parts, in
which order) is one statement, compiled once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import BindParameter, Exists, Select, Table, bindparam, delete, insert, select, update
from sqlalchemy.sql.selectable import CTE

from app.store.prepared import Prepared
from app.store.tables import CardRow, MeetingRow, MeetingStateRow, OpRow

WriteKind = Literal["state", "delete", "insert", "update", "shift"]
ProjectionWrite = tuple[WriteKind, dict[str, Any]]
"""One write of an op's projection: its kind, and its parameters as the transaction path's statements name them
(`b_meeting`, `b_id`, `b_text`...)."""

MAX_PARTS = 8
"""Projection writes one statement takes at most; an op that moves more cards (a long column reordered) takes the
transaction path rather than compiling a statement of its own shape."""

OP_FIELDS = ("meeting_id", "seq", "op_id", "actor_id", "role", "type", "card_id", "payload", "created_at", "hash")
CARD_FIELDS = ("column", "kind", "text", "author_id", "version", "position", "child_ids", "restricted", "edited_by")

_MEETINGS: Table = MeetingRow.__table__  # type: ignore[attr-defined]
_OPS: Table = OpRow.__table__  # type: ignore[attr-defined]
_CARDS: Table = CardRow.__table__  # type: ignore[attr-defined]
_STATES: Table = MeetingStateRow.__table__  # type: ignore[attr-defined]


def fits(writes: Sequence[ProjectionWrite]) -> bool:
    return len(writes) <= MAX_PARTS


def op_statement_params(
    op_row: Mapping[str, Any], writes: Sequence[ProjectionWrite], *, last_seq: int
) -> dict[str, Any]:
    """The statement's parameters: the op's row (`b_<column>`), the seq the op was applied against, and each
    write's own parameters renamed for its part (`p<i>_<name>`)."""
    params: dict[str, Any] = {f"b_{name}": value for name, value in op_row.items()}
    params.update(b_meeting=op_row["meeting_id"], b_last_seq=last_seq)
    for index, (_kind, write) in enumerate(writes):
        params.update({f"p{index}_{name[2:]}": value for name, value in write.items() if name != "b_meeting"})
    return params


@functools.lru_cache(maxsize=256)
def op_statement(kinds: tuple[WriteKind, ...]) -> Prepared:
    """The one statement for an op on an open meeting whose projection writes are of these kinds, in this order. It
    returns the seq it reserved, or no row when it wrote nothing."""
    reserved = (
        update(_MEETINGS)
        .where(
            _MEETINGS.c.id == bindparam("b_meeting"),
            _MEETINGS.c.last_seq == bindparam("b_last_seq"),
            _MEETINGS.c.status == "open",  # the cache holds open meetings only
            ~select(_OPS.c.seq)
            .where(_OPS.c.meeting_id == bindparam("b_meeting"), _OPS.c.op_id == bindparam("b_op_id"))
            .exists(),
        )
        .values(last_seq=_MEETINGS.c.last_seq + 1)
        .returning(_MEETINGS.c.last_seq)
        .cte("reserved")
    )
    went = select(reserved.c.last_seq).exists()
    parts = [_inserted(_OPS, "op_row", {name: f"b_{name}" for name in OP_FIELDS}, reserved)]
    parts += [_part(kind, index, reserved, went) for index, kind in enumerate(kinds)]
    return Prepared(select(reserved.c.last_seq).add_cte(*parts))


def _part(kind: WriteKind, index: int, reserved: CTE, went: Exists) -> CTE:
    name = f"p{index}"
    this_card = (_CARDS.c.meeting_id == bindparam("b_meeting"), _CARDS.c.id == bindparam(f"{name}_id"))
    if kind == "state":
        return (
            update(_STATES)
            .where(_STATES.c.meeting_id == bindparam("b_meeting"), went)
            .values(state=bindparam(f"{name}_state"))
            .cte(name)
        )
    if kind == "delete":
        return delete(_CARDS).where(*this_card, went).cte(name)
    if kind == "shift":
        return update(_CARDS).where(*this_card, went).values(position=bindparam(f"{name}_position")).cte(name)
    if kind == "update":
        card: dict[str, BindParameter[Any]] = {field: bindparam(f"{name}_{field}") for field in CARD_FIELDS}
        return update(_CARDS).where(*this_card, went).values(**card).cte(name)
    columns = {"meeting_id": "b_meeting", "id": f"{name}_id", **{field: f"{name}_{field}" for field in CARD_FIELDS}}
    return _inserted(_CARDS, name, columns, reserved)


def _inserted(table: Table, name: str, columns: dict[str, str], reserved: CTE) -> CTE:
    """INSERT ... SELECT <parameters> FROM reserved: a row only if the seq was reserved. Each parameter carries its
    column's type, so PostgreSQL is told it (a bare parameter in a SELECT list would be text)."""
    values: Select[Any] = select(*(bindparam(param, type_=table.c[column].type) for column, param in columns.items()))
    return insert(table).from_select(list(columns), values.select_from(reserved)).cte(name)
