"""The audit trail: everything that happened in a meeting, ops and other actions, for the chair (and as CSV).

The trail is every op of the log (who, in which role, when, what kind, about which item; never its words) merged
in time order with the audit events (invites, joins, revokes, leaves, reads and exports of the record...). Names
are put to ids here, for the screen and the download; the stored trail holds ids only. Reading it is recorded too.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from app.api.access import Allowed
from app.api.errors import responses
from app.api.sessions import ServicesDep
from app.domain.meeting import Participant
from app.domain.roles import HttpAction
from app.exports.formatting import download_name
from app.store.audit import AuditAction, AuditEvent, DetailValue, OpEntry, Trail

router = APIRouter(prefix="/api", tags=["audit"])

NO_STORE = "no-store"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (CSV injection): such cells get a quote."""


class AuditEntry(BaseModel):
    at: datetime = Field(description="When it happened (UTC).")
    kind: Literal["op", "event"] = Field(description="op: a change in the op log; event: any other action.")
    seq: int | None = Field(description="The op's place in the meeting's log; null for other actions.")
    actor_id: str | None = Field(description="Who did it; null when the system did.")
    actor_role: str | None = Field(description="Their role when they did it (chair, professional, family...).")
    actor_name: str | None = Field(description="Their name in this meeting.")
    action: str = Field(description="The op's type (add_card, record_decision...) or the action (joined...).")
    item_id: str | None = Field(description="What an op was about: an item's id, never its words.")
    participant_id: str | None = Field(description="Whom an action was about (invited, link revoked...).")
    participant_name: str | None
    participant_role: str | None
    detail: dict[str, DetailValue] = Field(description="Ids, counts and formats only.")


class AuditTrailOut(BaseModel):
    meeting_id: str
    entries: list[AuditEntry] = Field(description="Oldest first.")


CSV_COLUMNS = (
    "time_utc",
    "kind",
    "seq",
    "actor_id",
    "actor_role",
    "actor_name",
    "action",
    "item_id",
    "participant_id",
    "participant_name",
    "participant_role",
    "detail",
)


def _entry(entry: OpEntry | AuditEvent, people: dict[str, Participant]) -> AuditEntry:
    def name(participant_id: str | None) -> str | None:
        person = people.get(participant_id) if participant_id else None
        return person.display_name if person else None

    if isinstance(entry, OpEntry):
        return AuditEntry(
            at=entry.at,
            kind="op",
            seq=entry.seq,
            actor_id=entry.actor_id,
            actor_role=entry.role.value,
            actor_name=name(entry.actor_id),
            action=entry.type,
            item_id=entry.item_id,
            participant_id=None,
            participant_name=None,
            participant_role=None,
            detail={},
        )
    about = entry.participant_id
    about_person = people.get(about) if about else None
    return AuditEntry(
        at=entry.at,
        kind="event",
        seq=None,
        actor_id=entry.actor_id,
        actor_role=entry.role,
        actor_name=name(entry.actor_id),
        action=entry.action,
        item_id=None,
        participant_id=about,
        participant_name=about_person.display_name if about_person else None,
        participant_role=about_person.role.value if about_person else None,
        detail=entry.detail,
    )


def _entries(trail: Trail) -> list[AuditEntry]:
    return [_entry(entry, trail.people) for entry in trail.entries]


def safe_cell(value: object) -> str:
    """The cell as text, neutralised against formula injection: a leading =, +, -, @, tab or carriage return
    gets a single quote before it, so a spreadsheet shows it as text and never runs it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_row(entry: AuditEntry) -> list[str]:
    values: list[object] = [
        entry.at.isoformat(),
        entry.kind,
        entry.seq,
        entry.actor_id,
        entry.actor_role,
        entry.actor_name,
        entry.action,
        entry.item_id,
        entry.participant_id,
        entry.participant_name,
        entry.participant_role,
        json.dumps(entry.detail, sort_keys=True) if entry.detail else "",
    ]
    return [safe_cell(value) for value in values]


def audit_csv(entries: list[AuditEntry]) -> str:
    """The trail as CSV (RFC 4180: every cell quoted, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(entry) for entry in entries)
    return out.getvalue()


@router.get("/meetings/{meeting_id}/audit", responses=responses(401, 403, 404, 422))
async def audit_trail(
    meeting_id: str,
    chair: Annotated[Participant, Depends(Allowed(HttpAction.read_audit))],
    services: ServicesDep,
    response: Response,
) -> AuditTrailOut:
    """The meeting's whole trail, oldest first: every op (who, role, when, what kind, which item; never its words)
    and every other action (invites, joins, revokes, leaves, reads and exports of the record). Chair only. This
    read is recorded in the trail too."""
    await services.audit.record(meeting_id, AuditAction.audit_read, chair, {"format": "json"})
    trail = await services.audit.trail(meeting_id)
    response.headers["Cache-Control"] = NO_STORE
    return AuditTrailOut(meeting_id=meeting_id, entries=_entries(trail))


@router.get(
    "/meetings/{meeting_id}/audit.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The trail as CSV."},
        **responses(401, 403, 404, 422),
    },
)
async def audit_trail_csv(
    meeting_id: str, who: Annotated[Participant, Depends(Allowed(HttpAction.export_audit_csv))], services: ServicesDep
) -> Response:
    """The same trail as a CSV download, for the chair and the professionals (a records manager's copy). Cells
    that a spreadsheet would run as a formula are neutralised. This download is recorded in the trail too."""
    await services.audit.record(meeting_id, AuditAction.audit_read, who, {"format": "csv"})
    trail = await services.audit.trail(meeting_id)
    filename = download_name("audit", datetime.now(UTC).date(), meeting_id, "csv")  # the trail as of today
    return Response(
        content="\ufeff" + audit_csv(_entries(trail)),  # the BOM: spreadsheets then read names as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": NO_STORE},
    )
