"""Joining the room by code: each meeting's room code, and the lobby where a device waits until the chair admits it.

The room code. Eight symbols from a 31-symbol alphabet with no look-alikes (no 0/O, no 1/I/L), shown as
`ABCD-EFGH`; typed in any case, with or without spaces and dashes. A meeting has at most one; the chair makes one
(replacing any earlier one) or withdraws it. It dies with the meeting: refused once the meeting is finalised, and
expired after the session lifetime. The chair, the professionals and the room screen can read it (the room screen
shows it, with its QR code, during introductions).

Stored only as a hash. A code must be readable again (the room screen shows it) yet never kept. So it is derived,
not stored: `code = HMAC(key, meeting id, nonce)` in the alphabet, where `nonce` is random and stored, and `key`
is the server's key (`Settings.secret_key`, or for SQLite a key file beside the database; never in the database).
The database keeps the nonce and `HMAC(key, code)`, the keyed hash a typed code is looked up by. Someone with the
database alone can neither read a code nor test guesses offline (an unkeyed hash of a 40-bit code would fall to a
brute force in minutes). A code made under another key (the key was changed) is dead: `key_id` says which key made
it, and the chair makes a new one.

The lobby. A device that gives a valid code gets a lobby entry and a random 256-bit token (its lobby cookie,
stored here only as its SHA-256), and learns nothing of the meeting, not even its title. The chair sees the
waiting devices (an id and when each arrived, nothing identifying) and admits one with a name and a role, which
makes the participant (with an invite row of their own, whose token nobody is given: it carries the People panel's
link state and the chair's revoke), or turns it away. The device asks after its entry; once admitted, that answer
opens its session, exactly as an invite link does, once: the entry is then used, and its token opens nothing
again. Revoking the participant (before or after) ends the admission with the session. Each device is its own
entry, so a second device using the same code waits again. Waiting entries expire (`wait`), and a meeting holds at
most `max_waiting` at once.

Guessing is held back by the HTTP layer (app.api.lobby: failed tries are rate-limited per address and across the
server); its docstring has the arithmetic.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlmodel import col

from app.domain.errors import DomainError, InviteNotFound, MeetingNotFound, ParticipantNotFound, PermissionDenied
from app.domain.meeting import Participant
from app.domain.roles import Role
from app.store.audit import AuditAction, add_event
from app.store.database import Database
from app.store.meetings import SignedIn, _add_participant, _issue_invite, _meeting, _open_meeting, _participant
from app.store.tables import (
    InviteRow,
    LobbyEntryRow,
    MeetingRow,
    ParticipantRow,
    RoomCodeRow,
    SessionRow,
    as_utc,
    utcnow,
)
from app.store.tokens import hash_token, new_id, new_token

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""31 symbols: the capital letters but I, L and O, and the digits 2 to 9. Nothing in it looks like anything else
in it, and nothing outside it (0, 1, O, I, L) can be part of a code."""
CODE_LENGTH = 8
CODE_SPACE: int = len(ALPHABET) ** CODE_LENGTH
"""31^8 = 852,891,037,441 (about 2^39.6) possible codes."""

LobbyState = Literal["waiting", "admitted", "turned_away", "expired", "used"]
"""What a device in the lobby is told: still waiting; let in (its session opens with this answer); turned away
(or let in and then revoked before it came in); its wait ran out (or the meeting ended); or it already came in."""

ADMITTABLE = (Role.family, Role.projector, Role.professional, Role.observer)
"""The roles a device can be let in with: never chair."""

_CLEAN = re.compile(r"[\s\-]+")
_KEY_BYTES = 32


# --- errors: each a subclass of the error whose HTTP status it answers with (app.api.errors maps by class) -------


class RoomCodeNotFound(InviteNotFound):
    """The code is wrong, expired, withdrawn, replaced, or its meeting is finalised. Never says which: that would
    help a guesser. (404)"""

    code = "room_code_not_found"


class NotInLobby(InviteNotFound):
    """This browser has no lobby entry (no cookie, or one that is not ours). (404)"""

    code = "not_in_lobby"


class LobbyEntryNotFound(ParticipantNotFound):
    """No such waiting device in this meeting. (404)"""

    code = "lobby_entry_not_found"


