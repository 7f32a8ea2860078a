"""The op log and the board projection, written together in one transaction per operation.

Order of work inside the transaction matters: the first statement bumps the meeting's `last_seq`, which takes the
meeting's row lock (PostgreSQL) or the write lock (SQLite). Everything after it, the duplicate check included, sees
every op committed before it, so sequence numbers stay gap-free and ordered across processes.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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
        async with self.db.write() as session:
            reserved = (
                await session.execute(
                    update(MeetingRow)
                    .where(col(MeetingRow.id) == meeting_id)
                    .values(last_seq=col(MeetingRow.last_seq) + 1)
                    .returning(col(MeetingRow.last_seq), col(MeetingRow.status))
                )
            ).one_or_none()
            if reserved is None:
                raise MeetingNotFound("There is no such meeting.")
            seq, status = int(reserved[0]), str(reserved[1])
            earlier = (
                await session.execute(
                    select(OpRow).where(col(OpRow.meeting_id) == meeting_id, col(OpRow.op_id) == op_id)
                )
            ).scalar_one_or_none()
            if earlier is not None:
                first = _from_row(earlier, duplicate=True)
                await session.rollback()  # gives back the seq reserved above
                return first
            before = self._cache.get(meeting_id, seq - 1) or await _load_board(session, meeting_id)
            read_only = status != "open"
            if before.read_only != read_only:
                before = before.model_copy(update={"read_only": read_only})
            applied = apply_operation(before, op, actor, new_card_id=new_id(), seq=seq)
            at = utcnow()
            session.add(
                OpRow(
                    meeting_id=meeting_id,
                    seq=seq,
                    op_id=op_id,
                    actor_id=actor.participant_id,
                    role=actor.role.value,
                    type=applied.op.type,
                    card_id=applied.card_id,
                    payload=_payload(applied.op, applied.card),
                    created_at=at,
                )
            )
            await _write_projection(session, meeting_id, before, applied.state)
            await session.commit()
        self._cache.put(meeting_id, applied.state)
        return CommittedOp(meeting_id, seq, op_id, actor, applied.op, applied.card, applied.card_id, at)

    async def board(self, meeting_id: str) -> BoardState:
        """The current board and the seq it is consistent with."""
        async with self.db.read() as session:
            return await _load_board(session, meeting_id)

    async def since(self, meeting_id: str, after_seq: int, limit: int) -> tuple[list[CommittedOp], int] | None:
        """Ops after `after_seq` in order with the meeting's current seq, or None when a snapshot is the better
        answer: more than `limit` ops followed, or `after_seq` is ahead of the log (a client from another
        database)."""
        async with self.db.read() as session:
            last_seq = (
                await session.execute(select(col(MeetingRow.last_seq)).where(col(MeetingRow.id) == meeting_id))
            ).scalar_one_or_none()
            if last_seq is None:
                raise MeetingNotFound("There is no such meeting.")
            if after_seq > last_seq or last_seq - after_seq > limit:
                return None
            rows = (
                await session.execute(
                    select(OpRow)
                    .where(col(OpRow.meeting_id) == meeting_id, col(OpRow.seq) > after_seq)
                    .order_by(col(OpRow.seq))
                )
            ).scalars()
            return [_from_row(row) for row in rows], int(last_seq)

    async def between(self, meeting_id: str, after_seq: int, up_to_seq: int) -> list[CommittedOp]:
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(OpRow)
                    .where(
                        col(OpRow.meeting_id) == meeting_id,
                        col(OpRow.seq) > after_seq,
                        col(OpRow.seq) <= up_to_seq,
                    )
                    .order_by(col(OpRow.seq))
                )
            ).scalars()
            return [_from_row(row) for row in rows]


def _payload(op: Op, card: Card | None) -> str:
    return json.dumps(
        {"op": op.model_dump(mode="json"), "card": card.model_dump(mode="json") if card else None},
        separators=(",", ":"),
    )


def _from_row(row: OpRow, duplicate: bool = False) -> CommittedOp:
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


async def _load_board(session: AsyncSession, meeting_id: str) -> BoardState:
    meeting = (
        await session.execute(
            select(col(MeetingRow.last_seq), col(MeetingRow.status)).where(col(MeetingRow.id) == meeting_id)
        )
    ).one_or_none()
    if meeting is None:
        raise MeetingNotFound("There is no such meeting.")
    rows = (
        await session.execute(
            select(CardRow)
            .where(col(CardRow.meeting_id) == meeting_id)
            .order_by(col(CardRow.column), col(CardRow.position))
        )
    ).scalars()
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


_CARDS = CardRow.__table__  # type: ignore[attr-defined]
_SHIFT = (
    update(_CARDS)
    .where(_CARDS.c.meeting_id == bindparam("b_meeting"), _CARDS.c.id == bindparam("b_id"))
    .values(position=bindparam("b_position"))
)


async def _write_projection(session: AsyncSession, meeting_id: str, before: BoardState, after: BoardState) -> None:
    """Write only what the op changed: the card it touched, and in one batch the neighbours whose position
    shifted (one statement per neighbour would hold SQLite's single write lock for every meeting)."""
    old, new = _placed(before), _placed(after)
    for card_id in old.keys() - new.keys():
        await session.execute(delete(CardRow).where(col(CardRow.meeting_id) == meeting_id, col(CardRow.id) == card_id))
    shifted: list[dict[str, object]] = []
    for card_id, (card, position) in new.items():
        previous = old.get(card_id)
        if previous == (card, position):
            continue
        if previous is not None and previous[0] == card:
            shifted.append({"b_meeting": meeting_id, "b_id": card_id, "b_position": position})
            continue
        values = {
            "column": card.column.value,
            "kind": card.kind.value,
            "text": card.text,
            "author_id": card.author_id,
            "version": card.version,
            "position": position,
        }
        if previous is not None:
            await session.execute(
                update(CardRow)
                .where(col(CardRow.meeting_id) == meeting_id, col(CardRow.id) == card_id)
                .values(**values)
            )
        else:
            await session.execute(insert(CardRow).values(meeting_id=meeting_id, id=card_id, **values))
    if shifted:
        await session.execute(_SHIFT, shifted)
