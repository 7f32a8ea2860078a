"""The plan: the family's safety network (the people around them who help keep the children safe, and what each
has agreed to do), the next steps (what, who, by when, how we will know), and the dates of the next meetings."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from app.domain.children import check_children
from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import InvalidOperation
from app.domain.items import (
    AuthoredCollection,
    AuthoredItem,
    Change,
    ChildIds,
    ItemChange,
    ItemId,
    Model,
    Name,
    OptionalText,
    ShortText,
    Text,
    find,
    replaced,
    require,
)

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_NETWORK = 50
MAX_STEPS = 100


class NetworkMember(AuthoredItem):
    name: Name
    relationship: ShortText = Field(default="", description="Who they are to the family: 'Gran', 'Neighbour'.")
    agreed_to: OptionalText = Field(default="", description="What they have agreed to do.")


class AttendeeOwner(Model):
    kind: Literal["attendee"] = "attendee"
    attendee_id: ItemId


class NetworkOwner(Model):
    kind: Literal["network"] = "network"
    member_id: ItemId


class NamedOwner(Model):
    kind: Literal["person"] = "person"
    name: Name


StepOwner = Annotated[AttendeeOwner | NetworkOwner | NamedOwner, Field(discriminator="kind")]


class NextStep(AuthoredItem):
    what: Text
    who: StepOwner | None = Field(default=None, description="Someone at the meeting, in the network, or named.")
    by_when: ShortText = Field(default="", description="A date (YYYY-MM-DD) or words: 'before the review'.")
    how_we_know: OptionalText = Field(default="", description="How we will know it has happened.")
    child_ids: ChildIds = ()


class PlanDates(Model):
    review_conference: date | None = None
    core_group: date | None = None


class NetworkChange(ItemChange):
    entity: Literal["network_member"] = "network_member"
    id: ItemId
    value: NetworkMember | None


class StepChange(ItemChange):
    entity: Literal["step"] = "step"
    id: ItemId
    value: NextStep | None


class PlanDatesChange(Change):
    entity: Literal["plan_dates"] = "plan_dates"
    id: Literal["plan_dates"] = "plan_dates"
    value: PlanDates


class _MemberWords(Model):
    name: Name
    relationship: ShortText = ""
    agreed_to: OptionalText = ""


class AddNetworkMember(_MemberWords):
    type: Literal["add_network_member"] = "add_network_member"
    member_id: ItemId | None = None


class EditNetworkMember(_MemberWords):
    type: Literal["edit_network_member"] = "edit_network_member"
    member_id: ItemId
    base_version: int = Field(ge=1)


class RemoveNetworkMember(Model):
    type: Literal["remove_network_member"] = "remove_network_member"
    member_id: ItemId
    base_version: int = Field(ge=1)


class _StepWords(Model):
    what: Text
    who: StepOwner | None = None
    by_when: ShortText = ""
    how_we_know: OptionalText = ""
    child_ids: ChildIds = ()


class AddStep(_StepWords):
    type: Literal["add_step"] = "add_step"
    step_id: ItemId | None = None


class EditStep(_StepWords):
    type: Literal["edit_step"] = "edit_step"
    step_id: ItemId
    base_version: int = Field(ge=1)


class DeleteStep(Model):
    type: Literal["delete_step"] = "delete_step"
    step_id: ItemId
    base_version: int = Field(ge=1)


class SetPlanDates(Model):
    type: Literal["set_plan_dates"] = "set_plan_dates"
    review_conference: date | None = None
    core_group: date | None = None


NETWORK = AuthoredCollection(
    field="network",
    item=NetworkMember,
    change=NetworkChange,
    id_field="member_id",
    words=("name", "relationship", "agreed_to"),
    what="safety network member",
    limit=MAX_NETWORK,
)
STEPS = AuthoredCollection(
    field="steps",
    item=NextStep,
    change=StepChange,
    id_field="step_id",
    words=("what", "who", "by_when", "how_we_know", "child_ids"),
    what="next step",
    limit=MAX_STEPS,
)


def add_network_member(state: MeetingState, op: AddNetworkMember, ctx: OpContext) -> Outcome:
    return NETWORK.add(state, op, ctx)


def edit_network_member(state: MeetingState, op: EditNetworkMember, ctx: OpContext) -> Outcome:
    return NETWORK.edit(state, op, ctx, "change safety network members")


def remove_network_member(state: MeetingState, op: RemoveNetworkMember, ctx: OpContext) -> Outcome:
    member = NETWORK.get(state, op.member_id)
    if any(isinstance(step.who, NetworkOwner) and step.who.member_id == member.id for step in state.steps):
        raise InvalidOperation(f"{member.name} is named in the plan. Change those steps first.")
    return NETWORK.delete(state, op, ctx, "remove safety network members")


def _check_owner_exists(state: MeetingState, who: AttendeeOwner | NetworkOwner | NamedOwner | None) -> None:
    if isinstance(who, AttendeeOwner):
        require(state.attendees, who.attendee_id, "person")
    elif isinstance(who, NetworkOwner):
        require(state.network, who.member_id, "safety network member")


def add_step(state: MeetingState, op: AddStep, ctx: OpContext) -> Outcome:
    _check_owner_exists(state, op.who)
    check_children(state, op.child_ids)
    return _kept_with_a_hidden_owner(STEPS.add(state, op, ctx))


def edit_step(state: MeetingState, op: EditStep, ctx: OpContext) -> Outcome:
    _check_owner_exists(state, op.who)
    check_children(state, op.child_ids)
    return _kept_with_a_hidden_owner(STEPS.edit(state, op, ctx, "change next steps"))


def names_hidden_member(state: MeetingState, step: NextStep) -> bool:
    """Whether the step names a safety network member kept from the family: shown to them, it would name them."""
    if not isinstance(step.who, NetworkOwner):
        return False
    member = find(state.network, step.who.member_id)
    return member is not None and member.restricted


def kept_with_a_hidden_owner(state: MeetingState, step: NextStep) -> tuple[MeetingState, StepChange | None]:
    """The meeting with `step` restricted if it names a member kept from the family, and the change that makes;
    None when it needs none."""
    if step.restricted or not names_hidden_member(state, step):
        return state, None
    kept = step.model_copy(update={"restricted": True})
    return state.model_copy(update={"steps": replaced(state.steps, kept)}), StepChange(id=kept.id, value=kept)


def _kept_with_a_hidden_owner(outcome: Outcome) -> Outcome:
    step = find(outcome.state.steps, outcome.target_id)
    if step is None:
        return outcome
    after, kept = kept_with_a_hidden_owner(outcome.state, step)
    return outcome if kept is None else dataclasses.replace(outcome, state=after, changes=(kept,))


def delete_step(state: MeetingState, op: DeleteStep, ctx: OpContext) -> Outcome:
    return STEPS.delete(state, op, ctx, "delete next steps")


def set_plan_dates(state: MeetingState, op: SetPlanDates, ctx: OpContext) -> Outcome:
    dates = PlanDates(review_conference=op.review_conference, core_group=op.core_group)
    after = state.model_copy(update={"plan_dates": dates})
    return Outcome(after, (PlanDatesChange(value=dates),), "plan_dates")


HANDLERS: dict[type[BaseModel], Handler] = {
    AddNetworkMember: add_network_member,
    EditNetworkMember: edit_network_member,
    RemoveNetworkMember: remove_network_member,
    AddStep: add_step,
    EditStep: edit_step,
    DeleteStep: delete_step,
    SetPlanDates: set_plan_dates,
}
