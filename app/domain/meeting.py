"""A meeting and the people in it."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.agendas import MeetingKind
from app.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    meeting_id: str
    role: Role
    display_name: str
    agency: str | None


@dataclass(frozen=True, slots=True)
class Meeting:
    id: str
    title: str
    status: str
    created_at: str
    kind: MeetingKind = MeetingKind.initial_conference
