"""Request and response bodies of the HTTP API (what /docs shows)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.domain.agendas import MeetingKind, Phase
from app.domain.items import Storable, sent_at_most
from app.domain.meeting import Meeting, Participant
from app.domain.roles import OpType, Role, Scope

WHITESPACE_CLASS = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Every character Python's `str.isspace` names, which is what stripping removes, written out: a regex's `\\s` names
another set in each dialect (ECMAScript's, which a JSON Schema's pattern uses, has U+FEFF and lacks U+0085 and
U+001C to U+001F), so a client reading the schema took a name of one U+0085 for words, and the server refused it."""
WORDS_PATTERN = rf"^[^\x00]*[^\x00{WHITESPACE_CLASS}][^\x00]*$"
"""In the schema too, so that a client (and the API fuzzer) knows what is refused: a NUL (Storable refuses it, and
lone surrogates, which a JSON Schema pattern cannot name), and words of nothing but whitespace (stripped, they are
empty)."""
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=WORDS_PATTERN),
    sent_at_most(200),
    Storable,
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=WORDS_PATTERN),
    sent_at_most(80),
    Storable,
]
Agency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=WORDS_PATTERN),
    sent_at_most(120),
    Storable,
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateMeeting(_Body):
    title: Title = Field(description="Shown on every screen, e.g. 'Initial conference, 27 November'.")
    chair_name: Name
    kind: MeetingKind = Field(
        default=MeetingKind.initial_conference, description="Picks the agenda: see GET /api/meeting-kinds."
    )


class AddParticipant(_Body):
    display_name: Name
    role: Role
    agency: Agency | None = None


class JoinRequest(_Body):
    token: Annotated[str, StringConstraints(min_length=16, max_length=128)]


class MeetingOut(BaseModel):
    id: str
    title: str
    status: str
    created_at: str
    kind: MeetingKind

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingOut:
        return cls(
            id=meeting.id, title=meeting.title, status=meeting.status, created_at=meeting.created_at, kind=meeting.kind
        )


class MeetingKindOut(BaseModel):
    kind: MeetingKind
    label: str
    phases: list[Phase]


class ParticipantOut(BaseModel):
    id: str
    display_name: str
    role: Role
    agency: str | None

    @classmethod
    def of(cls, participant: Participant) -> ParticipantOut:
        return cls(
            id=participant.id,
            display_name=participant.display_name,
            role=participant.role,
            agency=participant.agency,
        )


class CreatedMeeting(BaseModel):
    meeting: MeetingOut
    participant: ParticipantOut
    invite_url: str = Field(description="The chair's own link, for another device. Treat it like a password.")


class Invitation(BaseModel):
    participant: ParticipantOut
    invite_url: str = Field(description="Send this link to this person only. Treat it like a password.")


class InviteState(BaseModel):
    status: Literal["active", "used", "revoked"]


class ParticipantListing(BaseModel):
    participant: ParticipantOut
    invite: InviteState


class Joined(BaseModel):
    meeting: MeetingOut
    participant: ParticipantOut


class Me(BaseModel):
    meeting: MeetingOut
    participant: ParticipantOut
    permissions: dict[OpType, Scope]


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code.")
    message: str = Field(description="Plain words for the person at the screen.")


class ErrorResponse(BaseModel):
    error: ErrorBody
