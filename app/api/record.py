"""The record: what the chair should know before finalising, and whether the record still is what was recorded
(its hash chain). The exports (PDF, JSON, Markdown) join them here."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.errors import responses
from app.api.sessions import ChairDep, ProfessionalDep, ServicesDep
from app.domain.record import Missing, what_is_missing

router = APIRouter(prefix="/api", tags=["record"])


class Verification(BaseModel):
    meeting_id: str
    holds: bool = Field(description="Every op's stored hash is the one recomputed from the meeting's genesis.")
    ops: int = Field(description="How many ops were checked.")
    last_hash: str | None = Field(description="The hash the record names (its last op's); null when it breaks.")
    first_broken_seq: int | None = Field(description="Where the chain breaks: the first op changed or missing.")
    problem: str | None = Field(description="What is wrong, in plain words.")
    record_matches_log: bool = Field(
        description="The stored meeting is exactly its log replayed (a change made behind the log shows here)."
    )


@router.get("/meetings/{meeting_id}/verify", responses=responses(401, 403, 404, 422))
async def verify(meeting_id: str, _who: ProfessionalDep, services: ServicesDep) -> Verification:
    """Recompute the meeting's hash chain (docs/record.md says how) and say whether the record holds."""
    chain, matches = await services.oplog.verify(meeting_id)
    return Verification(
        meeting_id=meeting_id,
        holds=chain.holds,
        ops=chain.ops,
        last_hash=chain.last_hash,
        first_broken_seq=chain.first_broken_seq,
        problem=chain.problem,
        record_matches_log=matches,
    )


class FinaliseCheck(BaseModel):
    missing: list[Missing] = Field(description="What the record lacks; the chair may finalise all the same.")


@router.get("/meetings/{meeting_id}/finalise-check", responses=responses(401, 403, 404, 422))
async def finalise_check(meeting_id: str, _chair: ChairDep, services: ServicesDep) -> FinaliseCheck:
    """What the chair's confirmation lists before finalising: a child with no decision, a danger statement with no
    safety goal, a next step with no one named."""
    return FinaliseCheck(missing=what_is_missing(await services.oplog.board(meeting_id)))
