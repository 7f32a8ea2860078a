"""The agenda in motion: which phase the meeting is in, the one it came from (so an accidental move is one click
to undo), and an optional timer. The server stores when a timer started and for how long; screens count down
themselves, so no event is sent each second. Phases guide the room: they lock nothing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from app.domain.agendas import PhaseId
from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import InvalidOperation, PhaseChanged
from app.domain.focus import FocusChange
from app.domain.items import Change, Model

if TYPE_CHECKING:
    from app.domain.state import MeetingState


class Timer(Model):
    started_at: datetime
    seconds: int = Field(ge=60, le=180 * 60)


class PhaseState(Model):
    current: PhaseId
    previous: PhaseId | None = Field(default=None, description="Where the chair came from: 'Back' returns there.")
    started_at: datetime | None = Field(default=None, description="When the chair moved to this phase.")
    timer: Timer | None = None


class PhaseChange(Change):
    entity: Literal["phase"] = "phase"
    id: Literal["phase"] = "phase"
    value: PhaseState


class SetPhase(Model):
    """Move to any phase of the agenda: next, back, or a jump."""

    type: Literal["set_phase"] = "set_phase"
    phase: PhaseId
    from_phase: PhaseId | None = Field(
        default=None, description="The phase the chair saw; refused with phase_changed if the meeting has moved."
    )
    timer_minutes: int | None = Field(default=None, ge=1, le=180, description="Start a timer for the new phase.")


class SetTimer(Model):
    type: Literal["set_timer"] = "set_timer"
    minutes: int | None = Field(ge=1, le=180, description="Null stops the timer.")


def _save(state: MeetingState, phase: PhaseState) -> Outcome:
    return Outcome(state.model_copy(update={"phase": phase}), (PhaseChange(value=phase),), phase.current)


def _unfocused(outcome: Outcome) -> Outcome:
    """Pointing everyone at an item belongs to the part of the meeting where the chair did it: a move clears it,
    so a screen that reloads follows the phase, as the others do."""
    if outcome.state.focus is None:
        return outcome
    after = outcome.state.model_copy(update={"focus": None})
    return Outcome(after, (*outcome.changes, FocusChange(value=None)), outcome.target_id)


def set_phase(state: MeetingState, op: SetPhase, ctx: OpContext) -> Outcome:
    if op.phase not in {phase.id for phase in state.agenda}:
        raise InvalidOperation("That phase is not on this meeting's agenda.")
    current = state.phase.current
    if op.from_phase is not None and op.from_phase != current:
        raise PhaseChanged("The meeting had already moved on, so it was not moved again.")
    timer = Timer(started_at=ctx.at, seconds=op.timer_minutes * 60) if op.timer_minutes else None
    previous = current if op.phase != current else state.phase.previous
    return _unfocused(_save(state, PhaseState(current=op.phase, previous=previous, started_at=ctx.at, timer=timer)))


def set_timer(state: MeetingState, op: SetTimer, ctx: OpContext) -> Outcome:
    timer = Timer(started_at=ctx.at, seconds=op.minutes * 60) if op.minutes else None
    return _save(state, state.phase.model_copy(update={"timer": timer}))


HANDLERS: dict[type[BaseModel], Handler] = {SetPhase: set_phase, SetTimer: set_timer}
