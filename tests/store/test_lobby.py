"""Room codes and the lobby (app.store.lobby), on SQLite and PostgreSQL: what the chair and a device in the room
would notice, and what the database keeps (never a code or a token)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from app.domain.errors import MeetingNotFound, MeetingReadOnly, NotSignedIn, PermissionDenied
from app.domain.meeting import Participant
from app.domain.operations import Actor, operation_adapter
from app.domain.roles import Role
from app.store import retention
from app.store.audit import AuditTrail
from app.store.database import Database
from app.store.lobby import (
    ALPHABET,
    CODE_LENGTH,
    Lobby,
    LobbyEntryNotFound,
    LobbyEntryNotWaiting,
    LobbyFull,
    NotInLobby,
    RoomCodeNotFound,
    RoomCodesUnavailable,
    code_hash,
    format_code,
    normalise_code,
    room_code_key,
)
from app.store.meetings import Meetings
from app.store.oplog import OpLog
from app.store.tables import RoomCodeRow

from ._support import op_id

KEY = bytes(range(32))
WAIT = timedelta(minutes=30)


@dataclass
class Clock:
    """The lobby's clock, moved by the test instead of sleeping."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


@dataclass
class Room:
    meetings: Meetings
    lobby: Lobby
    clock: Clock
    meeting_id: str
    chair: Participant


async def a_room(db: Database, *, key: bytes | None = KEY, max_waiting: int = 20) -> Room:
    meetings = Meetings(db, session_hours=8)
    signed_in, _ = await meetings.create("Initial conference for Jay", "Chair")
    clock = Clock()
    lobby = Lobby(db, key, session_hours=8, wait=WAIT, max_waiting=max_waiting, now=clock)
    return Room(meetings, lobby, clock, signed_in.meeting.id, signed_in.participant)


async def actions(db: Database, meeting_id: str) -> list[tuple[str, dict[str, object]]]:
    return [(event.action, event.detail) for event in await AuditTrail(db).events(meeting_id)]


async def finalise(db: Database, room: Room) -> None:
    op = operation_adapter.validate_python({"type": "finalise"})
    await OpLog(db).commit(room.meeting_id, Actor(room.chair.id, Role.chair), op_id(), op)


# --- the code ---------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_code_is_eight_symbols_without_look_alikes_and_reads_back(db: Database) -> None:
    room = await a_room(db)

    made = await room.lobby.create_code(room.meeting_id, room.chair)

    assert len(made.code) == CODE_LENGTH and set(made.code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)
    assert made.expires_at == room.clock.at + timedelta(hours=8)
    shown = await room.lobby.code(room.meeting_id)
    assert shown == made


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("ABCD-EFGH", "ABCDEFGH"), ("abcd efgh", "ABCDEFGH"), (" a b-c d\tefgh ", "ABCDEFGH"), ("2345 6789", "23456789")],
)
def test_a_typed_code_ignores_case_spaces_and_dashes(typed: str, canonical: str) -> None:
    assert normalise_code(typed) == canonical
    assert format_code(canonical) == f"{canonical[:4]}-{canonical[4:]}"


@pytest.mark.parametrize(
    "typed", ["", "ABCDEFG", "ABCDEFGHJ", "ABCD-EFG0", "ABCDEFGO", "ABCDEFG1", "ABCDEFGI", "ABCDEFGL"]
)
def test_what_cannot_be_a_code_is_no_code(typed: str) -> None:
    assert normalise_code(typed) is None


@pytest.mark.asyncio
async def test_the_database_holds_no_code_only_its_keyed_hash(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)

    async with db.read() as session:
        found = await session.execute(select(RoomCodeRow).where(col(RoomCodeRow.meeting_id) == room.meeting_id))
        row = found.scalar_one()
    stored = repr(row.model_dump())

    assert made.code not in stored and format_code(made.code) not in stored
    assert row.code_hash == code_hash(KEY, made.code)
    assert row.code_hash != hashlib.sha256(made.code.encode()).hexdigest(), "keyed: no offline guessing"


