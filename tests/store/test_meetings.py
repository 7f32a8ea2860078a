"""Joining by invite link, sessions, revoking: what a chair and a participant would notice."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from app.domain.errors import InviteNotFound, MeetingNotFound, NotSignedIn, ParticipantNotFound
from app.domain.roles import Role
from app.store.database import Database
from app.store.meetings import Meetings
from app.store.tables import InviteRow, SessionRow
from tests.support.writes import until, writes_held

pytestmark = pytest.mark.asyncio


async def test_a_chair_creates_a_meeting_and_is_signed_in(meetings: Meetings) -> None:
    signed_in, chair_link = await meetings.create("Review for J", "Sam Chair")
    assert signed_in.meeting.title == "Review for J" and signed_in.meeting.status == "open"
    assert signed_in.participant.role is Role.chair
    assert await meetings.signed_in(signed_in.meeting.id, signed_in.session_token) == signed_in.participant
    # The chair's link signs in a second device as the same person.
    tablet = await meetings.join(chair_link)
    assert tablet.participant == signed_in.participant
    assert tablet.session_token != signed_in.session_token
    assert (await meetings.get(signed_in.meeting.id)).title == "Review for J"


async def test_an_invite_signs_in_its_participant_only_for_their_meeting(meetings: Meetings) -> None:
    chair, _ = await meetings.create("Meeting A", "Chair")
    other, _ = await meetings.create("Meeting B", "Other chair")
    invited = await meetings.invite(chair.meeting.id, Role.family, "Mum", None)

    joined = await meetings.join(invited.invite_token)

    assert joined.meeting.id == chair.meeting.id
    assert joined.participant == invited.participant and joined.participant.role is Role.family
    assert await meetings.signed_in(chair.meeting.id, joined.session_token) == invited.participant
    with pytest.raises(NotSignedIn):
        await meetings.signed_in(other.meeting.id, joined.session_token)
    # A link can be opened again (a tablet that was reset).
    again = await meetings.join(invited.invite_token)
    assert again.participant == invited.participant


async def test_a_connect_reads_the_session_and_its_meeting_together(db: Database, meetings: Meetings) -> None:
    """What the board's socket reads on every connect, in one statement: the person and the meeting as it stands."""
    chair, _ = await meetings.create("Meeting A", "Chair")
    other, _ = await meetings.create("Meeting B", "Other chair")
    joined = await meetings.join((await meetings.invite(chair.meeting.id, Role.family, "Mum", None)).invite_token)

    meeting, participant, ends = await meetings.signed_in_meeting(chair.meeting.id, joined.session_token)

    assert (meeting, participant) == (chair.meeting, joined.participant)
    assert meetings.session_lifetime - timedelta(minutes=5) < ends - datetime.now(UTC) <= meetings.session_lifetime
    with pytest.raises(NotSignedIn):
        await meetings.signed_in_meeting(other.meeting.id, joined.session_token)  # a session of another meeting
    with pytest.raises(NotSignedIn):
        await meetings.signed_in_meeting(chair.meeting.id, "not-a-session")
    with pytest.raises(NotSignedIn):
        await meetings.signed_in_meeting(chair.meeting.id, None)
    short = Meetings(db, session_hours=0)  # a session over as soon as it starts
    expired = await short.join((await short.invite(chair.meeting.id, Role.family, "Gran", None)).invite_token)
    with pytest.raises(NotSignedIn):
        await meetings.signed_in_meeting(chair.meeting.id, expired.session_token)
    await meetings.leave(chair.meeting.id, joined.session_token)
    with pytest.raises(NotSignedIn):
        await meetings.signed_in_meeting(chair.meeting.id, joined.session_token)


async def test_sessions_expire(db: Database) -> None:
    meetings = Meetings(db, session_hours=0)  # every session is over as soon as it starts
    signed_in, link = await meetings.create("Short", "Chair")
    with pytest.raises(NotSignedIn):
        await meetings.signed_in(signed_in.meeting.id, signed_in.session_token)
    joined = await meetings.join(link)  # the invite still works; the new session expires too
    with pytest.raises(NotSignedIn):
        await meetings.signed_in(signed_in.meeting.id, joined.session_token)

    lasting = Meetings(db, session_hours=8)
    fresh = await lasting.join(link)
    assert await lasting.signed_in(signed_in.meeting.id, fresh.session_token) == signed_in.participant


async def test_unknown_missing_or_ended_sessions_are_refused(meetings: Meetings) -> None:
    signed_in, _ = await meetings.create("M", "Chair")
    for token in (None, "", "made-up-token"):
        with pytest.raises(NotSignedIn):
            await meetings.signed_in(signed_in.meeting.id, token)
    other, _ = await meetings.create("Another meeting", "Chair")
    await meetings.leave(other.meeting.id, signed_in.session_token)  # leaving another meeting ends nothing here
    assert await meetings.signed_in(signed_in.meeting.id, signed_in.session_token) == signed_in.participant

    await meetings.leave(signed_in.meeting.id, signed_in.session_token)
    with pytest.raises(NotSignedIn):
        await meetings.signed_in(signed_in.meeting.id, signed_in.session_token)


