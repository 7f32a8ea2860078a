"""The record: the chair finalises, and from then on the meeting is read-only for everyone; a correction or a later
fact is an addendum, with its reason, after the record. Before finalising, the chair is shown what is missing."""

from __future__ import annotations

import pytest

from app.domain.closed_part import ClosedInterval, StartClosedPart
from app.domain.operations import Actor, operation_adapter
from app.domain.record import AddAddendum, Addendum, Finalisation, Finalise, Missing, what_is_missing
from app.domain.roles import OpType, Role, Scope, scope_for
from app.domain.visibility import Viewer, meeting_for
from tests.support.conference_ops import (
    ConferenceRoom,
    MeetingFixture,
    OpDict,
    case_for,
    fixture_room,
    someone_else,
)

from ._support import CHAIR, MUM, PROJECTOR, SOCIAL_WORKER

F = MeetingFixture()
EVERY_OP_BUT_ADDENDUM = [op_type for op_type in OpType if op_type is not OpType.add_addendum]


def _finalised(room: ConferenceRoom | None = None) -> ConferenceRoom:
    room = room or fixture_room(F)
    room.do(F.actor(Role.chair), Finalise())
    return room


def _addendum(text: str, reason: str, restricted: bool = False) -> OpDict:
    return {"type": "add_addendum", "text": text, "reason": reason, "restricted": restricted}


def test_finalising_makes_the_meeting_read_only_and_says_when_and_by_whom() -> None:
    room = fixture_room(F)
    at = room.now
    applied = room.do(F.actor(Role.chair), Finalise())

    assert room.state.read_only
    assert room.state.finalised == Finalisation(at=at, by=F.people["chair"])
    assert [change.entity for change in applied.changes] == ["finalised"]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
@pytest.mark.parametrize("op_type", EVERY_OP_BUT_ADDENDUM, ids=lambda op_type: op_type.value)
def test_after_finalising_every_operation_but_an_addendum_is_refused_for_every_role(
    op_type: OpType, role: Role
) -> None:
    room = _finalised()
    # The operation as it would be sent on the meeting before finalising (and on the role's own item where it has
    # one): the refusal is about the record being final, not about who may do what.
    owner = role.value if scope_for(role, op_type) is Scope.own else someone_else(role)
    op = operation_adapter.validate_python(case_for(op_type, F, owner).op)

    error = room.refuses(F.actor(role), op, "meeting_read_only")

    assert "finalised" in error.message


def test_finalising_twice_is_refused() -> None:
    room = _finalised()
    first = room.state.finalised
    room.refuses(F.actor(Role.chair), Finalise(), "meeting_read_only")
    assert room.state.finalised == first


def test_only_the_chair_finalises() -> None:
    room = fixture_room(F)
    for role in (Role.professional, Role.family, Role.projector, Role.observer):
        room.refuses(F.actor(role), Finalise(), "forbidden")
    assert not room.state.read_only


def test_an_addendum_before_finalising_is_refused() -> None:
    room = fixture_room(F)
    error = room.refuses(F.actor(Role.chair), _addendum("The review moves.", "The school asked."), "invalid_operation")
    assert "finalised" in error.message
    assert room.state.addenda == ()


def test_after_finalising_the_chair_adds_addenda_listed_in_order_with_reason_and_time() -> None:
    room = _finalised()
    record = room.state.model_dump(exclude={"seq", "addenda"})
    first_at = room.now
    first = room.do(F.actor(Role.chair), _addendum("The review is moved to 3 March.", "The school asked."))
    second_at = room.now
    room.do(
        F.actor(Role.chair), {**_addendum("Gran will also collect on Tuesdays.", "Agreed after"), "addendum_id": "a2"}
    )

    chair = F.people["chair"]
    assert room.state.addenda == (
        Addendum(
            id=first.target_id,
            author_id=chair,
            text="The review is moved to 3 March.",
            reason="The school asked.",
            at=first_at,
        ),
        Addendum(
            id="a2",
            author_id=chair,
            text="Gran will also collect on Tuesdays.",
            reason="Agreed after",
            at=second_at,
        ),
    )
    assert first_at < second_at
    assert first.op == AddAddendum(
        addendum_id=first.target_id, text="The review is moved to 3 March.", reason="The school asked."
    ), "the log names the new addendum's id, so replaying it gives the same one"
    assert room.state.read_only, "an addendum leaves the record final"
    assert room.state.model_dump(exclude={"seq", "addenda"}) == record, "the record itself is never rewritten"


def test_only_the_chair_adds_an_addendum() -> None:
    room = _finalised()
    for role in (Role.professional, Role.family, Role.projector, Role.observer):
        room.refuses(F.actor(role), _addendum("Something else", "Because"), "forbidden")


def test_an_addendum_id_is_not_reused() -> None:
    room = _finalised()
    room.do(F.actor(Role.chair), {**_addendum("One", "Why"), "addendum_id": "a1"})
    room.refuses(F.actor(Role.chair), {**_addendum("Two", "Why"), "addendum_id": "a1"}, "invalid_operation")