@pytest.mark.asyncio
async def test_a_new_code_replaces_the_old_one(db: Database) -> None:
    room = await a_room(db)
    first = await room.lobby.create_code(room.meeting_id, room.chair)

    second = await room.lobby.create_code(room.meeting_id, room.chair)

    assert second.code != first.code
    assert (await room.lobby.code(room.meeting_id)).code == second.code
    with pytest.raises(RoomCodeNotFound):
        await room.lobby.arrive(first.code)
    await room.lobby.arrive(second.code)
    assert [a for a in await actions(db, room.meeting_id) if a[0] == "room_code_created"] == [
        ("room_code_created", {"replaced": False}),
        ("room_code_created", {"replaced": True}),
    ]


@pytest.mark.asyncio
async def test_a_withdrawn_code_opens_nothing(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)

    await room.lobby.withdraw_code(room.meeting_id, room.chair)
    await room.lobby.withdraw_code(room.meeting_id, room.chair)  # nothing left to withdraw: no second event

    with pytest.raises(RoomCodeNotFound):
        await room.lobby.code(room.meeting_id)
    with pytest.raises(RoomCodeNotFound):
        await room.lobby.arrive(made.code)
    assert [a for a, _ in await actions(db, room.meeting_id)].count("room_code_withdrawn") == 1


@pytest.mark.asyncio
async def test_a_code_expires_after_the_session_lifetime(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    room.clock.advance(timedelta(hours=8) - timedelta(seconds=1))
    await room.lobby.arrive(made.code)

    room.clock.advance(timedelta(seconds=1))

    with pytest.raises(RoomCodeNotFound):
        await room.lobby.code(room.meeting_id)
    with pytest.raises(RoomCodeNotFound):
        await room.lobby.arrive(made.code)


@pytest.mark.asyncio
async def test_a_code_made_under_another_key_is_dead(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    other = Lobby(db, bytes(32), session_hours=8, now=room.clock)

    with pytest.raises(RoomCodeNotFound):
        await other.code(room.meeting_id)
    with pytest.raises(RoomCodeNotFound):
        await other.arrive(made.code)


@pytest.mark.asyncio
async def test_without_a_key_there_are_no_codes(db: Database) -> None:
    room = await a_room(db, key=None)

    with pytest.raises(RoomCodesUnavailable):
        await room.lobby.create_code(room.meeting_id, room.chair)
    with pytest.raises(RoomCodeNotFound):
        await room.lobby.arrive("ABCDEFGH")


@pytest.mark.asyncio
async def test_an_unknown_meeting_is_not_found(db: Database) -> None:
    room = await a_room(db)
    for attempt in (
        room.lobby.create_code("no-such-meeting", room.chair),
        room.lobby.code("no-such-meeting"),
        room.lobby.withdraw_code("no-such-meeting", room.chair),
        room.lobby.waiting("no-such-meeting"),
    ):
        with pytest.raises(MeetingNotFound):
            await attempt


# --- the lobby ------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_device_waits_is_admitted_and_comes_in_once(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)

    arrival = await room.lobby.arrive(made.code)

    assert (await room.lobby.status(arrival.token)).state == "waiting"
    [device] = await room.lobby.waiting(room.meeting_id)
    assert device.id == arrival.entry_id and device.arrived_at == room.clock.at
    assert device.expires_at == room.clock.at + WAIT

    admitted = await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)

    assert admitted.role is Role.family and admitted.display_name == "Mum"
    assert await room.lobby.waiting(room.meeting_id) == []
    came_in = await room.lobby.status(arrival.token)
    assert came_in.state == "admitted" and came_in.signed_in is not None
    assert came_in.signed_in.participant == admitted and came_in.signed_in.meeting.id == room.meeting_id
    assert await room.meetings.signed_in(room.meeting_id, came_in.signed_in.session_token) == admitted
    again = await room.lobby.status(arrival.token)
    assert again.state == "used" and again.signed_in is None, "single use"
    [listing] = [p for p in await room.meetings.participants(room.meeting_id) if p.participant == admitted]
    assert listing.invite_status == "used"
    events = await actions(db, room.meeting_id)
    assert ("admitted", {"participant_id": admitted.id, "role": "family", "entry_id": arrival.entry_id}) in events
    assert ("joined", {"via": "lobby"}) in events


@pytest.mark.asyncio
async def test_two_asks_at_once_open_one_session(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)
    await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.projector, "Wall", None, by=room.chair)

    answers = await asyncio.gather(*(room.lobby.status(arrival.token) for _ in range(4)))

    assert sorted(answer.state for answer in answers) == ["admitted", "used", "used", "used"]


