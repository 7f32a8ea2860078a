"""The children the meeting is about: first name or initials and age only. Decisions are made per child."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import ChildNotFound, InvalidOperation
from app.domain.items import (
    Item,
    ItemChange,
    ItemId,
    Model,
    Storable,
    check_new_id,
    check_version,
    find,
    removed,
    replaced,
    sent_at_most,
)

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_CHILDREN = 12

ChildName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), sent_at_most(40), Storable
]
Age = Annotated[int, Field(ge=0, le=25, description="Years; absent for an unborn child or when not known.")]


class Child(Item):
    name: ChildName = Field(description="First name or initials only.")
    age: Age | None = None


class ChildChange(ItemChange):
    entity: Literal["child"] = "child"
    id: ItemId
    value: Child | None


class AddChild(Model):
    type: Literal["add_child"] = "add_child"
    child_id: ItemId | None = None
    name: ChildName
    age: Age | None = None


class EditChild(Model):
    type: Literal["edit_child"] = "edit_child"
    child_id: ItemId
    base_version: int = Field(ge=1)
    name: ChildName
    age: Age | None = None


class RemoveChild(Model):
    type: Literal["remove_child"] = "remove_child"
    child_id: ItemId


def check_children(state: MeetingState, child_ids: Iterable[str]) -> None:
    for child_id in child_ids:
        if find(state.children, child_id) is None:
            raise ChildNotFound("That child is not in this meeting.")


def require_child(state: MeetingState, child_id: str) -> Child:
    child = find(state.children, child_id)
    if child is None:
        raise ChildNotFound("That child is not in this meeting.")
    return child


def add_child(state: MeetingState, op: AddChild, ctx: OpContext) -> Outcome:
    child_id = op.child_id or ctx.new_id
    check_new_id(state.children, child_id, MAX_CHILDREN, "child")
    child = Child(id=child_id, name=op.name, age=op.age)
    after = state.model_copy(update={"children": (*state.children, child)})
    return Outcome(
        after, (ChildChange(id=child_id, value=child),), child_id, op.model_copy(update={"child_id": child_id})
    )


def edit_child(state: MeetingState, op: EditChild, ctx: OpContext) -> Outcome:
    child = require_child(state, op.child_id)
    check_version(child, op.base_version, "child's details")
    changed = (op.name, op.age) != (child.name, child.age)
    edited = child.model_copy(update={"name": op.name, "age": op.age, "version": child.version + changed})
    after = state.model_copy(update={"children": replaced(state.children, edited)})
    return Outcome(after, (ChildChange(id=child.id, value=edited),), child.id)


def remove_child(state: MeetingState, op: RemoveChild, ctx: OpContext) -> Outcome:
    require_child(state, op.child_id)
    # Nothing said about a child disappears with a click: their words and their decision go first, on purpose.
    if (
        find(state.decisions, op.child_id) is not None
        or any(v.child_id == op.child_id for v in state.voices)
        or any(n.child_id == op.child_id for n in state.decision_notes)
    ):
        raise InvalidOperation("This child has words or a decision recorded. Remove those first.")
    # Nor does a child leave the items that name them pointing at no one (they could not be edited any more).
    named = (item.child_ids for items in (state.cards(), state.statements, state.steps) for item in items)
    if any(op.child_id in child_ids for child_ids in named):
        raise InvalidOperation("Cards, danger statements or steps of the plan name this child. Change those first.")
    after = state.model_copy(update={"children": removed(state.children, op.child_id)})
    return Outcome(after, (ChildChange(id=op.child_id, value=None),), op.child_id)


HANDLERS: dict[type[BaseModel], Handler] = {AddChild: add_child, EditChild: edit_child, RemoveChild: remove_child}