def test_a_restricted_addendum_is_kept_from_the_family_and_the_room_screen() -> None:
    room = _finalised()
    room.do(CHAIR, {**_addendum("Police told us of a new report.", "Came after", restricted=True), "addendum_id": "r"})
    room.do(CHAIR, {**_addendum("The review is moved to 3 March.", "The school asked."), "addendum_id": "p"})

    for viewer in (Viewer(MUM.participant_id, Role.family), Viewer(PROJECTOR.participant_id, Role.projector)):
        assert [a.id for a in meeting_for(room.state, viewer).addenda] == ["p"], viewer.role
    for viewer in (Viewer(CHAIR.participant_id, Role.chair), Viewer(SOCIAL_WORKER.participant_id, Role.professional)):
        assert [a.id for a in meeting_for(room.state, viewer).addenda] == ["r", "p"], viewer.role


def test_a_closed_part_running_at_finalising_ends_with_it() -> None:
    room = fixture_room(F)
    started = room.now
    room.do(CHAIR, StartClosedPart())
    finalised_at = room.now
    applied = room.do(CHAIR, Finalise())

    assert not room.state.closed_part.active
    assert room.state.closed_part.parts == (ClosedInterval(started_at=started, ended_at=finalised_at),)
    entities = [change.entity for change in applied.changes]
    assert (entities[0], entities[-1]) == ("closed_part", "finalised"), entities


def test_finalising_replays_to_the_same_record() -> None:
    from app.domain.operations import replay

    room = _finalised()
    room.do(CHAIR, _addendum("Later fact", "Why"))
    assert replay(room.log, room.genesis) == room.state


# ---- what the chair's confirmation lists -----------------------------------------------------------------------


def _complete_meeting() -> ConferenceRoom:
    """A child decided, a danger statement with its safety goal, a step with someone named: nothing missing."""
    room = ConferenceRoom()
    chair, social_worker = Actor(CHAIR.participant_id, Role.chair), SOCIAL_WORKER
    room.do(chair, {"type": "add_child", "child_id": "j", "name": "J.", "age": 6})
    room.do(chair, {"type": "add_attendee", "attendee_id": "gran", "name": "Gran", "group": "family"})
    room.do(
        social_worker, {"type": "add_statement", "statement_id": "s1", "behaviour": "Dad drinks", "child_ids": ["j"]}
    )
    room.do(
        social_worker,
        {"type": "set_safety_goal", "statement_id": "s1", "base_version": 0, "adults_will": "Dad stops drinking"},
    )
    room.do(
        social_worker,
        {
            "type": "add_step",
            "step_id": "step-1",
            "what": "Gran collects J. on Fridays",
            "who": {"kind": "attendee", "attendee_id": "gran"},
        },
    )
    room.do(
        chair,
        {
            "type": "record_decision",
            "child_id": "j",
            "base_version": 0,
            "outcome": "child_protection_plan",
            "categories": ["neglect"],
            "reasons": "Not enough food at home",
        },
    )
    return room


def test_nothing_is_missing_from_a_complete_meeting() -> None:
    assert what_is_missing(_complete_meeting().state) == []


def test_what_is_missing_lists_an_undecided_child_a_statement_without_a_goal_and_a_step_with_no_one_named() -> None:
    room = _complete_meeting()
    chair, social_worker = Actor(CHAIR.participant_id, Role.chair), SOCIAL_WORKER
    room.do(chair, {"type": "add_child", "child_id": "k", "name": "Kai", "age": 3})
    # The family's view of a decision is not a decision.
    room.do(MUM, {"type": "set_decision_view", "child_id": "k", "base_version": 0, "agreement": "agree"})
    room.do(social_worker, {"type": "add_statement", "statement_id": "s2", "behaviour": "Shouting at night"})
    room.do(social_worker, {"type": "add_step", "step_id": "step-2", "what": "Someone visits weekly"})

    missing = what_is_missing(room.state)

    assert [(m.what, m.entity, m.item_id) for m in missing] == [
        ("decision", "child", "k"),
        ("safety_goal", "statement", "s2"),
        ("owner", "step", "step-2"),
    ]
    assert missing[0].message == "Kai has no decision yet."
    assert missing[1].message == "Danger statement 2 has no safety goal."
    assert "Someone visits weekly" in missing[2].message


def test_what_is_missing_adds_words_the_plain_words_check_flagged() -> None:
    missing = what_is_missing(_complete_meeting().state, [("card", "c1", "s47")])
    assert missing == [
        Missing(what="plain_words", entity="card", item_id="c1", message="'s47' may not be clear to the family.")
    ]


def test_the_fixture_meeting_lacks_what_it_lacks() -> None:
    """The shared fixture meeting: one child decided and one not, goals on no statement, no step with a name."""
    missing = {(m.what, m.item_id) for m in what_is_missing(fixture_room(F).state)}
    assert missing == {
        ("decision", F.spare_child),
        *(("safety_goal", statement) for statement in F.statements.values()),
        *(("owner", step) for step in F.steps.values()),
    }


def test_what_is_missing_is_a_list_not_a_gate() -> None:
    room = fixture_room(F)
    assert what_is_missing(room.state)
    room.do(CHAIR, Finalise())
    assert room.state.read_only