@pytest.mark.asyncio
async def test_a_second_device_with_the_same_code_waits_again(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    first = await room.lobby.arrive(made.code)
    await room.lobby.admit(room.meeting_id, first.entry_id, Role.family, "Mum", None, by=room.chair)
    assert (await room.lobby.status(first.token)).state == "admitted"

    second = await room.lobby.arrive(made.code)

    assert (await room.lobby.status(second.token)).state == "waiting"
    assert [device.id for device in await room.lobby.waiting(room.meeting_id)] == [second.entry_id]


@pytest.mark.asyncio
async def test_a_device_turned_away_is_told_so_and_cannot_be_admitted(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)

    await room.lobby.turn_away(room.meeting_id, arrival.entry_id, by=room.chair)
    await room.lobby.turn_away(room.meeting_id, arrival.entry_id, by=room.chair)  # a double click

    assert (await room.lobby.status(arrival.token)).state == "turned_away"
    assert await room.lobby.waiting(room.meeting_id) == []
    with pytest.raises(LobbyEntryNotWaiting):
        await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)
    assert [a for a in await actions(db, room.meeting_id) if a[0] == "lobby_turned_away"] == [
        ("lobby_turned_away", {"entry_id": arrival.entry_id})
    ]


@pytest.mark.asyncio
async def test_admitting_twice_or_turning_away_the_admitted_is_refused(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)
    await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)

    with pytest.raises(LobbyEntryNotWaiting):
        await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)
    with pytest.raises(LobbyEntryNotWaiting):
        await room.lobby.turn_away(room.meeting_id, arrival.entry_id, by=room.chair)


@pytest.mark.asyncio
async def test_nobody_is_let_in_as_chair(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)

    with pytest.raises(PermissionDenied):
        await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.chair, "Me", None, by=room.chair)


@pytest.mark.asyncio
async def test_another_meetings_device_is_not_found(db: Database) -> None:
    room, other = await a_room(db), await a_room(db)
    made = await other.lobby.create_code(other.meeting_id, other.chair)
    arrival = await other.lobby.arrive(made.code)

    with pytest.raises(LobbyEntryNotFound):
        await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)
    with pytest.raises(LobbyEntryNotFound):
        await room.lobby.turn_away(room.meeting_id, arrival.entry_id, by=room.chair)
    with pytest.raises(LobbyEntryNotFound):
        await room.lobby.turn_away(room.meeting_id, "no-such-entry", by=room.chair)
    assert await room.lobby.waiting(room.meeting_id) == []


@pytest.mark.asyncio
async def test_an_unknown_lobby_token_is_not_in_the_lobby(db: Database) -> None:
    room = await a_room(db)
    for token in (None, "", "not-a-token"):
        with pytest.raises(NotInLobby):
            await room.lobby.status(token)


@pytest.mark.asyncio
async def test_revoking_before_the_device_comes_in_ends_its_admission(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)
    admitted = await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)

    await room.meetings.revoke(room.meeting_id, admitted.id, by=room.chair)

    answer = await room.lobby.status(arrival.token)
    assert answer.state == "turned_away" and answer.signed_in is None


@pytest.mark.asyncio
async def test_revoking_after_it_came_in_ends_its_session_and_the_lobby_opens_nothing(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)
    admitted = await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)
    came_in = await room.lobby.status(arrival.token)
    assert came_in.signed_in is not None

    await room.meetings.revoke(room.meeting_id, admitted.id, by=room.chair)

    with pytest.raises(NotSignedIn):
        await room.meetings.signed_in(room.meeting_id, came_in.signed_in.session_token)
    assert (await room.lobby.status(arrival.token)).state == "used"


@pytest.mark.asyncio
async def test_a_wait_expires(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)

    room.clock.advance(WAIT)

    assert (await room.lobby.status(arrival.token)).state == "expired"
    assert await room.lobby.waiting(room.meeting_id) == []
    with pytest.raises(LobbyEntryNotWaiting):
        await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)


@pytest.mark.asyncio
async def test_an_admission_not_taken_up_expires(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)
    room.clock.advance(WAIT - timedelta(minutes=1))
    await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)

    room.clock.advance(WAIT)

    assert (await room.lobby.status(arrival.token)).state == "expired"