class LobbyEntryNotWaiting(DomainError):
    """The device was already let in or turned away, left, or its wait ran out. (409)"""

    code = "lobby_entry_not_waiting"


class LobbyFull(DomainError):
    """Too many devices are waiting for this meeting at once. (409)"""

    code = "lobby_full"


class RoomCodesUnavailable(DomainError):
    """This server has no key to derive room codes from (PostgreSQL without `secret_key`). (409)"""

    code = "room_codes_unavailable"


# --- codes ---------------------------------------------------------------------------------------------------------


def normalise_code(typed: str) -> str | None:
    """The code as typed, made canonical (upper case, no spaces or dashes); None when it cannot be a code at all
    (wrong length, or a symbol outside the alphabet): no lookup needed, and no guess spent."""
    code = _CLEAN.sub("", typed).upper()
    if len(code) != CODE_LENGTH or any(symbol not in ALPHABET for symbol in code):
        return None
    return code


def format_code(code: str) -> str:
    """`ABCDEFGH` as people read and type it: `ABCD-EFGH`."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def derive_code(key: bytes, meeting_id: str, nonce: str) -> str:
    digest = hmac.new(key, b"sosboard room code\0" + meeting_id.encode() + b"\0" + nonce.encode(), "sha256").digest()
    number = int.from_bytes(digest, "big")  # 256 bits into 40: the bias is below 2^-200
    symbols = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[index])
    return "".join(symbols)


def code_hash(key: bytes, code: str) -> str:
    return hmac.new(key, b"sosboard room code hash\0" + code.encode(), "sha256").hexdigest()


def key_id(key: bytes) -> str:
    return hmac.new(key, b"sosboard key id", "sha256").hexdigest()[:16]


def room_code_key(secret_key: str | None, database_url: str) -> bytes | None:
    """The key room codes are derived from. `secret_key` (the same on every process of a deployment) when set;
    else, for a SQLite file, a random key kept in a file beside it (mode 0600, made once, shared by every process
    on that file, kept across restarts; not in the database, so a copy of the database file alone holds no code);
    else None: room codes are refused until a key is set (several processes on PostgreSQL must share one)."""
    if secret_key:
        return hashlib.sha256(b"sosboard room codes\0" + secret_key.encode()).digest()
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).with_name(Path(url.database).name + "-room-codes.key")
    if not path.exists():
        _write_key_once(path)
    key = bytes.fromhex(path.read_text().strip())
    if len(key) != _KEY_BYTES:
        raise RuntimeError(f"{path} does not hold a room-code key; delete it to make a new one")
    return key


def _write_key_once(path: Path) -> None:
    """Write a new key to `path` unless it exists, atomically: another process starting at the same moment either
    makes it first (and this one reads that) or finds it whole, never half written."""
    draft = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(_KEY_BYTES) + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)  # fails if another process made it first: keep theirs
    finally:
        draft.unlink(missing_ok=True)


# --- the store -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomCode:
    code: str
    """Canonical: eight symbols, no dash (`format_code` for people)."""
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Arrival:
    entry_id: str
    token: str
    """The lobby cookie's value: 256 random bits, stored only as its hash."""


@dataclass(frozen=True, slots=True)
class LobbyStatus:
    state: LobbyState
    signed_in: SignedIn | None = None
    """Admitted: the session this answer opened (it opens once)."""


@dataclass(frozen=True, slots=True)
class WaitingDevice:
    id: str
    arrived_at: datetime
    expires_at: datetime


