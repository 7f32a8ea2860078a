"""The tables. Their shape changes only through migrations/ (Alembic); nothing here creates them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class MeetingRow(SQLModel, table=True):
    __tablename__ = "meetings"

    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    status: str = Field(default="open", max_length=16)
    last_seq: int = Field(default=0, description="Sequence number of the meeting's last accepted op.")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    kind: str = Field(default="initial_conference", max_length=32)
    finalised_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    legal_hold: bool = Field(default=False, description="Kept past the retention period until the hold is lifted.")
    agenda: str | None = Field(
        default=None,
        sa_column=Column(Text, nullable=True),
        description="The agenda (JSON) the meeting keeps from its start; null: its kind's template.",
    )


class ParticipantRow(SQLModel, table=True):
    __tablename__ = "participants"

    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meetings.id", index=True, max_length=32)
    role: str = Field(max_length=16)
    display_name: str = Field(max_length=80)
    agency: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class InviteRow(SQLModel, table=True):
    __tablename__ = "invites"

    token_hash: str = Field(primary_key=True, max_length=64, description="sha256 of the token; never the token.")
    participant_id: str = Field(foreign_key="participants.id", index=True, max_length=32)
    meeting_id: str = Field(foreign_key="meetings.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    used_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    participant_id: str = Field(foreign_key="participants.id", index=True, max_length=32)
    meeting_id: str = Field(foreign_key="meetings.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())
    ended_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class OpRow(SQLModel, table=True):
    """The op log: the truth a board is rebuilt from. Also the audit trail (who, in which role, when)."""

    __tablename__ = "ops"
    __table_args__ = (UniqueConstraint("meeting_id", "op_id", name="uq_ops_meeting_op_id"),)

    meeting_id: str = Field(foreign_key="meetings.id", primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    op_id: str = Field(max_length=64)
    actor_id: str = Field(max_length=32)
    role: str = Field(max_length=16)
    type: str = Field(max_length=32)
    card_id: str = Field(max_length=160, description="What the op was about: an item's id, or an answer's.")
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    hash: str | None = Field(default=None, max_length=64, description="This op's link in the chain (app.store.chain).")


class AuditEventRow(SQLModel, table=True):
    """What happened besides the ops (invites, joins, revokes, leaves, exports, reads of the record, holds,
    purges): who, in which role, when, and what, by id only. Append-only: the database refuses to change or
    delete a row, and the application has no path that tries."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: str = Field(index=True, max_length=32)
    at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    actor_id: str | None = Field(default=None, max_length=32)
    role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=40)
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False), description="JSON: ids and counts.")


class CardRow(SQLModel, table=True):
    """The board projection: the op log applied, kept in the same transaction as each op."""

    __tablename__ = "cards"
    __table_args__ = (Index("ix_cards_meeting_column_position", "meeting_id", "column", "position"),)

    meeting_id: str = Field(foreign_key="meetings.id", primary_key=True, max_length=32)
    id: str = Field(primary_key=True, max_length=64)
    column: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str = Field(max_length=32)
    version: int
    position: int
    child_ids: str = Field(default="[]", sa_column=Column(Text, nullable=False), description="JSON list of ids.")
    restricted: bool = False
    edited_by: str | None = Field(default=None, max_length=64)


class MeetingStateRow(SQLModel, table=True):
    """The rest of the meeting's projection (everything but the cards), as the domain's JSON. Written in the same
    transaction as each op that changes it, so it is always the op log replayed."""

    __tablename__ = "meeting_states"

    meeting_id: str = Field(foreign_key="meetings.id", primary_key=True, max_length=32)
    state: str = Field(sa_column=Column(Text, nullable=False))


class RoomCodeRow(SQLModel, table=True):
    """A meeting's room code (at most one): never the code itself. The code is derived from the server's key and
    `nonce` (app.store.lobby), so the database alone gives neither the code nor a way to test guesses offline."""

    __tablename__ = "room_codes"
    __table_args__ = (Index("ix_room_codes_code_hash", "code_hash", unique=True),)

    meeting_id: str = Field(foreign_key="meetings.id", primary_key=True, max_length=32)
    code_hash: str = Field(max_length=64, description="HMAC-SHA256 of the code under the server's key.")
    nonce: str = Field(max_length=64, description="Random; the code is derived from it and the server's key.")
    key_id: str = Field(max_length=16, description="Which server key made the code (under another key it is dead).")
    created_by: str = Field(foreign_key="participants.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())


class LobbyEntryRow(SQLModel, table=True):
    """A device that typed a room code and waits for the chair: nothing that identifies it, only a hashed random
    token (its lobby cookie) and what the chair decided."""

    __tablename__ = "lobby_entries"
    __table_args__ = (
        Index("ix_lobby_entries_meeting_status", "meeting_id", "status"),
        Index("ix_lobby_entries_token_hash", "token_hash", unique=True),
    )

    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meetings.id", max_length=32)
    token_hash: str = Field(max_length=64, description="sha256 of the lobby cookie; never the token.")
    status: str = Field(max_length=16, description="waiting, admitted, turned_away, used or left.")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp(), description="Waiting: until then. Admitted: to claim.")
    decided_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    participant_id: str | None = Field(default=None, foreign_key="participants.id", max_length=32)
    claimed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