@pytest.mark.asyncio
async def test_a_device_that_leaves_stops_waiting(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)

    await room.lobby.leave(arrival.token)
    await room.lobby.leave(None)

    assert await room.lobby.waiting(room.meeting_id) == []
    assert (await room.lobby.status(arrival.token)).state == "expired"


@pytest.mark.asyncio
async def test_a_device_that_types_the_code_again_keeps_one_place(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    first = await room.lobby.arrive(made.code)

    second = await room.lobby.arrive(made.code, replaces=first.token)

    assert [device.id for device in await room.lobby.waiting(room.meeting_id)] == [second.entry_id]


@pytest.mark.asyncio
async def test_the_lobby_holds_a_limited_number_of_devices(db: Database) -> None:
    room = await a_room(db, max_waiting=2)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    first = await room.lobby.arrive(made.code)
    await room.lobby.arrive(made.code)

    with pytest.raises(LobbyFull):
        await room.lobby.arrive(made.code)

    await room.lobby.turn_away(room.meeting_id, first.entry_id, by=room.chair)
    third = await room.lobby.arrive(made.code)
    room.clock.advance(WAIT)  # the two waiting expire, and make room
    await room.lobby.arrive(made.code)
    await room.lobby.arrive(made.code)
    assert third.entry_id not in {device.id for device in await room.lobby.waiting(room.meeting_id)}


@pytest.mark.asyncio
async def test_a_finalised_meeting_takes_no_code_and_no_device(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    waiting = await room.lobby.arrive(made.code)
    admitted_entry = await room.lobby.arrive(made.code)
    await room.lobby.admit(room.meeting_id, admitted_entry.entry_id, Role.family, "Mum", None, by=room.chair)

    await finalise(db, room)

    with pytest.raises(RoomCodeNotFound):
        await room.lobby.code(room.meeting_id)
    with pytest.raises(RoomCodeNotFound):
        await room.lobby.arrive(made.code)
    with pytest.raises(MeetingReadOnly):
        await room.lobby.create_code(room.meeting_id, room.chair)
    with pytest.raises(MeetingReadOnly):
        await room.lobby.admit(room.meeting_id, waiting.entry_id, Role.family, "Dad", None, by=room.chair)
    assert (await room.lobby.status(waiting.token)).state == "expired"
    late = await room.lobby.status(admitted_entry.token)
    assert late.state == "expired" and late.signed_in is None, "a finalised meeting opens on no new screen"
    await room.lobby.withdraw_code(room.meeting_id, room.chair)  # still allowed: it only takes away


@pytest.mark.asyncio
async def test_lobby_tokens_are_stored_only_as_their_sha256(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)

    async with db.read() as session:
        rows = (await session.execute(text("SELECT * FROM lobby_entries"))).all()
    stored = repr(rows)

    assert arrival.token not in stored
    assert hashlib.sha256(arrival.token.encode()).hexdigest() in stored


@pytest.mark.asyncio
async def test_a_purged_meeting_takes_its_code_and_lobby_with_it(db: Database) -> None:
    room = await a_room(db)
    made = await room.lobby.create_code(room.meeting_id, room.chair)
    arrival = await room.lobby.arrive(made.code)
    await room.lobby.admit(room.meeting_id, arrival.entry_id, Role.family, "Mum", None, by=room.chair)
    await room.lobby.arrive(made.code)

    purged = await retention.purge_meeting(db, room.meeting_id, 1, now=datetime.now(UTC) + timedelta(days=2))

    assert purged is not None
    assert purged.rows["room_codes"] == 1 and purged.rows["lobby_entries"] == 2
    with pytest.raises(NotInLobby):
        await room.lobby.status(arrival.token)


# --- the key --------------------------------------------------------------------------------------------------------


def test_the_key_is_the_setting_or_a_file_beside_the_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'board.db'}"

    assert room_code_key("s3cret", url) == room_code_key("s3cret", "postgresql+asyncpg://db/x")
    assert room_code_key("s3cret", url) != room_code_key("other", url)
    made = room_code_key(None, url)
    assert made is not None and len(made) == 32
    [key_file] = tmp_path.glob("board.db-room-codes.key")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert room_code_key(None, url) == made, "kept across restarts, shared by the processes on that file"
    assert list(tmp_path.glob("*.tmp")) == []
    assert room_code_key(None, "postgresql+asyncpg://postgres@127.0.0.1/x") is None
    assert room_code_key(None, "sqlite+aiosqlite://") is None
