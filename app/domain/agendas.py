"""Kinds of meeting and their agenda templates, read from agendas.toml (templates are data, not code)."""

from __future__ import annotations

import tomllib
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints

from app.domain.items import Model

AGENDAS_FILE = Path(__file__).with_name("agendas.toml")

PhaseId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]


class MeetingKind(StrEnum):
    initial_conference = "initial_conference"
    review_conference = "review_conference"
    core_group = "core_group"
    mapping = "mapping"


class Area(StrEnum):
    """The part of the screen where a phase's work happens."""

    attendance = "attendance"
    worries = "worries"
    working_well = "working_well"
    needs_to_happen = "needs_to_happen"
    voice = "voice"
    statements = "statements"
    scaling = "scaling"
    plan = "plan"
    decision = "decision"
    close = "close"


class Phase(Model):
    id: PhaseId
    area: Area
    title: str = Field(description="What every screen shows as the phase, in plain words.")
    prompt: str = Field(description="Where to work now, in plain words.")
    minutes: int | None = Field(default=None, ge=1, le=180, description="A suggested length; the chair may time it.")


class AgendaTemplate(Model):
    kind: MeetingKind
    label: str
    phases: tuple[Phase, ...] = Field(min_length=1)


@cache
def agenda_templates() -> dict[MeetingKind, AgendaTemplate]:
    data = tomllib.loads(AGENDAS_FILE.read_text(encoding="utf-8"))
    templates = {MeetingKind(kind): AgendaTemplate(kind=MeetingKind(kind), **body) for kind, body in data.items()}
    missing = set(MeetingKind) - set(templates)
    if missing:
        raise ValueError(f"{AGENDAS_FILE.name} has no agenda for {sorted(missing)}")
    return templates


def agenda_for(kind: MeetingKind) -> tuple[Phase, ...]:
    return agenda_templates()[kind].phases
