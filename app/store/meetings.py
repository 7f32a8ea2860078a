"""Meetings, participants, invites and sessions: the queries behind joining and the chair's People panel.

Each change here records its audit event (app.store.audit) in the same transaction: a meeting created, someone
invited, a link reissued or revoked, a session opened from a link (joined) or ended by its owner (left)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.domain.agendas import MeetingKind
from app.domain.errors import (
    InviteNotFound,
    MeetingFinished,
    MeetingNotFound,
    MeetingReadOnly,
    NotSignedIn,
    ParticipantNotFound,
)
from app.domain.meeting import Meeting, Participant
from app.domain.roles import ON_SHARED_SCREENS, Role
from app.domain.state import CONFERENCE_FIELDS, MeetingState
from app.store.audit import AuditAction, add_event
from app.store.database import Database
from app.store.prepared import Prepared
from app.store.tables import (
    InviteRow,
    LobbyEntryRow,
    MeetingRow,
    MeetingStateRow,
    ParticipantRow,
    SessionRow,
    as_utc,
    utcnow,
)
from app.store.tokens import hash_token, new_id, new_token

_CONFERENCE = set(CONFERENCE_FIELDS)


@dataclass(frozen=True, slots=True)
class Invited:
    participant: Participant
    invite_token: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    meeting: Meeting
    participant: Participant
    session_token: str


@dataclass(frozen=True, slots=True)
class ParticipantListing:
    participant: Participant
    invite_status: str


def _participant(row: ParticipantRow | Row[*tuple[Any, ...]]) -> Participant:
    return Participant(row.id, row.meeting_id, _ROLES[row.role], row.display_name, row.agency)


_ROLES = {role.value: role for role in Role}
_PARTICIPANTS: Table = ParticipantRow.__table__  # type: ignore[attr-defined]
_SESSIONS: Table = SessionRow.__table__  # type: ignore[attr-defined]
# Read on every connect: plain rows, not ORM objects, which cost more to build than the query to run.
_PEOPLE = (
    select(_PARTICIPANTS.c.id, _PARTICIPANTS.c.meeting_id, _PARTICIPANTS.c.role, _PARTICIPANTS.c.display_name,
           _PARTICIPANTS.c.agency)
    .where(_PARTICIPANTS.c.meeting_id == bindparam("b_meeting"))
    .order_by(_PARTICIPANTS.c.created_at)
)  # fmt: skip
_MEETINGS: Table = MeetingRow.__table__  # type: ignore[attr-defined]
_INVITES: Table = InviteRow.__table__  # type: ignore[attr-defined]
_PERSON = (_PARTICIPANTS.c.id, _PARTICIPANTS.c.meeting_id, _PARTICIPANTS.c.role, _PARTICIPANTS.c.display_name,
           _PARTICIPANTS.c.agency)  # fmt: skip
_ITS_MEETING = (_MEETINGS.c.id.label("m_id"), _MEETINGS.c.title.label("m_title"),
                _MEETINGS.c.status.label("m_status"), _MEETINGS.c.created_at.label("m_created_at"),
                _MEETINGS.c.kind.label("m_kind"))  # fmt: skip
# A session, its person and its meeting, in one statement: each connect reads them, and on PostgreSQL one statement
# in autocommit is one round trip where a transaction around two would be four.
_SESSION_OF = Prepared(
    select(_SESSIONS.c.meeting_id.label("session_meeting_id"), _SESSIONS.c.ended_at, _SESSIONS.c.expires_at,
           *_PERSON, *_ITS_MEETING)
    .select_from(
        _SESSIONS.outerjoin(_PARTICIPANTS, _PARTICIPANTS.c.id == _SESSIONS.c.participant_id)
        .outerjoin(_MEETINGS, _MEETINGS.c.id == _SESSIONS.c.meeting_id)
    )
    .where(_SESSIONS.c.token_hash == bindparam("b_token_hash"))
)  # fmt: skip
_MEETING_EXISTS = Prepared(select(_MEETINGS.c.id).where(_MEETINGS.c.id == bindparam("b_meeting")))
_INVITE_OF = Prepared(
    select(_INVITES.c.revoked_at, _INVITES.c.used_at, *_PERSON, *_ITS_MEETING)
    .select_from(
        _INVITES.outerjoin(_PARTICIPANTS, _PARTICIPANTS.c.id == _INVITES.c.participant_id)
        .outerjoin(_MEETINGS, _MEETINGS.c.id == _INVITES.c.meeting_id)
    )
    .where(_INVITES.c.token_hash == bindparam("b_token_hash"))
)  # fmt: skip
_FIRST_USE = Prepared(
    update(_INVITES)
    .where(_INVITES.c.token_hash == bindparam("b_token_hash"), _INVITES.c.used_at.is_(None))
    .values(used_at=bindparam("b_now"))
)
_OPEN_SESSION = Prepared(
    insert(_SESSIONS).values({name: bindparam(f"b_{name}") for name in
                              ("token_hash", "participant_id", "meeting_id", "created_at", "expires_at")})
)  # fmt: skip


def _meeting(row: MeetingRow | Row[*tuple[Any, ...]]) -> Meeting:
    return Meeting(row.id, row.title, row.status, as_utc(row.created_at).isoformat(), MeetingKind(row.kind))


def _its_meeting(row: Any) -> Meeting:
    """The meeting of a session's or an invite's row (`_ITS_MEETING`'s columns)."""
    return Meeting(row.m_id, row.m_title, row.m_status, as_utc(row.m_created_at).isoformat(), MeetingKind(row.m_kind))


class Meetings:
    def __init__(self, db: Database, session_hours: int) -> None:
        self.db = db
        self.session_lifetime = timedelta(hours=session_hours)

    async def create(
        self, title: str, chair_name: str, kind: MeetingKind = MeetingKind.initial_conference
    ) -> tuple[SignedIn, str]:
        """A new meeting with its chair, already signed in. Returns the chair's session and invite token (for
        the chair's other devices). The meeting keeps a copy of its kind's agenda from now on."""

        def work(session: Session) -> tuple[SignedIn, str]:
            genesis = MeetingState.new(kind)
            agenda = json.dumps([phase.model_dump(mode="json") for phase in genesis.agenda])
            meeting = MeetingRow(id=new_id(), title=title, kind=kind.value, agenda=agenda)
            session.add(meeting)
            session.flush()
            session.add(MeetingStateRow(meeting_id=meeting.id, state=genesis.model_dump_json(include=_CONFERENCE)))
            chair = _add_participant(session, meeting.id, Role.chair, chair_name, None)
            token = _issue_invite(session, chair)
            session_token = self._open_session(session, chair)
            add_event(session, meeting.id, AuditAction.meeting_created, chair, {"kind": kind.value})
            session.commit()
            return SignedIn(_meeting(meeting), chair, session_token), token

        return await self.db.transaction(work)

    async def get(self, meeting_id: str) -> Meeting:
        async with self.db.read() as session:
            row = await session.get(MeetingRow, meeting_id)
            if row is None:
                raise MeetingNotFound("There is no such meeting.")
            return _meeting(row)

    async def invite(
        self, meeting_id: str, role: Role, display_name: str, agency: str | None, *, by: Participant | None = None
    ) -> Invited:
        """Add someone to the meeting with their own invite link. `by`: who invited them (the chair), for the
        audit trail."""

        def work(session: Session) -> Invited:
            _open_meeting(session, meeting_id)
            participant = _add_participant(session, meeting_id, role, display_name, agency)
            token = _issue_invite(session, participant)
            detail = {"participant_id": participant.id, "role": role.value}
            add_event(session, meeting_id, AuditAction.participant_invited, by, detail)
            session.commit()
            return Invited(participant, token)

        return await self.db.transaction(work)

    async def reissue_invite(self, meeting_id: str, participant_id: str, *, by: Participant | None = None) -> Invited:
        """A new link for a participant; their earlier links stop working."""

        def work(session: Session) -> Invited:
            _open_meeting(session, meeting_id)
            participant = _participant_in(session, meeting_id, participant_id)
            _revoke_invites(session, participant_id)
            token = _issue_invite(session, participant)
            add_event(session, meeting_id, AuditAction.link_reissued, by, {"participant_id": participant_id})
            session.commit()
            return Invited(participant, token)

        return await self.db.transaction(work)

    async def revoke(self, meeting_id: str, participant_id: str, *, by: Participant | None = None) -> None:
        """Revoke a participant's links and end their sessions (their open connections are closed by the
        caller)."""

        def work(session: Session) -> None:
            _participant_in(session, meeting_id, participant_id)
            _revoke_invites(session, participant_id)
            session.execute(
                update(SessionRow)
                .where(col(SessionRow.participant_id) == participant_id, col(SessionRow.ended_at).is_(None))
                .values(ended_at=utcnow())
            )
            # A device let in from the lobby that has not come in yet is turned away for good: judged from the
            # invites alone, a new link for this person (for the right device) let it in after all.
            session.execute(
                update(LobbyEntryRow)
                .where(col(LobbyEntryRow.participant_id) == participant_id, col(LobbyEntryRow.status) == "admitted")
                .values(status="turned_away")
            )
            add_event(session, meeting_id, AuditAction.link_revoked, by, {"participant_id": participant_id})
            session.commit()

        await self.db.transaction(work)

    async def participants(self, meeting_id: str) -> list[ParticipantListing]:
        async with self.db.read() as session:
            if await session.get(MeetingRow, meeting_id) is None:
                raise MeetingNotFound("There is no such meeting.")
            people = (
                await session.execute(
                    select(ParticipantRow)
                    .where(col(ParticipantRow.meeting_id) == meeting_id)
                    .order_by(col(ParticipantRow.created_at))
                )
            ).scalars()
            invites = (
                await session.execute(select(InviteRow).where(col(InviteRow.meeting_id) == meeting_id))
            ).scalars()
            # A person's link state is the best of their links: an active one, else a used one, else revoked.
            rank = {"revoked": 0, "used": 1, "active": 2}
            status: dict[str, str] = {}
            for invite in invites:
                state = "revoked" if invite.revoked_at else "used" if invite.used_at else "active"
                if rank[state] >= rank[status.get(invite.participant_id, "revoked")]:
                    status[invite.participant_id] = state
            return [ParticipantListing(_participant(row), status.get(row.id, "revoked")) for row in people]

    async def people(self, meeting_id: str) -> list[Participant]:
        """Everyone ever invited to the meeting, revoked or not, so an item keeps its author's name."""

        def work(session: Session) -> list[Participant]:
            return [_participant(row) for row in session.execute(_PEOPLE, {"b_meeting": meeting_id})]

        return await self.db.snapshot(work)

    async def join(self, token: str) -> SignedIn:
        """Exchange an invite token for a new session. A link can be opened again (a tablet that was reset),
        until the chair revokes it or a family member or wall leaves with it (`leave`). Sign-ins come in storms (a
        room's screens reconnecting after a restart, a whole meeting arriving), so each is a few plain statements,
        committed with the others waiting then."""
        return await self.db.grouped(functools.partial(self._join, token_hash=hash_token(token)))

    def _join(self, session: Session, token_hash: str) -> SignedIn:
        db = session.connection()
        row = _INVITE_OF.row(db, {"b_token_hash": token_hash})
        if row is None or row.revoked_at is not None or row.m_id is None:
            raise InviteNotFound("This invite link is not valid any more. Ask the chair for a new one.")
        if row.id is None:
            raise ParticipantNotFound("There is no such participant.")
        participant, meeting = _participant(row), _its_meeting(row)
        if meeting.status != "open" and participant.role in ON_SHARED_SCREENS:
            # A finalised meeting stays on no shared tablet or wall: the family's copy comes from the chair.
            raise MeetingReadOnly(
                "This meeting is finished, so this screen cannot open it. Ask the chair for your copy."
            )
        now = utcnow()
        if row.used_at is None:
            _FIRST_USE.run(db, {"b_token_hash": token_hash, "b_now": now})
        session_token = new_token()
        _OPEN_SESSION.run(
            db,
            {
                "b_token_hash": hash_token(session_token),
                "b_participant_id": participant.id,
                "b_meeting_id": participant.meeting_id,
                "b_created_at": now,
                "b_expires_at": now + self.session_lifetime,
            },
        )
        add_event(session, meeting.id, AuditAction.joined, participant)
        return SignedIn(meeting, participant, session_token)

    async def signed_in(self, meeting_id: str, session_token: str | None) -> Participant:
        """The participant behind a session cookie, if the session is alive and belongs to this meeting."""
        return await self.db.read_alone(lambda db: _signed_in(db, meeting_id, session_token)[1])

    async def signed_in_meeting(
        self, meeting_id: str, session_token: str | None
    ) -> tuple[Meeting, Participant, datetime]:
        """`signed_in`, the meeting as it stands (its status), read in the same snapshot, and when the session
        ends."""

        def work(db: Connection) -> tuple[Meeting, Participant, datetime]:
            row, participant = _signed_in(db, meeting_id, session_token)
            if row.m_id is None:
                raise MeetingNotFound("There is no such meeting.")
            return _its_meeting(row), participant, as_utc(row.expires_at)

        return await self.db.read_alone(work)

    async def leave(self, meeting_id: str, session_token: str) -> None:
        """End this session, if it is still open (leaving twice records one leave). A family member or a wall that
        leaves also spends their links: the shared tablet's history keeps the link's address, which must not open
        the meeting again for whoever picks the tablet up next. The chair gives a new link if they come back; a
        professional or the chair, on their own device, keeps theirs."""

        def work(session: Session) -> None:
            row = session.get(SessionRow, hash_token(session_token))
            if row is None or row.meeting_id != meeting_id or row.ended_at is not None:
                return
            row.ended_at = utcnow()
            participant = _participant(_get_participant(session, row.participant_id))
            if participant.role in ON_SHARED_SCREENS:
                _revoke_invites(session, participant.id)
            add_event(session, meeting_id, AuditAction.left, participant)
            session.commit()

        await self.db.transaction(work)

    def _open_session(self, session: Session, participant: Participant) -> str:
        token = new_token()
        session.add(
            SessionRow(
                token_hash=hash_token(token),
                participant_id=participant.id,
                meeting_id=participant.meeting_id,
                expires_at=utcnow() + self.session_lifetime,
            )
        )
        return token


def _add_participant(
    session: Session, meeting_id: str, role: Role, display_name: str, agency: str | None
) -> Participant:
    row = ParticipantRow(id=new_id(), meeting_id=meeting_id, role=role.value, display_name=display_name, agency=agency)
    session.add(row)
    session.flush()
    return _participant(row)


def _issue_invite(session: Session, participant: Participant) -> str:
    token = new_token()
    session.add(
        InviteRow(token_hash=hash_token(token), participant_id=participant.id, meeting_id=participant.meeting_id)
    )
    return token


def _revoke_invites(session: Session, participant_id: str) -> None:
    session.execute(
        update(InviteRow)
        .where(col(InviteRow.participant_id) == participant_id, col(InviteRow.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def _signed_in(db: Connection, meeting_id: str, session_token: str | None) -> tuple[Any, Participant]:
    """The session row behind a cookie and its participant. A refused session is told apart from a meeting that is
    not there (never was, or purged): a client stops asking for a new link to a meeting that is gone."""
    try:
        if not session_token:
            raise NotSignedIn("You are not signed in to this meeting.")
        row = _SESSION_OF.row(db, {"b_token_hash": hash_token(session_token)})
        return row, _alive_session(row, meeting_id)
    except NotSignedIn:
        if _MEETING_EXISTS.row(db, {"b_meeting": meeting_id}) is None:
            raise MeetingNotFound("There is no such meeting.") from None
        raise


def _alive_session(row: Any, meeting_id: str) -> Participant:
    """The participant of a session row read by its token, if the session is alive and belongs to this meeting."""
    if (
        row is None
        or row.session_meeting_id != meeting_id
        or row.ended_at is not None
        or as_utc(row.expires_at) <= utcnow()
    ):
        if (
            row is not None
            and row.session_meeting_id == meeting_id
            and row.m_status != "open"
            and row.role in ON_SHARED_SCREENS
        ):
            # Finalising ended it: a new link would open nothing, so the screen is told the meeting is finished.
            raise MeetingFinished(
                "This meeting is finished, so this screen cannot open it. Ask the chair for your copy."
            )
        raise NotSignedIn("Your session has ended. Ask the chair for a new link.")
    if row.id is None:
        raise ParticipantNotFound("There is no such participant.")
    return _participant(row)


def _get_participant(session: Session, participant_id: str) -> ParticipantRow:
    row = session.get(ParticipantRow, participant_id)
    if row is None:
        raise ParticipantNotFound("There is no such participant.")
    return row


def _open_meeting(session: Session, meeting_id: str) -> MeetingRow:
    """The meeting, still open to new people: once finalised, nobody is added to it (revoking stays possible)."""
    meeting = session.get(MeetingRow, meeting_id)
    if meeting is None:
        raise MeetingNotFound("There is no such meeting.")
    if meeting.status != "open":
        raise MeetingReadOnly("This meeting has been finalised: nobody can be added to it, and no new links made.")
    return meeting


def _participant_in(session: Session, meeting_id: str, participant_id: str) -> Participant:
    row = session.get(ParticipantRow, participant_id)
    if row is None or row.meeting_id != meeting_id:
        raise ParticipantNotFound("There is no such participant in this meeting.")
    return _participant(row)
