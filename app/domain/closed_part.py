"""A closed part of the meeting: the family steps out, and what is said then must never reach their screens.

While it runs, everything added is restricted (each concept's add reads `closed_part.active`), the family's
attendance says they stepped out, and the family cannot change anything. The chair can also restrict any single
item, or lift a restriction, at any time: lifting shows the item on every screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from app.domain.attendance import family_steps
from app.domain.cards import restrict_card
from app.domain.context import Handler, OpContext, Outcome
from app.domain.decision import DecisionChange, DecisionNoteChange
from app.domain.errors import ClosedPartRunning, InvalidOperation, NoClosedPart
from app.domain.items import Change, ItemId, Model, find, replaced, require
from app.domain.plan import NetworkChange, StepChange, kept_with_a_hidden_owner, names_hidden_member
from app.domain.scaling import restrict_round
from app.domain.statements import StatementChange
from app.domain.voice import ChildWordsChange

if TYPE_CHECKING:
    from app.domain.changes import AnyChange
    from app.domain.state import MeetingState

RestrictableEntity = Literal[
    "card", "statement", "round", "network_member", "step", "decision", "decision_note", "voice"
]


class ClosedInterval(Model):
    started_at: datetime
    ended_at: datetime | None = None


class ClosedPart(Model):
    active: bool = False
    parts: tuple[ClosedInterval, ...] = ()


class ClosedPartChange(Change):
    entity: Literal["closed_part"] = "closed_part"
    id: Literal["closed_part"] = "closed_part"
    value: ClosedPart


class StartClosedPart(Model):
    """The family steps out. Their screens and the room screen show only that this part is private."""

    type: Literal["start_closed_part"] = "start_closed_part"


class EndClosedPart(Model):
    type: Literal["end_closed_part"] = "end_closed_part"


class SetRestricted(Model):
    type: Literal["set_restricted"] = "set_restricted"
    entity: RestrictableEntity
    item_id: ItemId
    restricted: bool


# Items restricted by replacing the item itself; cards keep their place in a column and rounds take their answers.
_COLLECTIONS: dict[str, tuple[str, type[Any], str]] = {
    "statement": ("statements", StatementChange, "danger statement"),
    "network_member": ("network", NetworkChange, "safety network member"),
    "step": ("steps", StepChange, "next step"),
    "decision": ("decisions", DecisionChange, "decision"),
    "decision_note": ("decision_notes", DecisionNoteChange, "recommendation"),
    "voice": ("voices", ChildWordsChange, "child's words"),
}


def start_closed_part(state: MeetingState, op: StartClosedPart, ctx: OpContext) -> Outcome:
    if state.closed_part.active:
        raise ClosedPartRunning("A closed part is already running.")
    closed = ClosedPart(active=True, parts=(*state.closed_part.parts, ClosedInterval(started_at=ctx.at)))
    after, stepped_out = family_steps(state.model_copy(update={"closed_part": closed}), out=True, at=ctx.at)
    return Outcome(after, (ClosedPartChange(value=closed), *stepped_out), "closed_part")


def end_closed_part(state: MeetingState, op: EndClosedPart, ctx: OpContext) -> Outcome:
    if not state.closed_part.active:
        raise NoClosedPart("No closed part is running.")
    *earlier, last = state.closed_part.parts
    ended = ClosedPart(active=False, parts=(*earlier, last.model_copy(update={"ended_at": ctx.at})))
    after, back = family_steps(state.model_copy(update={"closed_part": ended}), out=False, at=ctx.at)
    return Outcome(after, (ClosedPartChange(value=ended), *back), "closed_part")


def set_restricted(state: MeetingState, op: SetRestricted, ctx: OpContext) -> Outcome:
    if not op.restricted:
        _check_names_nothing_hidden(state, op)
    if op.entity == "card":
        after, card_change = restrict_card(state, op.item_id, op.restricted)
        return Outcome(after, (card_change,), op.item_id)
    if op.entity == "round":
        after, round_changes = restrict_round(state, op.item_id, op.restricted)
        return Outcome(after, round_changes, op.item_id)
    field, change_type, what = _COLLECTIONS[op.entity]
    items = getattr(state, field)
    item: BaseModel = require(items, op.item_id, what).model_copy(update={"restricted": op.restricted})
    after = state.model_copy(update={field: replaced(items, item)})
    changes: tuple[AnyChange, ...] = (change_type(id=op.item_id, value=item),)
    # What names the item (a statement's rounds, a member's next steps) is kept from the family with it. Lifting it
    # leaves them as they are (one may have been restricted on its own); the chair lifts each.
    if op.entity == "statement" and op.restricted:
        for scale in after.rounds:
            if scale.statement_id == op.item_id and not scale.restricted:
                after, round_changes = restrict_round(after, scale.id, True)
                changes += round_changes
    if op.entity == "network_member" and op.restricted:
        for step in after.steps:
            after, kept = kept_with_a_hidden_owner(after, step)
            changes += (kept,) if kept is not None else ()
    return Outcome(after, changes, op.item_id)


def _check_names_nothing_hidden(state: MeetingState, op: SetRestricted) -> None:
    """A round names its danger statement and a step its safety network member: lifted while that stays kept from
    the family, it would show them its id (and their copy of the record a round about a statement it does not
    hold)."""
    if op.entity == "round":
        scale = require(state.rounds, op.item_id, "scaling round")
        statement = None if scale.statement_id is None else find(state.statements, scale.statement_id)
        if statement is not None and statement.restricted:
            raise InvalidOperation(
                "This round is about a danger statement the family cannot see. Show them the statement first."
            )
    if op.entity == "step":
        step = require(state.steps, op.item_id, "next step")
        if names_hidden_member(state, step):
            raise InvalidOperation(
                "This step names someone in the safety network the family cannot see. Show them that person first."
            )


HANDLERS: dict[type[BaseModel], Handler] = {
    StartClosedPart: start_closed_part,
    EndClosedPart: end_closed_part,
    SetRestricted: set_restricted,
}
