"""The websocket protocol: every frame is one JSON object whose `type` picks its model.

docs/protocol.md is generated from these models (`python -m realtime.protocol_doc`), so the two cannot drift.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from app.domain.board import BoardState, Card
from app.domain.operations import Operation
from app.domain.roles import Role

PROTOCOL_VERSION = 1

OpId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class CloseCode(IntEnum):
    """Close codes the server uses after the connection was accepted. Refusals at the handshake (no session,
    foreign Origin, unknown meeting) are HTTP responses instead: 401, 403, 404."""

    normal = 1000
    going_away = 1001
    """The server is shutting down: reconnect."""
    message_too_big = 1009
    """A frame exceeded the size limit: reconnect and resend smaller."""
    internal_error = 1011
    session_ended = 4401
    """The session expired, was revoked, or the participant left: join again with a new invite."""
    forbidden = 4403
    too_slow = 4408
    """The client did not read its events fast enough: reconnect with `since` to resync."""
    too_many_errors = 4429
    """Too many frames in a row that could not be read (malformed, unknown type or invalid fields)."""


class _Frame(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---- client to server ------------------------------------------------------------------------------------


class OpRequest(_Frame):
    type: Literal["op"] = "op"
    op_id: OpId = Field(description="Chosen by the client, unique per meeting; a resend returns the first ack.")
    op: Operation


class Ping(_Frame):
    type: Literal["ping"] = "ping"


ClientFrame = Annotated[OpRequest | Ping, Field(discriminator="type")]
client_frame_adapter: TypeAdapter[OpRequest | Ping] = TypeAdapter(ClientFrame)


# ---- server to client ------------------------------------------------------------------------------------


class PresentParticipant(_Frame):
    participant_id: str
    display_name: str
    role: Role
    agency: str | None = None
    connections: int = Field(ge=1, description="Open connections of this participant (several devices).")


class ActorInfo(_Frame):
    participant_id: str
    role: Role


class Event(_Frame):
    """One accepted operation, sent to every connection of the meeting (the author's included) in seq order."""

    type: Literal["event"] = "event"
    seq: int = Field(ge=1)
    op_id: OpId
    actor: ActorInfo
    op: Operation = Field(description="The operation as logged: an add names its card id and final position.")
    card: Card | None = Field(description="The card after the operation; null after a delete.")
    at: str = Field(description="Commit time, ISO 8601 UTC.")


class Hello(_Frame):
    type: Literal["hello"] = "hello"
    protocol: int = PROTOCOL_VERSION
    seq: int = Field(ge=0, description="The meeting's sequence number this hello is consistent with.")
    you: PresentParticipant
    present: list[PresentParticipant]
    board: BoardState | None = Field(description="The whole board; null when `missed` brings the client up to date.")
    missed: list[Event] | None = Field(
        description="When the client reconnected with `since` and few enough events followed it: those events."
    )
    limits: dict[str, int] = Field(description="Frame bytes, card text length, ops per second.")


class Ack(_Frame):
    """Sent to the author once the operation is committed; the matching `event` follows (or preceded it)."""

    type: Literal["ack"] = "ack"
    op_id: OpId
    seq: int = Field(ge=1)
    card_id: str
    duplicate: bool = Field(default=False, description="True when this op id had already been committed.")


class ErrorFrame(_Frame):
    type: Literal["error"] = "error"
    code: str = Field(description="Stable machine-readable code; see docs/protocol.md for the list.")
    message: str = Field(description="Plain words for the person at the screen.")
    op_id: str | None = Field(default=None, description="The refused operation, when one was identified.")
    current: Card | None = Field(default=None, description="With `stale_version`: the card as it is now.")
    retry_after_ms: int | None = Field(default=None, description="With `rate_limited`: when to try again.")


class PresenceFrame(_Frame):
    type: Literal["presence"] = "presence"
    present: list[PresentParticipant]


class Pong(_Frame):
    type: Literal["pong"] = "pong"
    seq: int = Field(ge=0, description="The latest sequence number the server has delivered to this client.")


ServerFrame = Annotated[Hello | Ack | Event | ErrorFrame | PresenceFrame | Pong, Field(discriminator="type")]
server_frame_adapter: TypeAdapter[Hello | Ack | Event | ErrorFrame | PresenceFrame | Pong] = TypeAdapter(ServerFrame)


class ErrorCode:
    """Codes of `error` frames. Domain refusals use the DomainError codes (forbidden, card_not_found,
    card_exists, stale_version, invalid_operation, meeting_read_only)."""

    malformed = "malformed"
    """The frame was not a JSON object."""
    unknown_type = "unknown_type"
    """The frame's `type` (or its op's `type`) is not one the protocol knows."""
    invalid = "invalid"
    """The frame's fields failed validation (too long, missing, wrong kind)."""
    rate_limited = "rate_limited"
    internal = "internal"
    """The server could not commit the op; nothing was saved, and a resend is safe."""
