"""The websocket protocol: every frame is one JSON object whose `type` picks its model.

docs/protocol.md is generated from these models (`python -m realtime.protocol_doc`), so the two cannot drift.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator

from app.domain.attendance import Attendee
from app.domain.board import Card
from app.domain.changes import Change
from app.domain.children import Child
from app.domain.decision import Decision
from app.domain.items import ItemId
from app.domain.operations import Operation
from app.domain.plan import NetworkMember, NextStep
from app.domain.roles import Role
from app.domain.state import MeetingState
from app.domain.statements import DangerStatement
from app.domain.voice import ChildWords

PROTOCOL_VERSION = 2

OP_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
OpId = Annotated[str, StringConstraints(pattern=OP_ID_PATTERN)]


class CloseCode(IntEnum):
    """Close codes the server uses after the connection was accepted. Refusals at the handshake (no session,
    foreign Origin, unknown meeting) are HTTP responses instead: 401, 403, 404."""

    normal = 1000
    going_away = 1001
    """The server is shutting down: reconnect."""
    protocol_error = 1002
    """A frame that breaks the websocket protocol itself (RFC 6455: unmasked, an unknown opcode)."""
    invalid_payload = 1007
    """A text frame that was not UTF-8 (the websocket layer checks; RFC 6455 says to close)."""
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


EditedEntity = Literal[
    "card", "child", "attendee", "statement", "network_member", "step", "decision", "decision_note", "voice"
]


class EditingTarget(_Frame):
    entity: EditedEntity
    item_id: ItemId


class Editing(_Frame):
    """Soft presence: the item this connection has open for editing now (`entity` null: none). Never a lock: it
    only lets others see "<name> is editing this card". Not an op: nothing is logged, and it is not replayed."""

    type: Literal["editing"] = "editing"
    entity: EditedEntity | None = Field(default=None, description="What kind of item; null when nothing is open.")
    item_id: ItemId | None = Field(default=None, description="Its id; required with `entity`.")

    @model_validator(mode="after")
    def _names_an_item(self) -> Editing:
        if (self.entity is None) != (self.item_id is None):
            raise ValueError("entity and item_id come together")
        return self

    @property
    def target(self) -> EditingTarget | None:
        if self.entity is None or self.item_id is None:
            return None
        return EditingTarget(entity=self.entity, item_id=self.item_id)


ClientFrame = Annotated[OpRequest | Ping | Editing, Field(discriminator="type")]
client_frame_adapter: TypeAdapter[OpRequest | Ping | Editing] = TypeAdapter(ClientFrame)


# ---- server to client ------------------------------------------------------------------------------------


class PresentParticipant(_Frame):
    participant_id: str
    display_name: str
    role: Role
    agency: str | None = None
    connections: int = Field(ge=1, description="Open connections of this participant (several devices).")
    editing: list[EditingTarget] = Field(
        default_factory=list,
        description="What their connections have open for editing (soft presence). Only sent to connections that "
        "see the whole meeting (chair, professionals, observers); always empty for the family and the room screen.",
    )


class ActorInfo(_Frame):
    participant_id: str
    role: Role


class Person(_Frame):
    """Someone invited to the meeting, so every screen can name the author of any item, even after they left."""

    participant_id: str
    display_name: str
    role: Role
    agency: str | None = None


class Event(_Frame):
    """One accepted operation, sent to every connection of the meeting (the author's included) in seq order.

    A screen applies `changes` (replace or remove each item by entity and id) and needs nothing else. Where an
    operation touched something this connection may not see, `op` and `card` are null and `changes` holds only
    what it may see (at most the removal of an item it had): the event still comes, so its seq has no gap."""

    type: Literal["event"] = "event"
    seq: int = Field(ge=1)
    op_id: OpId
    actor: ActorInfo
    op: Operation | None = Field(
        description="The operation as logged (an add names its new id and final position); null when this "
        "connection may not see all it did."
    )
    card: Card | None = Field(description="For card operations: the card after it; null after a delete.")
    changes: list[Change] = Field(
        default_factory=list, description="Each item the operation changed, as it is now; `value` null: removed."
    )
    at: datetime = Field(description="Commit time, ISO 8601 UTC.")


class Hello(_Frame):
    type: Literal["hello"] = "hello"
    protocol: int = PROTOCOL_VERSION
    seq: int = Field(ge=0, description="The meeting's sequence number this hello is consistent with.")
    you: PresentParticipant
    present: list[PresentParticipant]
    people: list[Person] = Field(
        default_factory=list, description="Everyone invited to the meeting, present or not, to name authors."
    )
    server_time: datetime = Field(description="The server's clock, ISO 8601 UTC, so phase timers count down right.")
    board: MeetingState | None = Field(
        description="The whole meeting as this connection may see it (the map's `columns` and everything else); "
        "null when `missed` brings the client up to date."
    )
    missed: list[Event] | None = Field(
        description="When the client reconnected with `since` and few enough events followed it: those events."
    )
    limits: dict[str, int] = Field(description="Frame bytes, card text length, ops per second.")


class Ack(_Frame):
    """Sent to the author once the operation is committed; the matching `event` follows (or preceded it)."""

    type: Literal["ack"] = "ack"
    op_id: OpId
    seq: int = Field(ge=1)
    card_id: str = Field(description="The id of the item the operation was about (a new item's id for an add).")
    duplicate: bool = Field(default=False, description="True when this op id had already been committed.")


VersionedItem = Card | DangerStatement | Child | Attendee | NetworkMember | NextStep | ChildWords | Decision
"""Items whose edits carry a base version, and so may be refused as stale."""


class ErrorFrame(_Frame):
    type: Literal["error"] = "error"
    code: str = Field(description="Stable machine-readable code; see docs/protocol.md for the list.")
    message: str = Field(description="Plain words for the person at the screen.")
    op_id: str | None = Field(default=None, description="The refused operation, when one was identified.")
    current: VersionedItem | None = Field(default=None, description="With `stale_version`: the item as it is now.")
    retry_after_ms: int | None = Field(default=None, description="With `rate_limited` and `busy`: when to try again.")


class PresenceFrame(_Frame):
    type: Literal["presence"] = "presence"
    present: list[PresentParticipant]


class Pong(_Frame):
    type: Literal["pong"] = "pong"
    seq: int = Field(ge=0, description="The latest sequence number the server has delivered to this client.")


ServerFrame = Annotated[Hello | Ack | Event | ErrorFrame | PresenceFrame | Pong, Field(discriminator="type")]
server_frame_adapter: TypeAdapter[Hello | Ack | Event | ErrorFrame | PresenceFrame | Pong] = TypeAdapter(ServerFrame)


class ErrorCode:
    """Codes of `error` frames the protocol itself raises. The rules' refusals carry the codes of
    app.domain.errors (forbidden, stale_version, round_not_open...), all listed in docs/protocol.md."""

    malformed = "malformed"
    """The frame was not a JSON object."""
    unknown_type = "unknown_type"
    """The frame's `type` (or its op's `type`) is not one the protocol knows."""
    invalid = "invalid"
    """The frame's fields failed validation (too long, missing, wrong kind)."""
    rate_limited = "rate_limited"
    busy = "busy"
    """More operations wait for their commit than the server takes (`SOSBOARD_COMMIT_QUEUE_OPS`, see the limits),
    or they wait too long, or the server runs behind: past its capacity, the server says so at once instead of
    letting every edit fall behind. Nothing was saved."""
    internal = "internal"
    """The server could not commit the op; nothing was saved, and a resend is safe."""
