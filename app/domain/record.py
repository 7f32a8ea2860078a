"""The record: the chair finalises the meeting, and from then on it is read-only for everyone. A correction or a
later fact is an addendum, with its reason, added after the record; the record itself is never rewritten.

What the chair is shown before finalising (`what_is_missing`) is a list, not a gate: the chair decides.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from app.domain.closed_part import EndClosedPart, end_closed_part
from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import InvalidOperation
from app.domain.items import (
    AuthoredItem,
    Change,
    ItemChange,
    ItemId,
    Model,
    ParticipantId,
    Text,
    check_new_id,
)

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_ADDENDA = 100


class Finalisation(Model):
    at: datetime
    by: ParticipantId


class Addendum(AuthoredItem):
    text: Text = Field(description="The correction, or the later fact.")
    reason: Text = Field(description="Why it is added after the record was finalised.")
    at: datetime


class FinalisedChange(Change):
    entity: Literal["finalised"] = "finalised"
    id: Literal["finalised"] = "finalised"
    value: Finalisation


class AddendumChange(ItemChange):
    entity: Literal["addendum"] = "addendum"
    id: ItemId
    value: Addendum | None


class Finalise(Model):
    """The chair finalises: the map and the plan are locked, and shared as the record."""

    type: Literal["finalise"] = "finalise"


class AddAddendum(Model):
    """After finalising only: a correction or a later fact, with its reason."""

    type: Literal["add_addendum"] = "add_addendum"
    addendum_id: ItemId | None = None
    text: Text
    reason: Text
    restricted: bool = Field(default=False, description="Keep it from the family's copy of the record.")


class Missing(BaseModel):
    """One thing the record lacks, in the words the chair's confirmation shows."""

    what: Literal["decision", "safety_goal", "owner", "plain_words"]
    entity: str
    item_id: str
    message: str


def finalise(state: MeetingState, op: Finalise, ctx: OpContext) -> Outcome:
    changes: tuple[Change, ...] = ()
    if state.closed_part.active:
        # A record does not end in the middle of a closed part: the closed part ends with it.
        ended = end_closed_part(state, EndClosedPart(), ctx)
        state, changes = ended.state, ended.changes
    finalisation = Finalisation(at=ctx.at, by=ctx.actor.participant_id)
    after = state.model_copy(update={"read_only": True, "finalised": finalisation})
    return Outcome(after, (*changes, FinalisedChange(value=finalisation)), "finalised")  # type: ignore[arg-type]


def add_addendum(state: MeetingState, op: AddAddendum, ctx: OpContext) -> Outcome:
    if not state.read_only:
        raise InvalidOperation("An addendum follows a finalised record. Until then, change the record itself.")
    addendum_id = op.addendum_id or ctx.new_id
    check_new_id(state.addenda, addendum_id, MAX_ADDENDA, "addendum")
    addendum = Addendum(
        id=addendum_id,
        author_id=ctx.actor.participant_id,
        text=op.text,
        reason=op.reason,
        at=ctx.at,
        restricted=op.restricted,
    )
    after = state.model_copy(update={"addenda": (*state.addenda, addendum)})
    logged = op.model_copy(update={"addendum_id": addendum_id})
    return Outcome(after, (AddendumChange(id=addendum_id, value=addendum),), addendum_id, logged)


def what_is_missing(state: MeetingState, flagged: list[tuple[str, str, str]] | None = None) -> list[Missing]:
    """What the chair should know before finalising: a child with no decision, a danger statement with no safety
    goal, a next step with no one named, and (from the plain-words check, as (entity, id, term)) words a family
    may not understand."""
    missing: list[Missing] = []
    decided = {d.child_id for d in state.decisions if d.outcome is not None}
    for child in state.children:
        if child.id not in decided:
            message = f"{child.name} has no decision yet."
            missing.append(Missing(what="decision", entity="child", item_id=child.id, message=message))
    for number, statement in enumerate(state.statements, start=1):
        if statement.goal is None:
            message = f"Danger statement {number} has no safety goal."
            missing.append(Missing(what="safety_goal", entity="statement", item_id=statement.id, message=message))
    for step in state.steps:
        if step.who is None:
            message = f"Nobody is named for the step: {step.what}"
            missing.append(Missing(what="owner", entity="step", item_id=step.id, message=message))
    for entity, item_id, term in flagged or []:
        message = f"'{term}' may not be clear to the family."
        missing.append(Missing(what="plain_words", entity=entity, item_id=item_id, message=message))
    return missing


HANDLERS: dict[type[BaseModel], Handler] = {Finalise: finalise, AddAddendum: add_addendum}