async def test_a_revoked_invite_fails_and_ends_the_participants_sessions(meetings: Meetings) -> None:
    chair, _ = await meetings.create("M", "Chair")
    invited = await meetings.invite(chair.meeting.id, Role.professional, "Teacher", "School")
    session = await meetings.join(invited.invite_token)

    await meetings.revoke(chair.meeting.id, invited.participant.id)

    with pytest.raises(InviteNotFound) as refused:
        await meetings.join(invited.invite_token)
    assert "chair" in refused.value.message  # tells them what to do, not why
    with pytest.raises(NotSignedIn):
        await meetings.signed_in(chair.meeting.id, session.session_token)
    # The chair is unaffected.
    assert await meetings.signed_in(chair.meeting.id, chair.session_token) == chair.participant
    listing = {entry.participant.id: entry.invite_status for entry in await meetings.participants(chair.meeting.id)}
    assert listing[invited.participant.id] == "revoked"


async def test_a_reissued_link_replaces_the_old_one(meetings: Meetings) -> None:
    chair, _ = await meetings.create("M", "Chair")
    invited = await meetings.invite(chair.meeting.id, Role.family, "Gran", None)
    status = {e.participant.id: e.invite_status for e in await meetings.participants(chair.meeting.id)}
    assert status[invited.participant.id] == "active"

    reissued = await meetings.reissue_invite(chair.meeting.id, invited.participant.id)

    assert reissued.invite_token != invited.invite_token
    with pytest.raises(InviteNotFound):
        await meetings.join(invited.invite_token)
    joined = await meetings.join(reissued.invite_token)
    assert joined.participant == invited.participant
    status = {e.participant.id: e.invite_status for e in await meetings.participants(chair.meeting.id)}
    assert status[invited.participant.id] == "used"


async def test_wrong_meeting_or_participant_is_refused(meetings: Meetings) -> None:
    chair, _ = await meetings.create("A", "Chair")
    other, _ = await meetings.create("B", "Chair B")
    with pytest.raises(ParticipantNotFound):
        await meetings.revoke(other.meeting.id, chair.participant.id)
    with pytest.raises(ParticipantNotFound):
        await meetings.reissue_invite(other.meeting.id, chair.participant.id)
    with pytest.raises(MeetingNotFound):
        await meetings.invite("0" * 32, Role.family, "Mum", None)
    with pytest.raises(MeetingNotFound):
        await meetings.get("0" * 32)
    with pytest.raises(InviteNotFound):
        await meetings.join("not-a-real-link")
    # The chair's own link for meeting A still works after the refused revoke.
    assert await meetings.signed_in(chair.meeting.id, chair.session_token) == chair.participant


async def test_tokens_are_stored_only_as_hashes(db: Database, meetings: Meetings) -> None:
    chair, chair_link = await meetings.create("Secret", "Chair")
    invited = await meetings.invite(chair.meeting.id, Role.family, "Mum", None)
    joined = await meetings.join(invited.invite_token)
    tokens = [chair_link, invited.invite_token, chair.session_token, joined.session_token]
    assert all(len(token) >= 22 for token in tokens), "at least 128 random bits"
    assert len(set(tokens)) == 4

    async with db.read() as session:
        invite_hashes = set(
            (
                await session.execute(
                    select(col(InviteRow.token_hash)).where(col(InviteRow.meeting_id) == chair.meeting.id)
                )
            ).scalars()
        )
        session_hashes = set(
            (
                await session.execute(
                    select(col(SessionRow.token_hash)).where(col(SessionRow.meeting_id) == chair.meeting.id)
                )
            ).scalars()
        )
        everything: list[str] = []
        for table in ("meetings", "participants", "invites", "sessions", "ops", "cards"):
            for row in await session.execute(text(f"SELECT * FROM {table}")):
                everything.extend(str(value) for value in row)

    def sha256(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    assert invite_hashes == {sha256(chair_link), sha256(invited.invite_token)}
    assert session_hashes == {sha256(chair.session_token), sha256(joined.session_token)}
    dump = "\n".join(everything)
    for token in tokens:
        assert token not in dump, "a raw token is in the database"


async def test_sign_ins_arriving_together_are_each_answered_as_alone(db: Database, meetings: Meetings) -> None:
    # A room's screens signing in at once: on SQLite they wait for the one writer and are committed together, each
    # in its own savepoint, so a revoked link among them fails alone and leaves no session behind.
    chair, _ = await meetings.create("M", "Chair")
    invited = [await meetings.invite(chair.meeting.id, Role.professional, f"Person {k}", "School") for k in range(4)]
    await meetings.revoke(chair.meeting.id, invited[2].participant.id)
    async with writes_held(db, chair.meeting.id):
        pending = asyncio.gather(*(meetings.join(i.invite_token) for i in invited), return_exceptions=True)
        if db.is_sqlite:
            await until(lambda: db.grouped_waiting == 4, "four sign-ins waiting for the writer")
    outcomes = await pending

    assert isinstance(outcomes[2], InviteNotFound)
    for k in (0, 1, 3):
        joined = outcomes[k]
        assert not isinstance(joined, BaseException), joined
        assert joined.participant == invited[k].participant
        assert await meetings.signed_in(chair.meeting.id, joined.session_token) == invited[k].participant
    async with db.read() as session:
        sessions = (
            await session.execute(
                select(SessionRow.participant_id).where(col(SessionRow.meeting_id) == chair.meeting.id)
            )
        ).scalars()
        used = {
            row.participant_id: row.used_at
            for row in (
                await session.execute(select(InviteRow).where(col(InviteRow.meeting_id) == chair.meeting.id))
            ).scalars()
        }
    assert invited[2].participant.id not in sessions
    assert used[invited[2].participant.id] is None and all(used[invited[k].participant.id] for k in (0, 1, 3))
