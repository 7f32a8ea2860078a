"""The audit trail: who did what in a meeting, in which role, and when.

Two sources make the whole trail. Every change to the meeting is an op in its log (table `ops`) with its actor,
role and time. Everything else (invites, joins, revokes, leaves, reads and exports of the record, holds, purges)
is an audit event (table `audit_events`), written here: inside the transaction of the change it records, so both
commit together (`add_event`), or in a transaction of its own (`AuditTrail.record`, `.read`, `.exported`).

An event holds ids, roles, counts and formats only: never a name, a card's words or a token. `detail` is checked
for that shape (short id-like strings, numbers, flags). The trail is append-only: nothing in the application
updates or deletes an audit row (tests/store/test_audit.py scans the source), and the database refuses to
(migration 0003's triggers).
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from app.domain.meeting import Participant
from app.domain.roles import Role
from app.store.database import Database
from app.store.prepared import Prepared
from app.store.tables import AuditEventRow, OpRow, ParticipantRow, as_utc, utcnow


class AuditAction(StrEnum):
    """What an audit event records. Ops (add_card, record_decision, ...) are in the op log, not here."""

    meeting_created = "meeting_created"
    participant_invited = "participant_invited"  # detail: participant_id, role
    link_reissued = "link_reissued"  # detail: participant_id
    link_revoked = "link_revoked"  # detail: participant_id
    joined = "joined"  # a session opened from an invite link (detail: via "lobby" when opened from the lobby)
    left = "left"
    admitted = "admitted"  # detail: participant_id, role, entry_id (the lobby)
    lobby_turned_away = "lobby_turned_away"  # detail: entry_id
    room_code_created = "room_code_created"  # replacing any earlier code
    room_code_withdrawn = "room_code_withdrawn"
    record_read = "record_read"  # detail: via (http: GET /board; websocket: a finalised meeting opened)
    record_exported = "record_exported"  # detail: format (pdf, json, md), copy (full, family)
    audit_read = "audit_read"  # detail: format (json: the chair's page; csv: the download)
    verified = "verified"  # detail: holds, first_broken_seq
    hold_placed = "hold_placed"
    hold_lifted = "hold_lifted"
    purged = "purged"  # detail: counts of what was removed
    purge_run = "purge_run"  # one run of the purge over the deployment (meeting_id: "deployment")


DetailValue = str | int | bool | None | dict[str, int]
"""An id, a role, a format, a time, a count, a flag, or counts by name (rows removed per table)."""
Detail = Mapping[str, DetailValue]

_DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DETAIL_TEXT = re.compile(r"[A-Za-z0-9_.:+-]{1,64}")
"""An id, a role, a format, an op type, an ISO time: no spaces, so no sentence and no full name fits."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    meeting_id: str
    at: datetime
    actor_id: str | None
    role: str | None
    """The actor's role when they acted (a Role's value), or a word for who else acted (the system)."""
    action: str
    detail: dict[str, DetailValue]

    @property
    def participant_id(self) -> str | None:
        """The person the action was about (invited, revoked, admitted...), if any."""
        value = self.detail.get("participant_id")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class OpEntry:
    """An op as the trail shows it: who, in which role, when, what kind, about which item. Never its words."""

    seq: int
    at: datetime
    actor_id: str
    role: Role
    type: str
    item_id: str


@dataclass(frozen=True, slots=True)
class Trail:
    """A meeting's whole trail in time order, and everyone ever invited to it (to put names to ids on screen; the
    trail itself holds none)."""

    entries: list[OpEntry | AuditEvent]
    people: dict[str, Participant] = field(default_factory=dict)


def check_detail(detail: Detail | None) -> dict[str, DetailValue]:
    """The detail as stored, after checking that it holds ids, counts, flags and formats only."""
    checked: dict[str, DetailValue] = {}
    for key, value in (detail or {}).items():
        _check_key(key)
        if isinstance(value, dict):
            for name, count in value.items():
                _check_key(name)
                if not isinstance(count, int) or isinstance(count, bool):
                    raise ValueError(f"audit detail {key!r} holds counts by name only")
            checked[key] = dict(value)
            continue
        if isinstance(value, str) and not _DETAIL_TEXT.fullmatch(value):
            raise ValueError(f"audit detail {key!r} must be an id, a role, a format or a time, never free text")
        if value is not None and not isinstance(value, str | int | bool):
            raise ValueError(f"audit detail {key!r} must be a string, a number or a flag")
        checked[key] = value
    return checked


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not _DETAIL_KEY.fullmatch(key):
        raise ValueError(f"audit detail keys are short snake_case words, not {key!r}")


