"""Helpers for the store tests: a meeting with people in every role, client op ids, and the log read back."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from app.domain.operations import Actor, AnyOperation, replay
from app.domain.roles import Role
from app.domain.state import BoardState
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.oplog import Busy, CommittedOp, OpLog
from app.store.tables import CardRow, OpRow


@dataclass(frozen=True)
class Room:
    """A meeting with real participants in each role, as the chair would set it up."""

    meeting_id: str
    chair: Actor
    social_worker: Actor
    teacher: Actor
    mum: Actor
    gran: Actor
    projector: Actor

    @property
    def everyone(self) -> list[Actor]:
        return [self.chair, self.social_worker, self.teacher, self.mum, self.gran, self.projector]


async def new_room(db: Database) -> Room:
    meetings = Meetings(db, session_hours=8)
    signed_in, _ = await meetings.create("Review conference", "Chair")
    meeting_id = signed_in.meeting.id

    async def invite(role: Role, name: str) -> Actor:
        invited = await meetings.invite(meeting_id, role, name, None)
        return Actor(invited.participant.id, role)

    return Room(
        meeting_id=meeting_id,
        chair=Actor(signed_in.participant.id, Role.chair),
        social_worker=await invite(Role.professional, "Social worker"),
        teacher=await invite(Role.professional, "Teacher"),
        mum=await invite(Role.family, "Mum"),
        gran=await invite(Role.family, "Gran"),
        projector=await invite(Role.projector, "Wall"),
    )


_op_ids = itertools.count(1)


def op_id() -> str:
    """A client-generated op id, unique within the test session."""
    return f"op-{next(_op_ids)}"


async def commit_as_a_client(
    oplog: OpLog, meeting_id: str, actor: Actor, client_op_id: str, op: AnyOperation
) -> CommittedOp:
    """Commit as the board page does: told `busy`, wait the `retry_after` given and send the same op again. A burst
    of hundreds of ops at once on a loaded machine may be refused in part (that is the op log's push-back); what the
    log must keep then is every op, taken once, in gap-free seqs."""
    while True:
        try:
            return await oplog.commit(meeting_id, actor, client_op_id, op)
        except Busy as refused:
            await asyncio.sleep(refused.retry_after)


async def whole_log(oplog: OpLog, meeting_id: str) -> list[CommittedOp]:
    result = await oplog.since(meeting_id, 0, 1_000_000)
    assert result is not None
    ops, last_seq = result
    assert [op.seq for op in ops] == list(range(1, last_seq + 1)), "the op log has no gaps"
    return ops


async def replayed(oplog: OpLog, meeting_id: str) -> BoardState:
    """The board rebuilt from nothing but the op log."""
    entries = [(op.seq, op.op, op.actor, op.at) for op in await whole_log(oplog, meeting_id)]
    return replay(entries, await oplog.genesis(meeting_id))


async def op_rows(db: Database, meeting_id: str) -> list[OpRow]:
    async with db.read() as session:
        rows = await session.execute(select(OpRow).where(col(OpRow.meeting_id) == meeting_id).order_by(col(OpRow.seq)))
        return list(rows.scalars())


async def card_rows(db: Database, meeting_id: str) -> list[CardRow]:
    async with db.read() as session:
        rows = await session.execute(
            select(CardRow)
            .where(col(CardRow.meeting_id) == meeting_id)
            .order_by(col(CardRow.column), col(CardRow.position))
        )
        return list(rows.scalars())
