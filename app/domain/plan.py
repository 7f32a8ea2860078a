"""The plan: the family's safety network (the people around them who help keep the children safe, and what each
has agreed to do), the next steps (what, who, by when, how we will know), and the dates of the next meetings."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from app.domain.children import check_children
from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import InvalidOperation
from app.domain.items import (
    AuthoredItem,
    ChildIds,
    ItemId,
    Model,
    Name,
    OptionalText,
    ShortText,
    Text,
    check_new_id,
    check_version,
    last_editor,
    removed,
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


class NetworkChange(Model):
    entity: Literal["network_member"] = "network_member"
    id: ItemId
    value: NetworkMember | None


class StepChange(Model):
    entity: Literal["step"] = "step"
    id: ItemId
    value: NextStep | None


class PlanDatesChange(Model):
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


_MEMBER = ("name", "relationship", "agreed_to")
_STEP = ("what", "who", "by_when", "how_we_know", "child_ids")


def _save_member(state: MeetingState, member: NetworkMember, logged: Model | None = None) -> Outcome:
    after = state.model_copy(update={"network": replaced(state.network, member)})
    return Outcome(after, (NetworkChange(id=member.id, value=member),), member.id, logged)


def _save_step(state: MeetingState, step: NextStep, logged: Model | None = None) -> Outcome:
    after = state.model_copy(update={"steps": replaced(state.steps, step)})
    return Outcome(after, (StepChange(id=step.id, value=step),), step.id, logged)


def add_network_member(state: MeetingState, op: AddNetworkMember, ctx: OpContext) -> Outcome:
    member_id = op.member_id or ctx.new_id
    check_new_id(state.network, member_id, MAX_NETWORK, "safety network member")
    member = NetworkMember(
        id=member_id,
        author_id=ctx.actor.participant_id,
        restricted=state.closed_part.active,
        **{key: getattr(op, key) for key in _MEMBER},
    )
    return _save_member(state, member, op.model_copy(update={"member_id": member_id}))


def edit_network_member(state: MeetingState, op: EditNetworkMember, ctx: OpContext) -> Outcome:
    member = require(state.network, op.member_id, "safety network member")
    ctx.check_owner(member.author_id, "change the safety network")
    check_version(member, op.base_version, "safety network member")
    words = {key: getattr(op, key) for key in _MEMBER}
    if all(getattr(member, key) == value for key, value in words.items()):
        return _save_member(state, member)
    edited = member.model_copy(
        update={**words, "version": member.version + 1, "edited_by": last_editor(member, ctx.actor.participant_id)}
    )
    return _save_member(state, edited)


def remove_network_member(state: MeetingState, op: RemoveNetworkMember, ctx: OpContext) -> Outcome:
    member = require(state.network, op.member_id, "safety network member")
    ctx.check_owner(member.author_id, "change the safety network")
    check_version(member, op.base_version, "safety network member")
    if any(isinstance(step.who, NetworkOwner) and step.who.member_id == member.id for step in state.steps):
        raise InvalidOperation(f"{member.name} is named in the plan. Change those steps first.")
    after = state.model_copy(update={"network": removed(state.network, member.id)})
    return Outcome(after, (NetworkChange(id=member.id, value=None),), member.id)


def _check_owner_exists(state: MeetingState, who: AttendeeOwner | NetworkOwner | NamedOwner | None) -> None:
    if isinstance(who, AttendeeOwner):
        require(state.attendees, who.attendee_id, "person")
    elif isinstance(who, NetworkOwner):
        require(state.network, who.member_id, "safety network member")


def add_step(state: MeetingState, op: AddStep, ctx: OpContext) -> Outcome:
    step_id = op.step_id or ctx.new_id
    check_new_id(state.steps, step_id, MAX_STEPS, "next step")
    _check_owner_exists(state, op.who)
    check_children(state, op.child_ids)
    step = NextStep(
        id=step_id,
        author_id=ctx.actor.participant_id,
        restricted=state.closed_part.active,
        **{key: getattr(op, key) for key in _STEP},
    )
    return _save_step(state, step, op.model_copy(update={"step_id": step_id}))


def edit_step(state: MeetingState, op: EditStep, ctx: OpContext) -> Outcome:
    step = require(state.steps, op.step_id, "next step")
    ctx.check_owner(step.author_id, "change the plan")
    check_version(step, op.base_version, "next step")
    _check_owner_exists(state, op.who)
    check_children(state, op.child_ids)
    words = {key: getattr(op, key) for key in _STEP}
    if all(getattr(step, key) == value for key, value in words.items()):
        return _save_step(state, step)
    edited = step.model_copy(
        update={**words, "version": step.version + 1, "edited_by": last_editor(step, ctx.actor.participant_id)}
    )
    return _save_step(state, edited)


def delete_step(state: MeetingState, op: DeleteStep, ctx: OpContext) -> Outcome:
    step = require(state.steps, op.step_id, "next step")
    ctx.check_owner(step.author_id, "change the plan")
    check_version(step, op.base_version, "next step")
    after = state.model_copy(update={"steps": removed(state.steps, step.id)})
    return Outcome(after, (StepChange(id=step.id, value=None),), step.id)


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
