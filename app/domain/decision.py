"""The decision, per child: a Child Protection plan or not, under which category, and why; each agency's
recommendation as the chair collects it; dissent, with who and why; and the family's view in their own words."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from app.domain.children import require_child
from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import InvalidOperation, ItemNotFound, StaleVersion
from app.domain.items import (
    AuthoredItem,
    ItemChange,
    ItemId,
    Model,
    Name,
    OptionalText,
    ParticipantId,
    check_new_id,
    find,
    last_editor,
    removed,
    replaced,
    require,
)
from app.domain.statements import Agreement, FamilyView, family_view_after

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_NOTES = 100


class PlanOutcome(StrEnum):
    child_protection_plan = "child_protection_plan"
    no_plan = "no_plan"


class Category(StrEnum):
    neglect = "neglect"
    physical_abuse = "physical_abuse"
    emotional_abuse = "emotional_abuse"
    sexual_abuse = "sexual_abuse"


Categories = tuple[Category, ...]


class Decision(AuthoredItem):
    """One per child; its id is the child's id."""

    child_id: ItemId
    outcome: PlanOutcome | None = Field(default=None, description="Null until the chair records it.")
    categories: Categories = ()
    reasons: OptionalText = ""
    recorded_by: ParticipantId | None = Field(default=None, description="Who recorded the outcome (the chair).")
    family_view: FamilyView | None = None


class NoteKind(StrEnum):
    recommendation = "recommendation"
    dissent = "dissent"


class DecisionNote(AuthoredItem):
    """An agency's recommendation, or someone's disagreement with the decision, as the chair records it."""

    child_id: ItemId
    kind: NoteKind
    who: Name = Field(description="The agency or person.")
    recommends: PlanOutcome | None = None
    categories: Categories = ()
    reason: OptionalText = ""


class DecisionChange(ItemChange):
    entity: Literal["decision"] = "decision"
    id: ItemId
    value: Decision | None


class DecisionNoteChange(ItemChange):
    entity: Literal["decision_note"] = "decision_note"
    id: ItemId
    value: DecisionNote | None


class RecordDecision(Model):
    type: Literal["record_decision"] = "record_decision"
    child_id: ItemId
    base_version: int = Field(
        ge=0, description="The decision's version this was made against; 0 while no outcome is recorded."
    )
    outcome: PlanOutcome
    categories: Categories = Field(default=(), max_length=4)
    reasons: OptionalText = ""


class ClearDecision(Model):
    type: Literal["clear_decision"] = "clear_decision"
    child_id: ItemId
    base_version: int = Field(ge=1)


class SetDecisionView(Model):
    """The family's view of the decision, in their words."""

    type: Literal["set_decision_view"] = "set_decision_view"
    child_id: ItemId
    base_version: int = Field(ge=0, description="The family view's version this was made against; 0 for a first.")
    agreement: Agreement
    words: OptionalText = ""


class AddDecisionNote(Model):
    type: Literal["add_decision_note"] = "add_decision_note"
    note_id: ItemId | None = None
    child_id: ItemId
    kind: NoteKind
    who: Name
    recommends: PlanOutcome | None = None
    categories: Categories = Field(default=(), max_length=4)
    reason: OptionalText = ""


class RemoveDecisionNote(Model):
    type: Literal["remove_decision_note"] = "remove_decision_note"
    note_id: ItemId


def _check_categories(outcome: PlanOutcome | None, categories: Categories) -> None:
    if len(set(categories)) != len(categories):
        raise InvalidOperation("Each category can be given once.")
    if outcome is PlanOutcome.child_protection_plan and not categories:
        raise InvalidOperation("A Child Protection plan needs its category: neglect, physical, emotional or sexual.")
    if outcome is not PlanOutcome.child_protection_plan and categories:
        raise InvalidOperation("A category only goes with a Child Protection plan.")


def _save(state: MeetingState, decision: Decision) -> Outcome:
    after = state.model_copy(update={"decisions": replaced(state.decisions, decision)})
    return Outcome(after, (DecisionChange(id=decision.id, value=decision),), decision.id)


