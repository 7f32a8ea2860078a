"""The plan: the family's safety network and what each person agreed to do, the next steps (what, who, by when,
how we will know), and the dates of the review conference and the core group."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.errors import StaleVersion
from app.domain.plan import (
    AddNetworkMember,
    AddStep,
    AttendeeOwner,
    DeleteStep,
    EditNetworkMember,
    EditStep,
    NamedOwner,
    NetworkChange,
    NetworkMember,
    NetworkOwner,
    NextStep,
    PlanDates,
    PlanDatesChange,
    RemoveNetworkMember,
    SetPlanDates,
    StepChange,
)
from tests.support.conference_ops import ConferenceRoom

from ._support import CHAIR, SOCIAL_WORKER, TEACHER, said


def _room() -> ConferenceRoom:
    room = ConferenceRoom()
    room.do(CHAIR, {"type": "add_attendee", "attendee_id": "hv", "name": "Health visitor"})
    room.do(CHAIR, {"type": "add_child", "child_id": "amy", "name": "Amy"})
    room.do(SOCIAL_WORKER, AddNetworkMember(member_id="gran", name="Pat", relationship="Gran", agreed_to="Fridays"))
    return room


def test_the_safety_network_names_each_person_and_what_they_agreed_to_do() -> None:
    room = _room()
    assert room.state.network == (
        NetworkMember(id="gran", author_id="sw-1", name="Pat", relationship="Gran", agreed_to="Fridays"),
    )
    assert said(room.applied[-1].changes) == said((NetworkChange(id="gran", value=room.state.network[0]),))


def test_a_colleague_changes_a_network_member_and_the_author_stays() -> None:
    room = _room()
    room.do(
        TEACHER,
        EditNetworkMember(member_id="gran", base_version=1, name="Pat", relationship="Gran", agreed_to="Fri+Sat"),
    )
    member = room.state.network[0]
    assert (member.agreed_to, member.version, member.author_id, member.edited_by) == ("Fri+Sat", 2, "sw-1", "school-1")

    refused = room.refuses(
        SOCIAL_WORKER, EditNetworkMember(member_id="gran", base_version=1, name="Patricia"), "stale_version"
    )
    assert isinstance(refused, StaleVersion) and refused.current == member


def test_saving_the_same_member_again_is_no_change() -> None:
    room = _room()
    room.do(
        TEACHER,
        EditNetworkMember(member_id="gran", base_version=1, name="Pat", relationship="Gran", agreed_to="Fridays"),
    )
    assert (room.state.network[0].version, room.state.network[0].edited_by) == (1, None)


def test_someone_leaves_the_network_unless_the_plan_names_them() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddStep(step_id="p1", what="Collect Amy", who=NetworkOwner(member_id="gran")))
    refused = room.refuses(SOCIAL_WORKER, RemoveNetworkMember(member_id="gran", base_version=1), "invalid_operation")
    assert "Pat" in refused.message
    room.do(SOCIAL_WORKER, EditStep(step_id="p1", base_version=1, what="Collect Amy", who=NamedOwner(name="Mum")))
    room.refuses(SOCIAL_WORKER, RemoveNetworkMember(member_id="gran", base_version=2), "stale_version")
    applied = room.do(SOCIAL_WORKER, RemoveNetworkMember(member_id="gran", base_version=1))
    assert room.state.network == ()
    assert said(applied.changes) == said((NetworkChange(id="gran", value=None),))


def test_a_next_step_says_what_who_by_when_and_how_we_will_know() -> None:
    room = _room()
    room.do(
        SOCIAL_WORKER,
        AddStep(
            what="Dad goes to the alcohol service",
            who=NamedOwner(name="Dad"),
            by_when="2027-01-15",
            how_we_know="The service writes to the social worker",
            child_ids=("amy",),
        ),
    )
    (step,) = room.state.steps
    assert step == NextStep(
        id="srv-4",
        author_id="sw-1",
        what="Dad goes to the alcohol service",
        who=NamedOwner(name="Dad"),
        by_when="2027-01-15",
        how_we_know="The service writes to the social worker",
        child_ids=("amy",),
    )
    assert said(room.applied[-1].changes) == said((StepChange(id="srv-4", value=step),))


@pytest.mark.parametrize(
    "who", [AttendeeOwner(attendee_id="hv"), NetworkOwner(member_id="gran"), NamedOwner(name="Uncle Joe"), None]
)
def test_whoever_does_a_step_is_someone_at_the_meeting_in_the_network_or_named(
    who: AttendeeOwner | NetworkOwner | NamedOwner | None,
) -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddStep(what="Something", who=who))
    assert room.state.steps[0].who == who


@pytest.mark.parametrize("who", [AttendeeOwner(attendee_id="nobody"), NetworkOwner(member_id="nobody")])
def test_a_step_for_someone_who_is_not_there_is_refused(who: AttendeeOwner | NetworkOwner) -> None:
    room = _room()
    room.refuses(SOCIAL_WORKER, AddStep(what="Something", who=who), "item_not_found")


def test_a_step_for_a_child_not_in_the_meeting_is_refused() -> None:
    room = _room()
    room.refuses(SOCIAL_WORKER, AddStep(what="Something", child_ids=("zoe",)), "child_not_found")


def test_steps_are_versioned_like_cards_and_keep_their_author() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddStep(step_id="p1", what="Weekly visits"))
    room.do(TEACHER, EditStep(step_id="p1", base_version=1, what="Weekly visits, one unannounced"))
    step = room.state.steps[0]
    assert (step.what, step.version, step.author_id, step.edited_by) == (
        "Weekly visits, one unannounced",
        2,
        "sw-1",
        "school-1",
    )
    refused = room.refuses(SOCIAL_WORKER, EditStep(step_id="p1", base_version=1, what="Mine"), "stale_version")
    assert isinstance(refused, StaleVersion) and refused.current == step
    room.refuses(SOCIAL_WORKER, DeleteStep(step_id="p1", base_version=1), "stale_version")
    applied = room.do(SOCIAL_WORKER, DeleteStep(step_id="p1", base_version=2))
    assert room.state.steps == () and said(applied.changes) == said((StepChange(id="p1", value=None),))
    room.refuses(SOCIAL_WORKER, EditStep(step_id="p1", base_version=2, what="x"), "item_not_found")


def test_saving_the_same_step_again_is_no_change() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddStep(step_id="p1", what="Weekly visits"))
    room.do(TEACHER, EditStep(step_id="p1", base_version=1, what="Weekly visits"))
    assert (room.state.steps[0].version, room.state.steps[0].edited_by) == (1, None)


def test_the_chair_sets_and_clears_the_dates_of_the_next_meetings() -> None:
    room = _room()
    applied = room.do(CHAIR, SetPlanDates(review_conference=date(2027, 3, 1), core_group=date(2026, 12, 14)))
    assert room.state.plan_dates == PlanDates(review_conference=date(2027, 3, 1), core_group=date(2026, 12, 14))
    assert said(applied.changes) == said((PlanDatesChange(value=room.state.plan_dates),))
    room.do(CHAIR, SetPlanDates(core_group=date(2026, 12, 21)))
    assert room.state.plan_dates == PlanDates(core_group=date(2026, 12, 21)), "both dates are set together"
