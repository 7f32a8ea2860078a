"""Meetings, participants, invites and sessions: the queries behind joining and the chair's People panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import InviteNotFound, MeetingNotFound, NotSignedIn, ParticipantNotFound
from app.domain.meeting import Meeting, Participant
from app.domain.roles import Role
from app.store.database import Database
from app.store.tables import InviteRow, MeetingRow, ParticipantRow, SessionRow, as_utc, utcnow
from app.store.tokens import hash_token, new_id, new_token


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


def _participant(row: ParticipantRow) -> Participant:
    return Participant(row.id, row.meeting_id, Role(row.role), row.display_name, row.agency)


def _meeting(row: MeetingRow) -> Meeting:
    return Meeting(row.id, row.title, row.status, as_utc(row.created_at).isoformat())


class Meetings:
    def __init__(self, db: Database, session_hours: int) -> None:
        self.db = db
        self.session_lifetime = timedelta(hours=session_hours)

    async def create(self, title: str, chair_name: str) -> tuple[SignedIn, str]:
        """A new meeting with its chair, already signed in. Returns the chair's session and invite token (for
        the chair's other devices)."""
        async with self.db.write() as session:
            meeting = MeetingRow(id=new_id(), title=title)
            session.add(meeting)
            await session.flush()
            chair = await _add_participant(session, meeting.id, Role.chair, chair_name, None)
            token = await _issue_invite(session, chair)
            session_token = await self._open_session(session, chair)
            await session.commit()
        return SignedIn(_meeting(meeting), chair, session_token), token

    async def get(self, meeting_id: str) -> Meeting:
        async with self.db.read() as session:
            row = await session.get(MeetingRow, meeting_id)
            if row is None:
                raise MeetingNotFound("There is no such meeting.")
            return _meeting(row)

    async def invite(self, meeting_id: str, role: Role, display_name: str, agency: str | None) -> Invited:
        async with self.db.write() as session:
            if await session.get(MeetingRow, meeting_id) is None:
                raise MeetingNotFound("There is no such meeting.")
            participant = await _add_participant(session, meeting_id, role, display_name, agency)
            token = await _issue_invite(session, participant)
            await session.commit()
        return Invited(participant, token)

    async def reissue_invite(self, meeting_id: str, participant_id: str) -> Invited:
        """A new link for a participant; their earlier links stop working."""
        async with self.db.write() as session:
            participant = await _participant_in(session, meeting_id, participant_id)
            await _revoke_invites(session, participant_id)
            token = await _issue_invite(session, participant)
            await session.commit()
        return Invited(participant, token)

    async def revoke(self, meeting_id: str, participant_id: str) -> None:
        """Revoke a participant's links and end their sessions (their open connections are closed by the
        caller)."""
        async with self.db.write() as session:
            await _participant_in(session, meeting_id, participant_id)
            await _revoke_invites(session, participant_id)
            await session.execute(
                update(SessionRow)
                .where(col(SessionRow.participant_id) == participant_id, col(SessionRow.ended_at).is_(None))
                .values(ended_at=utcnow())
            )
            await session.commit()

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

    async def join(self, token: str) -> SignedIn:
        """Exchange an invite token for a new session. A link can be opened again (a tablet that was reset),
        until the chair revokes it."""
        async with self.db.write() as session:
            invite = await session.get(InviteRow, hash_token(token))
            if invite is None or invite.revoked_at is not None:
                raise InviteNotFound("This invite link is not valid any more. Ask the chair for a new one.")
            participant = _participant(await _get_participant(session, invite.participant_id))
            meeting = await session.get(MeetingRow, invite.meeting_id)
            if meeting is None:
                raise InviteNotFound("This invite link is not valid any more. Ask the chair for a new one.")
            invite.used_at = invite.used_at or utcnow()
            session_token = await self._open_session(session, participant)
            await session.commit()
        return SignedIn(_meeting(meeting), participant, session_token)

    async def signed_in(self, meeting_id: str, session_token: str | None) -> Participant:
        """The participant behind a session cookie, if the session is alive and belongs to this meeting."""
        if not session_token:
            raise NotSignedIn("You are not signed in to this meeting.")
        async with self.db.read() as session:
            row = await session.get(SessionRow, hash_token(session_token))
            if (
                row is None
                or row.meeting_id != meeting_id
                or row.ended_at is not None
                or as_utc(row.expires_at) <= utcnow()
            ):
                raise NotSignedIn("Your session has ended. Ask the chair for a new link.")
            return _participant(await _get_participant(session, row.participant_id))

    async def session_alive(self, session_token: str) -> bool:
        async with self.db.read() as session:
            row = await session.get(SessionRow, hash_token(session_token))
            return row is not None and row.ended_at is None and as_utc(row.expires_at) > utcnow()

    async def leave(self, meeting_id: str, session_token: str) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(SessionRow)
                .where(
                    col(SessionRow.token_hash) == hash_token(session_token),
                    col(SessionRow.meeting_id) == meeting_id,
                )
                .values(ended_at=utcnow())
            )
            await session.commit()

    async def _open_session(self, session: AsyncSession, participant: Participant) -> str:
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


async def _add_participant(
    session: AsyncSession, meeting_id: str, role: Role, display_name: str, agency: str | None
) -> Participant:
    row = ParticipantRow(id=new_id(), meeting_id=meeting_id, role=role.value, display_name=display_name, agency=agency)
    session.add(row)
    await session.flush()
    return _participant(row)


async def _issue_invite(session: AsyncSession, participant: Participant) -> str:
    token = new_token()
    session.add(
        InviteRow(token_hash=hash_token(token), participant_id=participant.id, meeting_id=participant.meeting_id)
    )
    return token


async def _revoke_invites(session: AsyncSession, participant_id: str) -> None:
    await session.execute(
        update(InviteRow)
        .where(col(InviteRow.participant_id) == participant_id, col(InviteRow.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def _get_participant(session: AsyncSession, participant_id: str) -> ParticipantRow:
    row = await session.get(ParticipantRow, participant_id)
    if row is None:
        raise ParticipantNotFound("There is no such participant.")
    return row


async def _participant_in(session: AsyncSession, meeting_id: str, participant_id: str) -> Participant:
    row = await session.get(ParticipantRow, participant_id)
    if row is None or row.meeting_id != meeting_id:
        raise ParticipantNotFound("There is no such participant in this meeting.")
    return _participant(row)