def _decision_or_new(state: MeetingState, child_id: str, ctx: OpContext) -> Decision:
    require_child(state, child_id)
    return find(state.decisions, child_id) or Decision(
        id=child_id, child_id=child_id, author_id=ctx.actor.participant_id, restricted=state.closed_part.active
    )


def record_decision(state: MeetingState, op: RecordDecision, ctx: OpContext) -> Outcome:
    existing = find(state.decisions, op.child_id)
    decision = _decision_or_new(state, op.child_id, ctx)
    recorded = existing is not None and existing.outcome is not None
    if op.base_version != (decision.version if recorded else 0):
        raise StaleVersion("Someone changed this decision while you were working on it. Here it is now.", decision)
    _check_categories(op.outcome, op.categories)
    words: dict[str, object] = {"outcome": op.outcome, "categories": op.categories, "reasons": op.reasons}
    if recorded and all(getattr(decision, key) == value for key, value in words.items()):
        return _save(state, decision)
    version = decision.version + 1 if recorded else decision.version
    editor = last_editor(decision, ctx.actor.participant_id) if recorded else decision.edited_by
    recorder = ctx.actor.participant_id
    return _save(
        state, decision.model_copy(update={**words, "version": version, "edited_by": editor, "recorded_by": recorder})
    )


def clear_decision(state: MeetingState, op: ClearDecision, ctx: OpContext) -> Outcome:
    require_child(state, op.child_id)
    decision = find(state.decisions, op.child_id)
    if decision is None or decision.outcome is None:
        raise ItemNotFound("No decision is recorded for this child.")
    if op.base_version != decision.version:
        raise StaleVersion("Someone changed this decision while you were working on it. Here it is now.", decision)
    cleared = decision.model_copy(
        update={"outcome": None, "categories": (), "reasons": "", "version": decision.version + 1}
    )
    return _save(state, cleared)


def set_decision_view(state: MeetingState, op: SetDecisionView, ctx: OpContext) -> Outcome:
    decision = _decision_or_new(state, op.child_id, ctx)
    view = family_view_after(decision.family_view, op, ctx, decision)
    return _save(state, decision if view is None else decision.model_copy(update={"family_view": view}))


def add_decision_note(state: MeetingState, op: AddDecisionNote, ctx: OpContext) -> Outcome:
    require_child(state, op.child_id)
    note_id = op.note_id or ctx.new_id
    check_new_id(state.decision_notes, note_id, MAX_NOTES, "recommendation")
    if op.kind is NoteKind.recommendation:
        if op.recommends is None:
            raise InvalidOperation("A recommendation says whether the agency recommends a plan or not.")
        _check_categories(op.recommends, op.categories)
    note = DecisionNote(
        id=note_id,
        child_id=op.child_id,
        kind=op.kind,
        who=op.who,
        recommends=op.recommends,
        categories=op.categories,
        reason=op.reason,
        author_id=ctx.actor.participant_id,
        restricted=state.closed_part.active,
    )
    after = state.model_copy(update={"decision_notes": (*state.decision_notes, note)})
    logged = op.model_copy(update={"note_id": note_id})
    return Outcome(after, (DecisionNoteChange(id=note_id, value=note),), note_id, logged)


def remove_decision_note(state: MeetingState, op: RemoveDecisionNote, ctx: OpContext) -> Outcome:
    require(state.decision_notes, op.note_id, "recommendation")
    after = state.model_copy(update={"decision_notes": removed(state.decision_notes, op.note_id)})
    return Outcome(after, (DecisionNoteChange(id=op.note_id, value=None),), op.note_id)


HANDLERS: dict[type[BaseModel], Handler] = {
    RecordDecision: record_decision,
    ClearDecision: clear_decision,
    SetDecisionView: set_decision_view,
    AddDecisionNote: add_decision_note,
    RemoveDecisionNote: remove_decision_note,
}