def add_event(
    session: Session,
    meeting_id: str,
    action: AuditAction,
    by: Participant | None = None,
    detail: Detail | None = None,
) -> None:
    """Append an event inside the caller's transaction: it commits (or rolls back) with the caller's change.
    `by`: who did it (None: the system, e.g. a scheduled purge)."""
    _INSERT_EVENT.run(
        session.connection(),
        {
            "b_meeting_id": meeting_id,
            "b_at": utcnow(),
            "b_actor_id": by.id if by is not None else None,
            "b_role": by.role.value if by is not None else None,
            "b_action": AuditAction(action).value,
            "b_detail": json.dumps(check_detail(detail), sort_keys=True, separators=(",", ":")),
        },
    )


class AuditTrail:
    """The one door to the audit trail for routes and the websocket endpoint (`services.audit`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, meeting_id: str, action: AuditAction, by: Participant | None = None, detail: Detail | None = None
    ) -> None:
        """Append an event in a transaction of its own, committed when this returns."""
        checked = check_detail(detail)  # a wrong detail fails here, in the caller, not on the writer thread

        def work(session: Session) -> None:
            add_event(session, meeting_id, action, by, checked)
            session.commit()

        await self.db.transaction(work)

    async def read(self, meeting_id: str, by: Participant, via: str = "http") -> None:
        """Someone read the meeting's content: GET /board (`http`), or a socket opened to a finalised meeting
        (`websocket`)."""
        await self.record(meeting_id, AuditAction.record_read, by, {"via": via})

    async def exported(self, meeting_id: str, by: Participant, format: str, copy: str | None = None) -> None:
        """Someone exported the record: `format` is pdf, json or md; `copy` says which copy (full, family)."""
        detail: dict[str, DetailValue] = {"format": format}
        if copy is not None:
            detail["copy"] = copy
        await self.record(meeting_id, AuditAction.record_exported, by, detail)

    async def events(self, meeting_id: str) -> list[AuditEvent]:
        """The meeting's audit events (not its ops) in the order they happened."""
        async with self.db.read() as session:
            return await session.run_sync(_events, meeting_id)

    async def trail(self, meeting_id: str) -> Trail:
        """Ops and events merged in time order, from one consistent snapshot."""
        async with self.db.read() as session:
            return await session.run_sync(_trail, meeting_id)


def _events(session: Session, meeting_id: str) -> list[AuditEvent]:
    rows = session.execute(
        select(_EVENTS).where(_EVENTS.c.meeting_id == meeting_id).order_by(_EVENTS.c.at, _EVENTS.c.id)
    )
    return [_event(row) for row in rows]


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        id=int(row.id),
        meeting_id=row.meeting_id,
        at=as_utc(row.at),
        actor_id=row.actor_id,
        role=row.role,
        action=row.action,
        detail=json.loads(row.detail),
    )


def _trail(session: Session, meeting_id: str) -> Trail:
    ops: list[OpEntry | AuditEvent] = [
        OpEntry(int(row.seq), as_utc(row.created_at), row.actor_id, Role(row.role), row.type, row.card_id)
        for row in session.execute(
            select(_OPS.c.seq, _OPS.c.created_at, _OPS.c.actor_id, _OPS.c.role, _OPS.c.type, _OPS.c.card_id)
            .where(_OPS.c.meeting_id == meeting_id)
            .order_by(_OPS.c.seq)
        )
    ]
    events: list[OpEntry | AuditEvent] = list(_events(session, meeting_id))
    people = {
        row.id: Participant(row.id, row.meeting_id, Role(row.role), row.display_name, row.agency)
        for row in session.execute(select(_PARTICIPANTS).where(_PARTICIPANTS.c.meeting_id == meeting_id))
    }
    # Ops stay in seq order (the log's truth, even if two processes' clocks differ a little); events fall in
    # between by time.
    merged: list[OpEntry | AuditEvent] = list(heapq.merge(ops, events, key=_time_of))
    return Trail(merged, people)


def _time_of(entry: OpEntry | AuditEvent) -> datetime:
    return entry.at


_EVENTS: Table = AuditEventRow.__table__  # type: ignore[attr-defined]
_OPS: Table = OpRow.__table__  # type: ignore[attr-defined]
_PARTICIPANTS: Table = ParticipantRow.__table__  # type: ignore[attr-defined]
# Every sign-in writes one: run on the driver's cursor, as the op log's statements are (prepared.py).
_INSERT_EVENT = Prepared(
    insert(_EVENTS).values({name: bindparam(f"b_{name}") for name in
                            ("meeting_id", "at", "actor_id", "role", "action", "detail")})
)  # fmt: skip
