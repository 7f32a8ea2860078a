"""Who is at the meeting: everyone in the room, most of them without a device, recorded by the chair; people
on a device mark themselves here and the chair confirms. Every change of attendance keeps its time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from app.domain.context import Handler, OpContext, Outcome
from app.domain.errors import InvalidOperation
from app.domain.items import (
    Item,
    ItemChange,
    ItemId,
    Model,
    Name,
    ParticipantId,
    ShortText,
    check_new_id,
    check_version,
    removed,
    replaced,
    require,
)
from app.domain.plan import AttendeeOwner
from app.domain.roles import Role

if TYPE_CHECKING:
    from app.domain.state import MeetingState

MAX_ATTENDEES = 100


class Presence(StrEnum):
    present = "present"
    apologies = "apologies"
    absent = "absent"
    left = "left"
    stepped_out = "stepped_out"
    """Out of the room for a closed part of the meeting."""


class Group(StrEnum):
    family = "family"
    professional = "professional"
    other = "other"


class AttendanceMark(Model):
    at: datetime
    status: Presence


class Attendee(Item):
    name: Name
    role_label: ShortText = Field(default="", description="Their part in the meeting: 'Mum', 'Health visitor'...")
    agency: ShortText = ""
    group: Group
    status: Presence
    report_sent: bool = False
    participant_id: ParticipantId | None = Field(
        default=None, description="Set when this person is in the meeting on a device of their own."
    )
    confirmed: bool = Field(default=True, description="False until the chair confirms a self check-in.")
    history: tuple[AttendanceMark, ...] = Field(default=(), description="Every change of status, with its time.")


class AttendeeChange(ItemChange):
    entity: Literal["attendee"] = "attendee"
    id: ItemId
    value: Attendee | None


class AddAttendee(Model):
    type: Literal["add_attendee"] = "add_attendee"
    attendee_id: ItemId | None = None
    name: Name
    role_label: ShortText = ""
    agency: ShortText = ""
    group: Group = Group.professional
    status: Presence = Presence.present
    report_sent: bool = False


class EditAttendee(Model):
    type: Literal["edit_attendee"] = "edit_attendee"
    attendee_id: ItemId
    base_version: int = Field(ge=1)
    name: Name
    role_label: ShortText = ""
    agency: ShortText = ""
    group: Group
    report_sent: bool


class SetAttendance(Model):
    """Someone arrives, leaves early, or steps out: recorded with the time."""

    type: Literal["set_attendance"] = "set_attendance"
    attendee_id: ItemId
    status: Presence


class CheckIn(Model):
    """'I am here', from a person's own device. The server fills in their name from their invitation."""

    type: Literal["check_in"] = "check_in"
    attendee_id: ItemId | None = Field(
        default=None,
        description="The person's line on the list when this check-in adds one; the server assigns it when absent.",
    )
    name: Name | None = Field(default=None, description="Filled in by the server; ignored when a client sends it.")
    agency: ShortText | None = Field(default=None, description="Filled in by the server.")


class ConfirmAttendee(Model):
    type: Literal["confirm_attendee"] = "confirm_attendee"
    attendee_id: ItemId


class RemoveAttendee(Model):
    type: Literal["remove_attendee"] = "remove_attendee"
    attendee_id: ItemId


def _marked(attendee: Attendee, status: Presence, at: datetime) -> Attendee:
    return attendee.model_copy(
        update={"status": status, "history": (*attendee.history, AttendanceMark(at=at, status=status))}
    )


def _save(state: MeetingState, attendee: Attendee, logged: Model | None = None) -> Outcome:
    after = state.model_copy(update={"attendees": replaced(state.attendees, attendee)})
    return Outcome(after, (AttendeeChange(id=attendee.id, value=attendee),), attendee.id, logged)


def add_attendee(state: MeetingState, op: AddAttendee, ctx: OpContext) -> Outcome:
    attendee_id = op.attendee_id or ctx.new_id
    check_new_id(state.attendees, attendee_id, MAX_ATTENDEES, "person")
    attendee = Attendee(
        id=attendee_id,
        name=op.name,
        role_label=op.role_label,
        agency=op.agency,
        group=op.group,
        status=op.status,
        report_sent=op.report_sent,
        history=(AttendanceMark(at=ctx.at, status=op.status),),
    )
    return _save(state, attendee, op.model_copy(update={"attendee_id": attendee_id}))


