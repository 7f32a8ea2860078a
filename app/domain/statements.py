"""Danger statements, each with the family's view of it and the safety goal paired with it.

A danger statement names who is worried, what the adults did or may do, the impact on the child, and what could
happen if nothing changes. Its safety goal says what the adults will be doing, what the child will experience,
what professionals will see, and for how long. The statement, the family's view and the goal each carry their own
version, so the family giving their view never makes a professional's edit of the wording stale.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, Field

from app.domain.children import check_children
from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import InvalidOperation, StaleVersion
from app.domain.items import (
    AuthoredCollection,
    AuthoredItem,
    ChildIds,
    ItemChange,
    ItemId,
    Model,
    OptionalText,
    ParticipantId,
    Text,
    last_editor,
)

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_STATEMENTS = 20
GENTLE_LIMIT = 3
"""Usually no more than three danger statements; past that the screens say so, gently. Nothing is refused."""


class Agreement(StrEnum):
    agree = "agree"
    partly = "partly"
    disagree = "disagree"
    not_sure = "not_sure"


class FamilyView(Model):
    agreement: Agreement
    words: OptionalText = Field(default="", description="The family's own words.")
    author_id: ParticipantId
    edited_by: ParticipantId | None = None
    version: int = Field(default=1, ge=1)


class SafetyGoal(Model):
    adults_will: OptionalText = Field(default="", description="What the adults will be doing.")
    child_will_experience: OptionalText = Field(default="", description="What the child will experience.")
    professionals_will_see: OptionalText = Field(default="", description="What professionals will see.")
    how_long: OptionalText = Field(default="", description="For how long, before we are confident.")
    author_id: ParticipantId
    edited_by: ParticipantId | None = None
    version: int = Field(default=1, ge=1)


class DangerStatement(AuthoredItem):
    who_is_worried: OptionalText = Field(default="", description="Who is worried.")
    behaviour: Text = Field(description="What the adults did or may do.")
    impact: OptionalText = Field(default="", description="The impact on the child.")
    if_nothing_changes: OptionalText = Field(default="", description="What could happen if nothing changes.")
    child_ids: ChildIds = ()
    family_view: FamilyView | None = None
    goal: SafetyGoal | None = None


class StatementChange(ItemChange):
    entity: Literal["statement"] = "statement"
    id: ItemId
    value: DangerStatement | None


class _StatementWords(Model):
    who_is_worried: OptionalText = ""
    behaviour: Text
    impact: OptionalText = ""
    if_nothing_changes: OptionalText = ""
    child_ids: ChildIds = ()


class AddStatement(_StatementWords):
    type: Literal["add_statement"] = "add_statement"
    statement_id: ItemId | None = None


class EditStatement(_StatementWords):
    type: Literal["edit_statement"] = "edit_statement"
    statement_id: ItemId
    base_version: int = Field(ge=1)


class DeleteStatement(Model):
    type: Literal["delete_statement"] = "delete_statement"
    statement_id: ItemId
    base_version: int = Field(ge=1)


class SetFamilyView(Model):
    type: Literal["set_family_view"] = "set_family_view"
    statement_id: ItemId
    base_version: int = Field(ge=0, description="The family view's version this was made against; 0 for a first.")
    agreement: Agreement
    words: OptionalText = ""


class FamilyViewGiven(Protocol):
    """What giving the family's view takes, of a statement or of the decision."""

    @property
    def base_version(self) -> int: ...

    @property
    def agreement(self) -> Agreement: ...

    @property
    def words(self) -> str: ...


class SetSafetyGoal(Model):
    type: Literal["set_safety_goal"] = "set_safety_goal"
    statement_id: ItemId
    base_version: int = Field(ge=0, description="The goal's version this was made against; 0 for a first goal.")
    adults_will: OptionalText = ""
    child_will_experience: OptionalText = ""
    professionals_will_see: OptionalText = ""
    how_long: OptionalText = ""


STATEMENTS = AuthoredCollection(
    field="statements",
    item=DangerStatement,
    change=StatementChange,
    id_field="statement_id",
    words=("who_is_worried", "behaviour", "impact", "if_nothing_changes", "child_ids"),
    what="danger statement",
    limit=MAX_STATEMENTS,
)
_GOAL = ("adults_will", "child_will_experience", "professionals_will_see", "how_long")


def add_statement(state: MeetingState, op: AddStatement, ctx: OpContext) -> Outcome:
    check_children(state, op.child_ids)
    return STATEMENTS.add(state, op, ctx)


def edit_statement(state: MeetingState, op: EditStatement, ctx: OpContext) -> Outcome:
    check_children(state, op.child_ids)
    return STATEMENTS.edit(state, op, ctx, "change danger statements")


def delete_statement(state: MeetingState, op: DeleteStatement, ctx: OpContext) -> Outcome:
    if any(r.statement_id == op.statement_id for r in state.rounds):
        raise InvalidOperation("The room has scaled this danger statement, so it stays on the record.")
    return STATEMENTS.delete(state, op, ctx, "delete danger statements")


def family_view_after(
    view: FamilyView | None, op: FamilyViewGiven, ctx: OpContext, holder: BaseModel
) -> FamilyView | None:
    """The family's view (of a statement or of a decision) once they, or someone writing for them, have given
    it; None when it is unchanged. A view given against an older version is refused with its `holder` as now."""
    base_version, agreement, words = op.base_version, op.agreement, op.words
    if base_version != (view.version if view else 0):
        raise StaleVersion("Someone changed the family's view while you were working on it. Here it is now.", holder)
    me = ctx.actor.participant_id
    if view is None:
        return FamilyView(agreement=agreement, words=words, author_id=me)
    if (view.agreement, view.words) == (agreement, words):
        return None
    update = {"agreement": agreement, "words": words, "version": view.version + 1, "edited_by": last_editor(view, me)}
    return view.model_copy(update=update)


def set_family_view(state: MeetingState, op: SetFamilyView, ctx: OpContext) -> Outcome:
    statement = STATEMENTS.get(state, op.statement_id)
    view = family_view_after(statement.family_view, op, ctx, statement)
    return STATEMENTS.save(state, statement if view is None else statement.model_copy(update={"family_view": view}))


def set_safety_goal(state: MeetingState, op: SetSafetyGoal, ctx: OpContext) -> Outcome:
    statement = STATEMENTS.get(state, op.statement_id)
    goal = statement.goal
    if op.base_version != (goal.version if goal else 0):
        raise _stale(statement, "safety goal")
    words = {key: getattr(op, key) for key in _GOAL}
    if not any(words.values()):
        raise InvalidOperation("A safety goal needs some words in at least one of its parts.")
    me = ctx.actor.participant_id
    if goal is None:
        new_goal = SafetyGoal(author_id=me, **words)
    elif all(getattr(goal, key) == value for key, value in words.items()):
        return STATEMENTS.save(state, statement)
    else:
        new_goal = goal.model_copy(update={**words, "version": goal.version + 1, "edited_by": last_editor(goal, me)})
    return STATEMENTS.save(state, statement.model_copy(update={"goal": new_goal}))


def _stale(statement: DangerStatement, what: str) -> StaleVersion:
    """A stale edit of one part of a statement is refused with the whole statement as it is now."""
    return StaleVersion(f"Someone changed the {what} while you were working on it. Here it is now.", statement)


HANDLERS: dict[type[BaseModel], Handler] = {
    AddStatement: add_statement,
    EditStatement: edit_statement,
    DeleteStatement: delete_statement,
    SetFamilyView: set_family_view,
    SetSafetyGoal: set_safety_goal,
}
