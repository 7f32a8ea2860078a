"""Safety scaling: the chair opens a round (overall, or for one danger statement; at the start or the end), each
person gives 0 to 10 and a reason on their own, and the chair reveals the round when everyone has answered.

Until the reveal, an answer's value and reason belong to whoever gave it: visibility.py keeps them from every
other connection. So that rule can be applied to any stored change on its own, each answer carries `revealed`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import RoundAlreadyRevealed, RoundNotOpen
from app.domain.items import (
    Item,
    ItemChange,
    ItemId,
    Model,
    OptionalText,
    ParticipantId,
    check_new_id,
    find,
    replaced,
    require,
)
from app.domain.roles import Role

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_ROUNDS = 60


class RoundLabel(StrEnum):
    start = "start"
    end = "end"
    other = "other"


class Round(Item):
    statement_id: ItemId | None = Field(default=None, description="Null: the overall scale.")
    label: RoundLabel
    question: OptionalText = ""
    opened_by: ParticipantId
    opened_at: datetime
    revealed: bool = False
    revealed_at: datetime | None = None
    restricted: bool = False

    def kept_from_family(self) -> bool:
        return self.restricted


class Answer(Model):
    id: str = Field(description="The round's id and the person's id, joined by '--'.")
    round_id: ItemId
    participant_id: ParticipantId | None = Field(default=None, description="Set when the person answered themselves.")
    attendee_id: ItemId | None = Field(default=None, description="Set when the chair entered it for someone.")
    role: Role | None = Field(default=None, description="The role of the person who answered on their device.")
    submitted_by: ParticipantId = Field(description="Whose device sent it: the only one to see it before reveal.")
    entered_by_chair: bool = False
    value: int | None = Field(ge=0, le=10, description="0 to 10; null on screens that may not see it yet.")
    reason: str | None = Field(description="Null on screens that may not see it yet.")
    answered_at: datetime
    revealed: bool = False
    restricted: bool = False

    def kept_from_family(self) -> bool:
        return self.restricted


class RoundChange(ItemChange):
    entity: Literal["round"] = "round"
    id: ItemId
    value: Round | None


class AnswerChange(ItemChange):
    entity: Literal["answer"] = "answer"
    id: str
    value: Answer | None


class OpenRound(Model):
    type: Literal["open_round"] = "open_round"
    round_id: ItemId | None = None
    statement_id: ItemId | None = Field(default=None, description="Scale one danger statement; null: overall.")
    label: RoundLabel = RoundLabel.start
    question: OptionalText = ""


class AnswerRound(Model):
    """Your own answer. Answering again before the reveal replaces it."""

    type: Literal["answer_round"] = "answer_round"
    round_id: ItemId
    value: int = Field(ge=0, le=10)
    reason: OptionalText = ""


class AnswerFor(Model):
    """The chair enters the answer of someone in the room without a device."""

    type: Literal["answer_for"] = "answer_for"
    round_id: ItemId
    attendee_id: ItemId
    value: int = Field(ge=0, le=10)
    reason: OptionalText = ""


class RevealRound(Model):
    type: Literal["reveal_round"] = "reveal_round"
    round_id: ItemId


def round_not_open() -> RoundNotOpen:
    return RoundNotOpen("That scaling round is not open for answers (it was revealed, or never opened).")


def _open_round(state: MeetingState, round_id: str) -> Round:
    found = find(state.rounds, round_id)
    if found is None or found.revealed:
        raise round_not_open()
    return found


def open_round(state: MeetingState, op: OpenRound, ctx: OpContext) -> Outcome:
    round_id = op.round_id or ctx.new_id
    check_new_id(state.rounds, round_id, MAX_ROUNDS, "scaling round")
    scaled = None if op.statement_id is None else require(state.statements, op.statement_id, "danger statement")
    opened = Round(
        id=round_id,
        statement_id=op.statement_id,
        label=op.label,
        question=op.question,
        opened_by=ctx.actor.participant_id,
        opened_at=ctx.at,
        # A round on a statement kept from the family is kept from them too: it would name the statement.
        restricted=state.closed_part.active or (scaled is not None and scaled.restricted),
    )
    after = state.model_copy(update={"rounds": (*state.rounds, opened)})
    return Outcome(
        after, (RoundChange(id=round_id, value=opened),), round_id, op.model_copy(update={"round_id": round_id})
    )


def _answered(state: MeetingState, answer: Answer) -> Outcome:
    after = state.model_copy(update={"answers": replaced(state.answers, answer)})
    return Outcome(after, (AnswerChange(id=answer.id, value=answer),), answer.id)


def answer_round(state: MeetingState, op: AnswerRound, ctx: OpContext) -> Outcome:
    scale = _open_round(state, op.round_id)
    me = ctx.actor.participant_id
    answer = Answer(
        id=f"{scale.id}--{me}",
        round_id=scale.id,
        participant_id=me,
        role=ctx.actor.role,
        submitted_by=me,
        value=op.value,
        reason=op.reason,
        answered_at=ctx.at,
        restricted=scale.restricted,
    )
    return _answered(state, answer)


def answer_for(state: MeetingState, op: AnswerFor, ctx: OpContext) -> Outcome:
    scale = _open_round(state, op.round_id)
    attendee = require(state.attendees, op.attendee_id, "person")
    answer = Answer(
        id=f"{scale.id}--{attendee.id}",
        round_id=scale.id,
        attendee_id=attendee.id,
        submitted_by=ctx.actor.participant_id,
        entered_by_chair=True,
        value=op.value,
        reason=op.reason,
        answered_at=ctx.at,
        restricted=scale.restricted,
    )
    return _answered(state, answer)


def reveal_round(state: MeetingState, op: RevealRound, ctx: OpContext) -> Outcome:
    scale = require(state.rounds, op.round_id, "scaling round")
    if scale.revealed:
        raise RoundAlreadyRevealed("This round has already been revealed.")
    revealed = scale.model_copy(update={"revealed": True, "revealed_at": ctx.at})
    shown = [a.model_copy(update={"revealed": True}) for a in state.answers if a.round_id == scale.id]
    answers = state.answers
    for answer in shown:
        answers = replaced(answers, answer)
    after = state.model_copy(update={"rounds": replaced(state.rounds, revealed), "answers": answers})
    changes: tuple[RoundChange | AnswerChange, ...] = (
        RoundChange(id=scale.id, value=revealed),
        *(AnswerChange(id=a.id, value=a) for a in shown),
    )
    return Outcome(after, changes, scale.id)


def restrict_round(
    state: MeetingState, round_id: str, restricted: bool
) -> tuple[MeetingState, tuple[RoundChange | AnswerChange, ...]]:
    """A round and its answers are kept from the family together, or shown together."""
    scale = require(state.rounds, round_id, "scaling round").model_copy(update={"restricted": restricted})
    answers = [a.model_copy(update={"restricted": restricted}) for a in state.answers if a.round_id == round_id]
    all_answers = state.answers
    for answer in answers:
        all_answers = replaced(all_answers, answer)
    after = state.model_copy(update={"rounds": replaced(state.rounds, scale), "answers": all_answers})
    return after, (RoundChange(id=round_id, value=scale), *(AnswerChange(id=a.id, value=a) for a in answers))


HANDLERS: dict[type[BaseModel], Handler] = {
    OpenRound: open_round,
    AnswerRound: answer_round,
    AnswerFor: answer_for,
    RevealRound: reveal_round,
}
