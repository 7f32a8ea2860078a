"""The record: what the chair should know before finalising, and whether the record still is what was recorded
(its hash chain). The exports (PDF, JSON, Markdown) join them here."""

from __future__ import annotations

import asyncio
import functools
import weakref
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from app.api.access import Allowed
from app.api.errors import responses
from app.api.sessions import ServicesDep
from app.domain.errors import PermissionDenied
from app.domain.meeting import Participant
from app.domain.plain_words import flagged_items, glossary_for
from app.domain.record import Missing, what_is_missing
from app.domain.roles import HttpAction, Role
from app.exports.formatting import DEFAULT_ZONE, filename, zone_named
from app.exports.markdown import render_markdown
from app.exports.pdf import render_pdf
from app.exports.record import Copy, Record
from app.exports.source import read_record_source
from app.services import Services
from app.store.audit import AuditAction

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
async def verify(
    meeting_id: str, who: Annotated[Participant, Depends(Allowed(HttpAction.verify_record))], services: ServicesDep
) -> Verification:
    """Recompute the meeting's hash chain (docs/record.md says how) and say whether the record holds."""
    chain, matches = await services.oplog.verify(meeting_id)
    await services.audit.record(meeting_id, AuditAction.verified, who, {"holds": chain.holds and matches})
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
async def finalise_check(
    meeting_id: str,
    _chair: Annotated[Participant, Depends(Allowed(HttpAction.check_before_finalising))],
    services: ServicesDep,
) -> FinaliseCheck:
    """What the chair's confirmation lists before finalising: a child with no decision, a danger statement with no
    safety goal, a next step with no one named, and words still flagged by the plain-words check (not the
    family's or a child's own words, which the record keeps as they were said)."""
    state = await services.oplog.board(meeting_id)
    glossary = glossary_for(services.settings.glossary_files)
    flagged = [
        (item.entity, item.id, term)
        for item in flagged_items(state, glossary)
        if not item.own_words
        for term in item.terms
    ]
    return FinaliseCheck(missing=what_is_missing(state, flagged))


# ---- exports ------------------------------------------------------------------------------------------------------

Format = Literal["json", "md", "pdf"]
CopyQuery = Annotated[
    Copy | None,
    Query(
        description="The chair and the professionals: `family` for the family's copy (what the family may see); "
        "`full` (the default) for everything. A family member always gets the family's copy."
    ),
]
MEDIA_TYPE: dict[Format, str] = {
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
}
_PDF_RENDERERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)
"""One PDF at a time per process (per event loop): rendering is CPU-bound, holds the GIL, and WeasyPrint's font
machinery is safest on one thread at a time. Others wait their turn in the thread pool's queue."""


def _copy_for(who: Participant, asked: Copy | None) -> Copy:
    """Which copy this person gets. Who may export at all, and in which format, is HTTP_POLICY's (a family member
    may have only the PDF); here a family member is kept to the family's copy."""
    if who.role is Role.family:
        if asked == "full":
            raise PermissionDenied("The family gets the family's copy of the record.")
        return "family"
    return asked or "full"


def _pdf_renderer() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _PDF_RENDERERS.get(loop)
    if limiter is None:
        limiter = _PDF_RENDERERS[loop] = anyio.CapacityLimiter(1)
    return limiter


def _render(record: Record, fmt: Format) -> bytes:
    """The export's bytes. Blocking: runs in a worker thread."""
    zone = zone_named(DEFAULT_ZONE)
    if fmt == "json":
        return record.model_dump_json(indent=2).encode()
    if fmt == "md":
        return render_markdown(record, zone).encode()
    return render_pdf(record, zone)


async def _export(meeting_id: str, who: Participant, services: Services, fmt: Format, asked: Copy | None) -> Response:
    copy = _copy_for(who, asked)
    source = await read_record_source(services.oplog, services.meetings, meeting_id)
    record = source.record(copy, datetime.now(UTC), glossary_for(services.settings.glossary_files))
    limiter = _pdf_renderer() if fmt == "pdf" else None
    content = await anyio.to_thread.run_sync(functools.partial(_render, record, fmt), limiter=limiter)
    await services.audit.exported(meeting_id, who, fmt, copy)
    return Response(
        content=content,
        media_type=MEDIA_TYPE[fmt],
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{filename(record, fmt)}"',
        },
    )


def _download(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}, "description": description},
        **responses(401, 403, 404, 422),
    }


@router.get(
    "/meetings/{meeting_id}/record.json",
    response_model=Record,
    responses={
        200: {"description": "The record (docs/record.schema.json), as an attachment."},
        **responses(401, 403, 404, 422),
    },
)
async def record_json(
    meeting_id: str,
    who: Annotated[Participant, Depends(Allowed(HttpAction.export_record_json))],
    services: ServicesDep,
    copy: CopyQuery = None,
) -> Response:
    """The record for case-management systems: every part of the meeting, in plain words, with names, as JSON that
    validates against the published schema (docs/record.schema.json, `record_version`). Chair and professionals
    only. Recorded in the audit trail."""
    return await _export(meeting_id, who, services, "json", copy)


@router.get(
    "/meetings/{meeting_id}/record.md",
    response_class=Response,
    responses=_download("text/markdown", "The record as Markdown, for pasting into other systems."),
)
async def record_markdown(
    meeting_id: str,
    who: Annotated[Participant, Depends(Allowed(HttpAction.export_record_markdown))],
    services: ServicesDep,
    copy: CopyQuery = None,
) -> Response:
    """The record as Markdown. What people wrote is escaped, so it cannot become markup. Chair and professionals
    only. Recorded in the audit trail."""
    return await _export(meeting_id, who, services, "md", copy)


@router.get(
    "/meetings/{meeting_id}/record.pdf",
    response_class=Response,
    responses=_download("application/pdf", "The record as a tagged, accessible PDF (PDF/UA-1, A4)."),
)
async def record_pdf(
    meeting_id: str,
    who: Annotated[Participant, Depends(Allowed(HttpAction.export_record_pdf))],
    services: ServicesDep,
    copy: CopyQuery = None,
) -> Response:
    """The record as a PDF to print or file: A4, plain type, readable in black and white, tagged for screen readers;
    every page's footer names the record's hash and says whether it is final. The chair and the professionals get
    either copy; a family member gets the family's copy. Recorded in the audit trail."""
    return await _export(meeting_id, who, services, "pdf", copy)