class Lobby:
    """Room codes and the lobby. `now`: the clock (tests move it instead of sleeping)."""

    def __init__(
        self,
        db: Database,
        key: bytes | None,
        *,
        session_hours: float,
        wait: timedelta = timedelta(minutes=30),
        max_waiting: int = 20,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.key = key
        self.key_id = key_id(key) if key is not None else None
        self.code_lifetime = timedelta(hours=session_hours)
        self.session_lifetime = timedelta(hours=session_hours)
        self.wait = wait
        self.max_waiting = max_waiting
        self.now = now

    # -- the code --

    async def create_code(self, meeting_id: str, by: Participant) -> RoomCode:
        """A new code for the meeting, replacing any earlier one (which stops working at once)."""
        key, key_id = self._key()

        def work(session: Session) -> RoomCode:
            _open_meeting(session, meeting_id)
            now = self.now()
            for _ in range(8):  # another meeting's code has the same hash: about one in 10^11 per live code
                nonce = secrets.token_hex(16)
                code = derive_code(key, meeting_id, nonce)
                hashed = code_hash(key, code)
                taken = session.execute(
                    select(col(RoomCodeRow.meeting_id)).where(col(RoomCodeRow.code_hash) == hashed)
                ).first()
                if taken is None:
                    break
            else:  # pragma: no cover - eight collisions in a row
                raise RuntimeError("no free room code found")
            expires_at = now + self.code_lifetime
            row = session.get(RoomCodeRow, meeting_id)
            replaced = row is not None
            if row is None:
                row = RoomCodeRow(
                    meeting_id=meeting_id,
                    code_hash=hashed,
                    nonce=nonce,
                    key_id=key_id,
                    created_by=by.id,
                    created_at=now,
                    expires_at=expires_at,
                )
                session.add(row)
            else:
                row.code_hash, row.nonce, row.key_id, row.created_by = hashed, nonce, key_id, by.id
                row.created_at, row.expires_at = now, expires_at
            add_event(session, meeting_id, AuditAction.room_code_created, by, {"replaced": replaced})
            session.commit()
            return RoomCode(code, expires_at)

        return await self.db.transaction(work)

    async def withdraw_code(self, meeting_id: str, by: Participant) -> None:
        """The meeting has no code from now on (waiting devices stay for the chair to decide). Withdrawing when
        there is none does nothing."""

        def work(session: Session) -> None:
            if session.get(MeetingRow, meeting_id) is None:
                raise MeetingNotFound("There is no such meeting.")
            row = session.get(RoomCodeRow, meeting_id)
            if row is None:
                return
            session.delete(row)
            add_event(session, meeting_id, AuditAction.room_code_withdrawn, by)
            session.commit()

        await self.db.transaction(work)

    async def code(self, meeting_id: str) -> RoomCode:
        """The meeting's live code, to show. RoomCodeNotFound when it has none (never made, withdrawn, expired,
        made under another key, or the meeting is finalised)."""

        def work(session: Session) -> RoomCode:
            meeting = session.get(MeetingRow, meeting_id)
            if meeting is None:
                raise MeetingNotFound("There is no such meeting.")
            if meeting.status != "open":
                raise RoomCodeNotFound("This meeting is finished: it has no room code, and nobody can join it now.")
            row = session.get(RoomCodeRow, meeting_id)
            if row is None or not self._alive(row):
                raise RoomCodeNotFound("This meeting has no room code now. The chair can make one.")
            assert self.key is not None  # _alive checked it
            return RoomCode(derive_code(self.key, meeting_id, row.nonce), as_utc(row.expires_at))

        async with self.db.read() as session:
            return await session.run_sync(work)

    # -- the device --

    async def arrive(self, code: str, *, replaces: str | None = None) -> Arrival:
        """A device gave `code` (canonical: see `normalise_code`): a new lobby entry for the code's meeting.
        `replaces`: the device's earlier lobby token, whose entry stops waiting (one device, one place in the
        queue). RoomCodeNotFound for any code that does not open a lobby now; LobbyFull past `max_waiting`."""
        if self.key is None:
            raise RoomCodeNotFound("That code did not work. Check it and try again.")
        hashed = code_hash(self.key, code)

        def work(session: Session) -> Arrival:
            now = self.now()
            # The code's row lock orders arrivals for one meeting (PostgreSQL), so the cap holds under a rush.
            row = session.execute(
                select(RoomCodeRow).where(col(RoomCodeRow.code_hash) == hashed).with_for_update()
            ).scalar_one_or_none()
            meeting = session.get(MeetingRow, row.meeting_id) if row is not None else None
            if row is None or meeting is None or meeting.status != "open" or not self._alive(row):
                raise RoomCodeNotFound("That code did not work. Check it and try again.")
            if replaces is not None:
                earlier = _entry_by_token(session, replaces)
                if earlier is not None and earlier.status == "waiting":
                    earlier.status, earlier.decided_at = "left", now
                    session.flush()
            waiting = session.execute(
                select(func.count())
                .select_from(LobbyEntryRow)
                .where(
                    col(LobbyEntryRow.meeting_id) == row.meeting_id,
                    col(LobbyEntryRow.status) == "waiting",
                    col(LobbyEntryRow.expires_at) > now,
                )
            ).scalar_one()
            if waiting >= self.max_waiting:
                raise LobbyFull(
                    "Too many screens are waiting to join this meeting. Ask the chair to let them in or turn "
                    "them away, then try again."
                )
            token = new_token()
            entry = LobbyEntryRow(
                id=new_id(),
                meeting_id=row.meeting_id,
                token_hash=hash_token(token),
                status="waiting",
                created_at=now,
                expires_at=now + self.wait,
            )
            session.add(entry)
            session.commit()
            return Arrival(entry.id, token)

        return await self.db.transaction(work)

    async def status(self, token: str | None) -> LobbyStatus:
        """Where this device stands. Admitted: this call opens its session (once) and says so with it; every
        later call says `used`. NotInLobby without an entry."""
        if not token:
            raise NotInLobby("This screen is not waiting to join a meeting. Enter the room code.")

        def read(session: Session) -> LobbyState:
            entry = _entry_by_token(session, token)
            if entry is None:
                raise NotInLobby("This screen is not waiting to join a meeting. Enter the room code.")
            return self._state(session, entry)

        async with self.db.read() as session:
            state = await session.run_sync(read)
        if state != "admitted":
            return LobbyStatus(state)
        return await self.db.transaction(lambda session: self._claim(session, token))

    def _claim(self, session: Session, token: str) -> LobbyStatus:
        """Open the admitted device's session, once: the entry's row lock makes two tabs asking at the same moment
        get one session between them (PostgreSQL; SQLite has one writer)."""
        entry = session.execute(
            select(LobbyEntryRow).where(col(LobbyEntryRow.token_hash) == hash_token(token)).with_for_update()
        ).scalar_one_or_none()
        if entry is None:
            raise NotInLobby("This screen is not waiting to join a meeting. Enter the room code.")
        state = self._state(session, entry)
        if state != "admitted" or entry.participant_id is None:
            return LobbyStatus(state)
        now = self.now()
        participant = _participant_row(session, entry.participant_id)
        meeting = session.get(MeetingRow, entry.meeting_id)
        assert meeting is not None  # _state checked it
        session_token = new_token()
        session.add(
            SessionRow(
                token_hash=hash_token(session_token),
                participant_id=participant.id,
                meeting_id=participant.meeting_id,
                created_at=now,
                expires_at=now + self.session_lifetime,
            )
        )
        for invite in _invites(session, participant.id):
            invite.used_at = invite.used_at or now
        entry.status, entry.claimed_at = "used", now
        add_event(session, entry.meeting_id, AuditAction.joined, participant, {"via": "lobby"})
        session.commit()
        return LobbyStatus("admitted", SignedIn(_meeting(meeting), participant, session_token))

    async def leave(self, token: str | None) -> None:
        """The device stops waiting (its 'Cancel'). Nothing happens to an entry already decided."""
        if not token:
            return

        def work(session: Session) -> None:
            entry = _entry_by_token(session, token)
            if entry is not None and entry.status == "waiting":
                entry.status, entry.decided_at = "left", self.now()
                session.commit()

        await self.db.transaction(work)

    # -- the chair --

    async def waiting(self, meeting_id: str) -> list[WaitingDevice]:
        """The devices waiting now, first come first."""
        now = self.now()

        def work(session: Session) -> list[WaitingDevice]:
            meeting = session.get(MeetingRow, meeting_id)
            if meeting is None:
                raise MeetingNotFound("There is no such meeting.")
            if meeting.status != "open":
                return []  # each device still waiting is told its wait has ended; none can be let in
            rows = session.execute(
                select(LobbyEntryRow)
                .where(
                    col(LobbyEntryRow.meeting_id) == meeting_id,
                    col(LobbyEntryRow.status) == "waiting",
                    col(LobbyEntryRow.expires_at) > now,
                )
                .order_by(col(LobbyEntryRow.created_at), col(LobbyEntryRow.id))
            ).scalars()
            return [WaitingDevice(row.id, as_utc(row.created_at), as_utc(row.expires_at)) for row in rows]

        async with self.db.read() as session:
            return await session.run_sync(work)

    async def admit(
        self,
        meeting_id: str,
        entry_id: str,
        role: Role,
        display_name: str,
        agency: str | None,
        *,
        by: Participant,
    ) -> Participant:
        """Let the waiting device in as a new participant. Its session opens when it next asks (`status`)."""
        if role not in ADMITTABLE:
            raise PermissionDenied("A screen in the lobby can join as family, room screen, professional or observer.")

        def work(session: Session) -> Participant:
            _open_meeting(session, meeting_id)
            entry = self._waiting_entry(session, meeting_id, entry_id)
            now = self.now()
            participant = _add_participant(session, meeting_id, role, display_name, agency)
            _issue_invite(session, participant)  # nobody is given its token: see the module's docstring
            entry.status, entry.decided_at, entry.participant_id = "admitted", now, participant.id
            entry.expires_at = now + self.wait
            detail = {"participant_id": participant.id, "role": role.value, "entry_id": entry_id}
            add_event(session, meeting_id, AuditAction.admitted, by, detail)
            session.commit()
            return participant

        return await self.db.transaction(work)

    async def turn_away(self, meeting_id: str, entry_id: str, *, by: Participant) -> None:
        """The device is not let in; it is told so when it next asks. Turning it away twice is one turning away."""

        def work(session: Session) -> None:
            if session.get(MeetingRow, meeting_id) is None:
                raise MeetingNotFound("There is no such meeting.")
            entry = session.execute(
                select(LobbyEntryRow).where(col(LobbyEntryRow.id) == entry_id).with_for_update()
            ).scalar_one_or_none()
            if entry is not None and entry.meeting_id == meeting_id and entry.status == "turned_away":
                return
            entry = self._waiting_entry(session, meeting_id, entry_id)
            entry.status, entry.decided_at = "turned_away", self.now()
            add_event(session, meeting_id, AuditAction.lobby_turned_away, by, {"entry_id": entry_id})
            session.commit()

        await self.db.transaction(work)

    # -- helpers --

    def _key(self) -> tuple[bytes, str]:
        if self.key is None or self.key_id is None:
            raise RoomCodesUnavailable(
                "Room codes are not set up on this server: it needs a secret key (SOSBOARD_SECRET_KEY, the same on "
                "every server process). Invite links still work."
            )
        return self.key, self.key_id

    def _alive(self, row: RoomCodeRow) -> bool:
        return self.key is not None and row.key_id == self.key_id and as_utc(row.expires_at) > self.now()

    def _state(self, session: Session, entry: LobbyEntryRow) -> LobbyState:
        if entry.status == "used":
            return "used"
        if entry.status == "turned_away":
            return "turned_away"
        meeting = session.get(MeetingRow, entry.meeting_id)
        if entry.status == "left" or meeting is None or meeting.status != "open":
            return "expired"
        if as_utc(entry.expires_at) <= self.now():
            return "expired"
        if entry.status == "admitted":
            invites = _invites(session, entry.participant_id) if entry.participant_id else []
            if not invites or all(invite.revoked_at is not None for invite in invites):
                return "turned_away"  # let in, then revoked by the chair before the device came in
            return "admitted"
        return "waiting"

    def _waiting_entry(self, session: Session, meeting_id: str, entry_id: str) -> LobbyEntryRow:
        entry = session.execute(
            select(LobbyEntryRow).where(col(LobbyEntryRow.id) == entry_id).with_for_update()
        ).scalar_one_or_none()
        if entry is None or entry.meeting_id != meeting_id:
            raise LobbyEntryNotFound("There is no such screen waiting for this meeting.")
        if entry.status != "waiting" or as_utc(entry.expires_at) <= self.now():
            raise LobbyEntryNotWaiting(
                "This screen is not waiting any more: it was let in or turned away, it left, or its wait ran out."
            )
        return entry


def _entry_by_token(session: Session, token: str) -> LobbyEntryRow | None:
    return session.execute(
        select(LobbyEntryRow).where(col(LobbyEntryRow.token_hash) == hash_token(token))
    ).scalar_one_or_none()


def _invites(session: Session, participant_id: str) -> list[InviteRow]:
    return list(session.execute(select(InviteRow).where(col(InviteRow.participant_id) == participant_id)).scalars())


def _participant_row(session: Session, participant_id: str) -> Participant:
    row = session.get(ParticipantRow, participant_id)
    if row is None:
        raise ParticipantNotFound("There is no such participant.")
    return _participant(row)