def edit_attendee(state: MeetingState, op: EditAttendee, ctx: OpContext) -> Outcome:
    attendee = require(state.attendees, op.attendee_id, "person")
    check_version(attendee, op.base_version, "person's details")
    fields: dict[str, object] = {
        "name": op.name,
        "role_label": op.role_label,
        "agency": op.agency,
        "group": op.group,
        "report_sent": op.report_sent,
    }
    changed = any(getattr(attendee, key) != value for key, value in fields.items())
    return _save(state, attendee.model_copy(update={**fields, "version": attendee.version + changed}))


def set_attendance(state: MeetingState, op: SetAttendance, ctx: OpContext) -> Outcome:
    attendee = require(state.attendees, op.attendee_id, "person")
    return _save(state, _marked(attendee, op.status, ctx.at))


def check_in(state: MeetingState, op: CheckIn, ctx: OpContext) -> Outcome:
    me = ctx.actor.participant_id
    existing = next((a for a in state.attendees if a.participant_id == me), None)
    name = ctx.actor.display_name or op.name
    agency = ctx.actor.agency if ctx.actor.display_name else op.agency
    if name is None:
        raise InvalidOperation("A check-in needs the name of the person checking in.")
    logged = op.model_copy(update={"name": name, "agency": agency or ""})
    if existing is not None:
        if existing.status is Presence.present:
            raise InvalidOperation("You are already marked as here.")
        return _save(
            state, _marked(existing, Presence.present, ctx.at), logged.model_copy(update={"attendee_id": existing.id})
        )
    # Like every add, the logged op names the new line's id, so replaying the log gives it the same id.
    attendee_id = op.attendee_id or ctx.new_id
    check_new_id(state.attendees, attendee_id, MAX_ATTENDEES, "person")
    chair = ctx.actor.role is Role.chair
    attendee = Attendee(
        id=attendee_id,
        name=name,
        role_label="Chair" if chair else "",
        agency=agency or "",
        group=Group.family if ctx.actor.role is Role.family else Group.professional,
        status=Presence.present,
        participant_id=me,
        confirmed=chair,  # the chair confirms the others' check-ins: theirs needs nobody's
        history=(AttendanceMark(at=ctx.at, status=Presence.present),),
    )
    return _save(state, attendee, logged.model_copy(update={"attendee_id": attendee_id}))


def confirm_attendee(state: MeetingState, op: ConfirmAttendee, ctx: OpContext) -> Outcome:
    attendee = require(state.attendees, op.attendee_id, "person")
    return _save(state, attendee.model_copy(update={"confirmed": True}))


def remove_attendee(state: MeetingState, op: RemoveAttendee, ctx: OpContext) -> Outcome:
    attendee = require(state.attendees, op.attendee_id, "person")
    # Like a safety network member, someone named in the plan stays until those steps change; and an answer
    # given for them stays on the record of the scaling round.
    if any(isinstance(step.who, AttendeeOwner) and step.who.attendee_id == attendee.id for step in state.steps):
        raise InvalidOperation(f"{attendee.name} is named in the plan. Change those steps first.")
    if any(answer.attendee_id == attendee.id for answer in state.answers):
        raise InvalidOperation(f"{attendee.name} has answered a scaling round, so they stay on the record.")
    after = state.model_copy(update={"attendees": removed(state.attendees, op.attendee_id)})
    return Outcome(after, (AttendeeChange(id=op.attendee_id, value=None),), op.attendee_id)


def family_steps(state: MeetingState, out: bool, at: datetime) -> tuple[MeetingState, tuple[AttendeeChange, ...]]:
    """The family leaves the room for a closed part (out) or comes back: each present family member's record
    says so, with the time."""
    before, after_status = (Presence.present, Presence.stepped_out) if out else (Presence.stepped_out, Presence.present)
    moved = [_marked(a, after_status, at) for a in state.attendees if a.group is Group.family and a.status is before]
    attendees = state.attendees
    for attendee in moved:
        attendees = replaced(attendees, attendee)
    changes = tuple(AttendeeChange(id=a.id, value=a) for a in moved)
    return state.model_copy(update={"attendees": attendees}), changes


HANDLERS: dict[type[BaseModel], Handler] = {
    AddAttendee: add_attendee,
    EditAttendee: edit_attendee,
    SetAttendance: set_attendance,
    CheckIn: check_in,
    ConfirmAttendee: confirm_attendee,
    RemoveAttendee: remove_attendee,
}
