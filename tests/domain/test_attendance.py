"""Who is at the meeting: the chair records everyone in the room (most have no device), apologies and reports;
people on a device mark themselves here and the chair confirms; every change of attendance keeps its time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.attendance import (
    MAX_ATTENDEES,
    AddAttendee,
    AttendanceMark,
    Attendee,
    CheckIn,
    ConfirmAttendee,
    EditAttendee,
    Group,
    Presence,
    RemoveAttendee,
    SetAttendance,
)
from app.domain.errors import StaleVersion
from app.domain.operations import EPOCH, Actor, operation_adapter, replay
from app.domain.roles import Role
from tests.support.conference_ops import START, ConferenceRoom

from ._support import CHAIR, MUM, SOCIAL_WORKER

MUM_ON_TABLET = Actor("mum-1", Role.family, display_name="Kelly", agency=None)
TEACHER_ON_PHONE = Actor("school-1", Role.professional, display_name="Mr Brown", agency="Hill School")


def _gran(room: ConferenceRoom) -> Attendee:
    room.do(CHAIR, AddAttendee(attendee_id="gran", name="Gran", role_label="Grandmother", group=Group.family))
    return room.state.attendees[0]


def test_the_chair_records_who_is_here_who_sent_apologies_and_who_sent_a_report() -> None:
    room = ConferenceRoom()
    room.do(CHAIR, AddAttendee(name="Sam Patel", role_label="Social worker", agency="Children's services"))
    room.do(
        CHAIR,
        AddAttendee(name="Dr Okafor", role_label="GP", agency="Health", status=Presence.apologies, report_sent=True),
    )
    here, away = room.state.attendees
    assert (here.name, here.agency, here.status, here.report_sent) == (
        "Sam Patel",
        "Children's services",
        Presence.present,
        False,
    )
    assert (away.status, away.report_sent) == (Presence.apologies, True)
    assert here.history == (AttendanceMark(at=START, status=Presence.present),)
    assert here.confirmed and here.participant_id is None, "the chair's own record needs no confirming"
    assert room.log[0][1] == AddAttendee(
        attendee_id="srv-1", name="Sam Patel", role_label="Social worker", agency="Children's services"
    )
    assert here.id == "srv-1"


def test_someone_leaving_early_is_recorded_with_the_time() -> None:
    room = ConferenceRoom()
    gran = _gran(room)
    room.now += timedelta(minutes=40)
    left_at = room.now
    room.do(CHAIR, SetAttendance(attendee_id=gran.id, status=Presence.left))
    after = room.state.attendees[0]
    assert after.status is Presence.left
    assert after.history == (
        AttendanceMark(at=START, status=Presence.present),
        AttendanceMark(at=left_at, status=Presence.left),
    )


def test_the_chair_corrects_someones_details_and_stale_corrections_are_refused() -> None:
    room = ConferenceRoom()
    gran = _gran(room)
    fix = EditAttendee(attendee_id=gran.id, base_version=1, name="Gran (Pat)", group=Group.family, report_sent=False)
    room.do(CHAIR, fix)
    assert (room.state.attendees[0].name, room.state.attendees[0].version) == ("Gran (Pat)", 2)
    assert room.state.attendees[0].role_label == "", "an edit says every detail: a blank label is a blank label"

    refused = room.refuses(CHAIR, fix.model_copy(update={"name": "Pat"}), "stale_version")
    assert isinstance(refused, StaleVersion) and refused.current == room.state.attendees[0]


def test_saving_the_same_details_again_is_no_change() -> None:
    room = ConferenceRoom()
    gran = _gran(room)
    same = EditAttendee(
        attendee_id=gran.id,
        base_version=1,
        name="Gran",
        role_label="Grandmother",
        group=Group.family,
        report_sent=False,
    )
    room.do(CHAIR, same)
    assert room.state.attendees[0].version == 1


def test_a_person_on_a_device_marks_themselves_here_under_the_name_on_their_invitation() -> None:
    room = ConferenceRoom()
    applied = room.do(MUM_ON_TABLET, CheckIn(name="Somebody else"))
    (mum,) = room.state.attendees
    assert (mum.name, mum.group, mum.status, mum.participant_id) == ("Kelly", Group.family, Presence.present, "mum-1")
    assert not mum.confirmed, "the chair confirms a self check-in"
    assert applied.op == CheckIn(attendee_id=mum.id, name="Kelly", agency="")

    room.do(TEACHER_ON_PHONE, CheckIn())
    teacher = room.state.attendees[1]
    assert (teacher.name, teacher.agency, teacher.group) == ("Mr Brown", "Hill School", Group.professional)


def test_the_chair_confirms_a_check_in() -> None:
    room = ConferenceRoom()
    room.do(MUM_ON_TABLET, CheckIn())
    room.do(CHAIR, ConfirmAttendee(attendee_id=room.state.attendees[0].id))
    assert room.state.attendees[0].confirmed


def test_the_chair_checking_in_is_there_as_the_chair_and_needs_no_confirmation() -> None:
    """The record's "Who was there" lists the chair as the chair, not as a professional awaiting their own OK."""
    room = ConferenceRoom()
    room.do(Actor("chair-1", Role.chair, display_name="Sam Chair", agency="Children's Services"), CheckIn())
    (chair,) = room.state.attendees
    assert (chair.name, chair.role_label, chair.group, chair.confirmed) == (
        "Sam Chair",
        "Chair",
        Group.professional,
        True,
    )


