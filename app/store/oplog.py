"""The op log and the board projection, written together in one transaction per operation.

Order of work inside the transaction matters: the first statement bumps the meeting's `last_seq`, which takes the
meeting's row lock (PostgreSQL) or the write lock (SQLite). Everything after it, the duplicate check included, sees
every op committed before it, so sequence numbers stay gap-free and ordered across processes.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from app.domain.board import BoardState, Card, CardKind, Column
from app.domain.errors import MeetingNotFound
from app.domain.operations import (
    Actor,
    AddCard,
    DeleteCard,
    EditCard,
    MoveCard,
    apply_operation,
    operation_adapter,
)
from app.domain.roles import Role
from app.store.database import Database
from app.store.tables import CardRow, MeetingRow, OpRow, as_utc, utcnow
from app.store.tokens import new_id

Op = AddCard | EditCard | MoveCard | DeleteCard


@dataclass(frozen=True, slots=True)
class CommittedOp:
    """An operation as it stands in the log: what the ack and the broadcast event are made from."""

    meeting_id: str
    seq: int
    op_id: str
    actor: Actor
    op: Op
    card: Card | None
    card_id: str
    at: datetime
    duplicate: bool = False


class _BoardCache:
    """Boards of recently active meetings, so an op usually needs no read of the projection. An entry is used
    only when its seq is exactly the one before the op's, which the row lock makes true only if no other
    process wrote in between. So anything that ever changes `cards` or a meeting's status must do it as an op
    through `commit` (finalising included), bumping `last_seq`, or this cache would serve a stale board."""

    def __init__(self, size: int = 512) -> None:
        self._boards: OrderedDict[str, BoardState] = OrderedDict()
        self._size = size

    def get(self, meeting_id: str, seq: int) -> BoardState | None:
        board = self._boards.get(meeting_id)
        if board is None or board.seq != seq:
            return None
        self._boards.move_to_end(meeting_id)
        return board

    def put(self, meeting_id: str, board: BoardState) -> None:
        current = self._boards.get(meeting_id)
        if current is not None and current.seq >= board.seq:
            return
        self._boards[meeting_id] = board
        self._boards.move_to_end(meeting_id)
        while len(self._boards) > self._size:
            self._boards.popitem(last=False)


class OpLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache = _BoardCache()

    async def commit(self, meeting_id: str, actor: Actor, op_id: str, op: Op) -> CommittedOp:
        """Apply `op` and make it durable. Raises a DomainError (and saves nothing) when the rules refuse it.
        A second commit with the same op id returns the first one, marked duplicate."""
        return await self.db.transaction(
            functools.partial(self._commit_in, meeting_id=meeting_id, actor=actor, op_id=op_id, op=op)
        )

    def _commit_in(self, session: Session, *, meeting_id: str, actor: Actor, op_id: str, op: Op) -> CommittedOp:
        """The transaction itself. On SQLite it runs on the writer thread, the only thread that then touches the
        board cache."""
        db = session.connection()
        reserved = db.execute(_RESERVE_SEQ, {"b_meeting": meeting_id}).one_or_none()
        if reserved is None:
            raise MeetingNotFound("There is no such meeting.")
        seq, status = int(reserved[0]), str(reserved[1])
        earlier = db.execute(_EARLIER_OP, {"b_meeting": meeting_id, "b_op_id": op_id}).one_or_none()
        if earlier is not None:
            first = _from_row(earlier, duplicate=True)
            session.rollback()  # gives back the seq reserved above
            return first
        before = self._cache.get(meeting_id, seq - 1) or _load_board(session, meeting_id)
        read_only = status != "open"
        if before.read_only != read_only:
            before = before.model_copy(update={"read_only": read_only})
        applied = apply_operation(before, op, actor, new_card_id=new_id(), seq=seq)
        at = utcnow()
        db.execute(
            _INSERT_OP,
            {
                "meeting_id": meeting_id,
                "seq": seq,
                "op_id": op_id,
                "actor_id": actor.participant_id,
                "role": actor.role.value,
                "type": applied.op.type,
                "card_id": applied.card_id,
                "payload": _payload(applied.op, applied.card),
                "created_at": at,
            },
        )
        _write_projection(db, meeting_id, before, applied.state)
        session.commit()
        self._cache.put(meeting_id, applied.state)
        return CommittedOp(meeting_id, seq, op_id, actor, applied.op, applied.card, applied.card_id, at)

    async def board(self, meeting_id: str) -> BoardState:
        """The current board and the seq it is consistent with."""
        async with self.db.read() as session:
            return await session.run_sync(_load_board, meeting_id)

    async def since(self, meeting_id: str, after_seq: int, limit: int) -> tuple[list[CommittedOp], int] | None:
        """Ops after `after_seq` in order with the meeting's current seq, or None when a snapshot is the better
        answer: more than `limit` ops followed, or `after_seq` is ahead of the log (a client from another
        database)."""
        async with self.db.read() as session:
            return await session.run_sync(_since, meeting_id, after_seq, limit)

    async def between(self, meeting_id: str, after_seq: int, up_to_seq: int) -> list[CommittedOp]:
        async with self.db.read() as session:
            return await session.run_sync(_between, meeting_id, after_seq, up_to_seq)


def _since(session: Session, meeting_id: str, after_seq: int, limit: int) -> tuple[list[CommittedOp], int] | None:
    last_seq = session.execute(select(_MEETINGS.c.last_seq).where(_MEETINGS.c.id == meeting_id)).scalar_one_or_none()
    if last_seq is None:
        raise MeetingNotFound("There is no such meeting.")
    if after_seq > last_seq or last_seq - after_seq > limit:
        return None
    return _between(session, meeting_id, after_seq, last_seq), int(last_seq)


def _between(session: Session, meeting_id: str, after_seq: int, up_to_seq: int) -> list[CommittedOp]:
    rows = session.execute(
        select(_OPS)
        .where(_OPS.c.meeting_id == meeting_id, _OPS.c.seq > after_seq, _OPS.c.seq <= up_to_seq)
        .order_by(_OPS.c.seq)
    )
    return [_from_row(row) for row in rows]


def _payload(op: Op, card: Card | None) -> str:
    return json.dumps(
        {"op": op.model_dump(mode="json"), "card": card.model_dump(mode="json") if card else None},
        separators=(",", ":"),
    )


def _from_row(row: Row[Any], duplicate: bool = False) -> CommittedOp:
    payload = json.loads(row.payload)
    card = Card.model_validate(payload["card"]) if payload["card"] is not None else None
    return CommittedOp(
        meeting_id=row.meeting_id,
        seq=row.seq,
        op_id=row.op_id,
        actor=Actor(row.actor_id, Role(row.role)),
        op=operation_adapter.validate_python(payload["op"]),
        card=card,
        card_id=row.card_id,
        at=as_utc(row.created_at),
        duplicate=duplicate,
    )


def _load_board(session: Session, meeting_id: str) -> BoardState:
    meeting = session.execute(
        select(_MEETINGS.c.last_seq, _MEETINGS.c.status).where(_MEETINGS.c.id == meeting_id)
    ).one_or_none()
    if meeting is None:
        raise MeetingNotFound("There is no such meeting.")
    rows = session.execute(
        select(_CARDS).where(_CARDS.c.meeting_id == meeting_id).order_by(_CARDS.c.column, _CARDS.c.position)
    )
    columns: dict[Column, list[Card]] = {column: [] for column in Column}
    for row in rows:
        columns[Column(row.column)].append(
            Card(
                id=row.id,
                column=Column(row.column),
                kind=CardKind(row.kind),
                text=row.text,
                author_id=row.author_id,
                version=row.version,
            )
        )
    return BoardState(
        seq=int(meeting[0]),
        read_only=meeting[1] != "open",
        columns={column: tuple(cards) for column, cards in columns.items()},
    )


def _placed(board: BoardState) -> dict[str, tuple[Card, int]]:
    return {card.id: (card, position) for cards in board.columns.values() for position, card in enumerate(cards)}


def _write_projection(db: Connection, meeting_id: str, before: BoardState, after: BoardState) -> None:
    """Write only what the op changed: the card it touched, and in one batch the neighbours whose position
    shifted (one statement per neighbour would hold SQLite's single write lock for every meeting)."""
    old, new = _placed(before), _placed(after)
    for card_id in old.keys() - new.keys():
        db.execute(_DELETE_CARD, {"b_meeting": meeting_id, "b_id": card_id})
    shifted: list[dict[str, object]] = []
    for card_id, (card, position) in new.items():
        previous = old.get(card_id)
        if previous == (card, position):
            continue
        if previous is not None and previous[0] == card:
            shifted.append({"b_meeting": meeting_id, "b_id": card_id, "b_position": position})
            continue
        values = {
            "b_meeting": meeting_id,
            "b_id": card_id,
            "b_column": card.column.value,
            "b_kind": card.kind.value,
            "b_text": card.text,
            "b_author_id": card.author_id,
            "b_version": card.version,
            "b_position": position,
        }
        db.execute(_UPDATE_CARD if previous is not None else _INSERT_CARD, values)
    if shifted:
        db.execute(_SHIFT, shifted)


# The statements of the hot path, built once: building them per op cost more CPU than running them.
_MEETINGS: Table = MeetingRow.__table__  # type: ignore[attr-defined]
_OPS: Table = OpRow.__table__  # type: ignore[attr-defined]
_CARDS: Table = CardRow.__table__  # type: ignore[attr-defined]
_RESERVE_SEQ = (
    update(_MEETINGS)
    .where(_MEETINGS.c.id == bindparam("b_meeting"))
    .values(last_seq=_MEETINGS.c.last_seq + 1)
    .returning(_MEETINGS.c.last_seq, _MEETINGS.c.status)
)
_EARLIER_OP = select(_OPS).where(_OPS.c.meeting_id == bindparam("b_meeting"), _OPS.c.op_id == bindparam("b_op_id"))
_INSERT_OP = insert(_OPS)
_CARD_FIELDS = ("column", "kind", "text", "author_id", "version", "position")
_CARD_VALUES: dict[str, BindParameter[Any]] = {name: bindparam(f"b_{name}") for name in _CARD_FIELDS}
_INSERT_CARD = insert(_CARDS).values(meeting_id=bindparam("b_meeting"), id=bindparam("b_id"), **_CARD_VALUES)
_THIS_CARD = (_CARDS.c.meeting_id == bindparam("b_meeting"), _CARDS.c.id == bindparam("b_id"))
_UPDATE_CARD = update(_CARDS).where(*_THIS_CARD).values(**_CARD_VALUES)
_DELETE_CARD = delete(_CARDS).where(*_THIS_CARD)
_SHIFT = update(_CARDS).where(*_THIS_CARD).values(position=bindparam("b_position"))
