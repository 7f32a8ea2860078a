"""Retention: legal holds on a meeting, kept past the retention period until lifted.

For now the chair places and lifts a hold (an administrator role will come later). A hold works on a finalised
meeting too: that is what it is for, so it is not a change to the record and no finalised-meeting lock refuses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from app.api.access import Allowed
from app.api.errors import responses
from app.api.sessions import ServicesDep
from app.domain.meeting import Participant
from app.domain.roles import HttpAction
from app.store import retention

router = APIRouter(prefix="/api", tags=["retention"])


class RetentionOut(BaseModel):
    """How long the deployment keeps this meeting, and whether a legal hold keeps it longer."""

    legal_hold: bool = Field(description="True: the purge keeps this meeting, past retention too, until lifted.")
    retention_days: int | None = Field(
        description="Days the deployment keeps a meeting, counted from when it was finalised (or, if it never was, "
        "created); null: meetings are kept until deleted by hand."
    )
    purge_after: datetime | None = Field(
        description="From this moment the next purge deletes the meeting, unless it is under legal hold; null: no "
        "retention period is set."
    )


@router.get("/meetings/{meeting_id}/retention", responses=responses(401, 403, 404, 422))
async def get_retention(
    meeting_id: str, _chair: Annotated[Participant, Depends(Allowed(HttpAction.read_retention))], services: ServicesDep
) -> RetentionOut:
    """The meeting's retention: whether it is under legal hold, and when it becomes due for deletion."""
    retention_days = services.settings.retention_days
    state = await retention.retention_of(services.db, meeting_id, retention_days)
    return RetentionOut(legal_hold=state.legal_hold, retention_days=retention_days, purge_after=state.purge_after)


@router.put(
    "/meetings/{meeting_id}/hold", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404, 422)
)
async def place_hold(
    meeting_id: str, chair: Annotated[Participant, Depends(Allowed(HttpAction.place_hold))], services: ServicesDep
) -> None:
    """Place a legal hold: the purge keeps the meeting until the hold is lifted. Recorded in the audit trail
    (who, when). Placing a hold on a held meeting changes nothing."""
    await retention.place_hold(services.db, meeting_id, actor_id=chair.id, role=chair.role.value)


@router.delete(
    "/meetings/{meeting_id}/hold", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404, 422)
)
async def lift_hold(
    meeting_id: str, chair: Annotated[Participant, Depends(Allowed(HttpAction.lift_hold))], services: ServicesDep
) -> None:
    """Lift the legal hold: once past retention, the next purge deletes the meeting. Recorded in the audit trail.
    Lifting when there is no hold changes nothing."""
    await retention.lift_hold(services.db, meeting_id, actor_id=chair.id, role=chair.role.value)