def test_checking_in_twice_is_refused_and_after_leaving_it_marks_the_same_person_back() -> None:
    room = ConferenceRoom()
    room.do(MUM_ON_TABLET, CheckIn())
    room.refuses(MUM_ON_TABLET, CheckIn(), "invalid_operation")
    mum_id = room.state.attendees[0].id
    room.do(CHAIR, SetAttendance(attendee_id=mum_id, status=Presence.left))
    room.do(MUM_ON_TABLET, CheckIn())
    assert [(a.id, a.status) for a in room.state.attendees] == [(mum_id, Presence.present)]
    assert [mark.status for mark in room.state.attendees[0].history] == [
        Presence.present,
        Presence.left,
        Presence.present,
    ]


def test_a_check_in_needs_a_name_from_somewhere() -> None:
    room = ConferenceRoom()
    room.refuses(MUM, CheckIn(), "invalid_operation")
    room.do(MUM, CheckIn(name="Kelly"))
    assert room.state.attendees[0].name == "Kelly"


def test_a_log_with_check_ins_replays_to_the_same_list() -> None:
    """The store rebuilds a meeting from its log, where actors carry no names: the logged check-in carries them,
    and the id of the line it added."""
    room = ConferenceRoom()
    room.do(MUM_ON_TABLET, CheckIn())
    room.do(TEACHER_ON_PHONE, CheckIn())
    room.do(CHAIR, SetAttendance(attendee_id=room.state.attendees[0].id, status=Presence.left))
    room.do(MUM_ON_TABLET, CheckIn())
    stored = [
        (seq, operation_adapter.validate_json(op.model_dump_json()), Actor(actor.participant_id, actor.role), at)
        for seq, op, actor, at in room.log
    ]
    assert replay(stored) == room.state


def test_the_chair_takes_someone_off_the_list() -> None:
    room = ConferenceRoom()
    gran = _gran(room)
    room.do(CHAIR, RemoveAttendee(attendee_id=gran.id))
    assert room.state.attendees == ()
    room.refuses(CHAIR, RemoveAttendee(attendee_id=gran.id), "item_not_found")


def test_someone_named_in_the_plan_or_answered_for_stays_on_the_list() -> None:
    room = ConferenceRoom()
    gran = _gran(room)
    room.do(
        SOCIAL_WORKER,
        {"type": "add_step", "step_id": "p", "what": "Pick up A.", "who": {"kind": "attendee", "attendee_id": gran.id}},
    )
    room.refuses(CHAIR, RemoveAttendee(attendee_id=gran.id), "invalid_operation")
    room.do(SOCIAL_WORKER, {"type": "delete_step", "step_id": "p", "base_version": 1})
    room.do(CHAIR, {"type": "open_round", "round_id": "r"})
    room.do(CHAIR, {"type": "answer_for", "round_id": "r", "attendee_id": gran.id, "value": 7})
    room.refuses(CHAIR, RemoveAttendee(attendee_id=gran.id), "invalid_operation")
    assert room.state.attendees[0].name == "Gran"


@pytest.mark.parametrize(
    "op",
    [
        EditAttendee(attendee_id="nobody", base_version=1, name="x", group=Group.other, report_sent=False),
        SetAttendance(attendee_id="nobody", status=Presence.left),
        ConfirmAttendee(attendee_id="nobody"),
        RemoveAttendee(attendee_id="nobody"),
    ],
    ids=lambda op: op.type,
)
def test_changing_someone_who_is_not_on_the_list_is_refused(
    op: EditAttendee | SetAttendance | ConfirmAttendee | RemoveAttendee,
) -> None:
    room = ConferenceRoom()
    _gran(room)
    room.refuses(CHAIR, op, "item_not_found")


def test_the_family_stepping_out_for_a_closed_part_is_recorded_with_the_times() -> None:
    room = ConferenceRoom()
    room.do(CHAIR, AddAttendee(attendee_id="mum", name="Kelly", group=Group.family))
    room.do(CHAIR, AddAttendee(attendee_id="dad", name="Lee", group=Group.family, status=Presence.apologies))
    room.do(CHAIR, AddAttendee(attendee_id="sw", name="Sam", group=Group.professional))
    out_at = room.now
    room.do(CHAIR, {"type": "start_closed_part"})
    back_at = room.now
    room.do(CHAIR, {"type": "end_closed_part"})

    mum, dad, social_worker = room.state.attendees
    assert [(m.status, m.at) for m in mum.history] == [
        (Presence.present, START),
        (Presence.stepped_out, out_at),
        (Presence.present, back_at),
    ]
    assert dad.status is Presence.apologies and len(dad.history) == 1, "someone who is not here does not step out"
    assert social_worker.status is Presence.present and len(social_worker.history) == 1


def test_a_meeting_lists_at_most_a_hundred_people() -> None:
    room = ConferenceRoom()
    for number in range(MAX_ATTENDEES):
        room.do(CHAIR, AddAttendee(name=f"Person {number}"))
    room.refuses(CHAIR, AddAttendee(name="One too many"), "invalid_operation")
    room.refuses(MUM_ON_TABLET, CheckIn(), "invalid_operation")


def test_attendance_times_come_from_the_log_not_the_clock() -> None:
    room = ConferenceRoom()
    _gran(room)
    assert replay(room.log) == room.state
    assert replay([(seq, op, actor, EPOCH) for seq, op, actor, _ in room.log]) != room.state
