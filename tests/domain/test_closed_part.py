"""A closed part of the meeting: the family steps out, everything added meanwhile is restricted, and the family
cannot change anything until the chair asks them back. The chair can also restrict any single item, or lift a
restriction. A family member never acts on (or learns through a refusal about) an item kept from them."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.closed_part import (
    ClosedInterval,
    ClosedPart,
    ClosedPartChange,
    EndClosedPart,
    SetRestricted,
    StartClosedPart,
)
from app.domain.errors import DomainError
from app.domain.operations import Actor, replay
from app.domain.roles import PERMISSIONS, OpType, Role, Scope
from app.domain.state import MeetingState
from tests.support.conference_ops import ConferenceRoom, MeetingFixture, OpDict, case_for, fixture_room

from ._support import CHAIR, GRAN, MUM, SOCIAL_WORKER

F = MeetingFixture()
FAMILY_OPS = [op for op, scope in PERMISSIONS[Role.family].items() if scope is not Scope.none]


def _closed(room: ConferenceRoom) -> ConferenceRoom:
    room.do(CHAIR, StartClosedPart())
    return room


def test_the_chair_starts_and_ends_a_closed_part_and_the_times_are_kept() -> None:
    room = ConferenceRoom()
    started = room.now
    applied = room.do(CHAIR, StartClosedPart())
    assert room.state.closed_part == ClosedPart(active=True, parts=(ClosedInterval(started_at=started),))
    assert applied.changes[0] == ClosedPartChange(value=room.state.closed_part)

    ended = room.now
    room.do(CHAIR, EndClosedPart())
    room.do(CHAIR, StartClosedPart())
    assert room.state.closed_part.parts[0] == ClosedInterval(started_at=started, ended_at=ended)
    assert room.state.closed_part.active and len(room.state.closed_part.parts) == 2


def test_a_closed_part_cannot_start_twice_or_end_when_none_is_running() -> None:
    room = ConferenceRoom()
    room.refuses(CHAIR, EndClosedPart(), "no_closed_part")
    room.do(CHAIR, StartClosedPart())
    room.refuses(CHAIR, StartClosedPart(), "closed_part_running")
    room.do(CHAIR, EndClosedPart())
    room.refuses(CHAIR, EndClosedPart(), "no_closed_part")


# One add of each kind of item, with how to find what it added.
ADDS: list[tuple[str, Actor, OpDict, str]] = [
    ("card", SOCIAL_WORKER, {"type": "add_card", "column": "worries", "kind": "harm", "text": "x"}, "columns"),
    ("statement", SOCIAL_WORKER, {"type": "add_statement", "behaviour": "x"}, "statements"),
    ("round", CHAIR, {"type": "open_round"}, "rounds"),
    ("network", SOCIAL_WORKER, {"type": "add_network_member", "name": "x"}, "network"),
    ("step", SOCIAL_WORKER, {"type": "add_step", "what": "x"}, "steps"),
    (
        "decision",
        CHAIR,
        {"type": "record_decision", "child_id": F.spare_child, "base_version": 0, "outcome": "no_plan"},
        "decisions",
    ),
    (
        "decision-by-view",
        CHAIR,
        {"type": "set_decision_view", "child_id": F.spare_child, "base_version": 0, "agreement": "agree"},
        "decisions",
    ),
    (
        "note",
        CHAIR,
        {"type": "add_decision_note", "child_id": F.child, "kind": "dissent", "who": "x"},
        "decision_notes",
    ),
    (
        "words",
        SOCIAL_WORKER,
        {"type": "add_child_words", "child_id": F.child, "house": "dreams", "words": "x", "shared": True},
        "voices",
    ),
]


def _item(state: MeetingState, field: str, item_id: str) -> Any:
    """The item with this id in the meeting's `field` ("columns": a card)."""
    if field == "columns":
        found = state.find(item_id)
        assert found is not None
        return found[2]
    return next(item for item in getattr(state, field) if item.id == item_id)


@pytest.mark.parametrize(("actor", "op", "field"), [add[1:] for add in ADDS], ids=[add[0] for add in ADDS])
def test_everything_added_during_a_closed_part_is_restricted_and_stays_so(actor: Actor, op: OpDict, field: str) -> None:
    room = _closed(fixture_room(F))
    added = room.do(actor, op).target_id
    assert _item(room.state, field, added).restricted
    room.do(CHAIR, EndClosedPart())
    assert _item(room.state, field, added).restricted, "ending the closed part does not publish what was said in it"


@pytest.mark.parametrize(("actor", "op", "field"), [add[1:] for add in ADDS], ids=[add[0] for add in ADDS])
def test_what_is_added_outside_a_closed_part_is_not_restricted(actor: Actor, op: OpDict, field: str) -> None:
    room = fixture_room(F)
    room.do(CHAIR, StartClosedPart())
    room.do(CHAIR, EndClosedPart())
    added = room.do(actor, op).target_id
    assert not _item(room.state, field, added).restricted


def test_answers_to_a_round_opened_in_a_closed_part_are_restricted_with_it() -> None:
    room = _closed(fixture_room(F))
    room.do(CHAIR, {"type": "open_round", "round_id": "closed-round"})
    room.do(SOCIAL_WORKER, {"type": "answer_round", "round_id": "closed-round", "value": 2})
    room.do(CHAIR, {"type": "answer_for", "round_id": "closed-round", "attendee_id": F.attendee, "value": 4})
    assert [a.restricted for a in room.state.answers] == [True, True]


@pytest.mark.parametrize("op_type", FAMILY_OPS, ids=str)
def test_the_family_can_change_nothing_while_a_closed_part_runs(op_type: OpType) -> None:
    room = _closed(fixture_room(F))
    op = case_for(op_type, F, "family").op
    error = room.refuses(MUM, op, "closed_part_running")
    assert error.message == "This part of the meeting is private. You will be asked back."
    room.do(CHAIR, EndClosedPart())
    room.do(MUM, op)  # asked back: the same operation goes through


def test_professionals_and_the_chair_carry_on_during_a_closed_part() -> None:
    room = _closed(fixture_room(F))
    room.do(SOCIAL_WORKER, case_for(OpType.edit_statement, F, "professional").op)
    room.do(CHAIR, case_for(OpType.answer_round, F, "chair").op)
    room.do(CHAIR, case_for(OpType.set_phase, F, "chair").op)
    assert room.state.closed_part.active


# The chair restricts any single item; (entity, id in the fixture meeting, where it lives).
RESTRICTABLE = [
    ("card", F.cards["family"], "columns"),
    ("statement", F.statements["professional"], "statements"),
    ("round", F.round, "rounds"),
    ("network_member", F.network["professional"], "network"),
    ("step", F.steps["chair"], "steps"),
    ("decision", F.child, "decisions"),
    ("decision_note", F.note, "decision_notes"),
    ("voice", F.voices["professional"], "voices"),
]


@pytest.mark.parametrize(("entity", "item_id", "field"), RESTRICTABLE, ids=[r[0] for r in RESTRICTABLE])
def test_the_chair_restricts_any_item_and_lifts_the_restriction(entity: str, item_id: str, field: str) -> None:
    room = fixture_room(F)
    before = _item(room.state, field, item_id)
    room.do(CHAIR, SetRestricted.model_validate({"entity": entity, "item_id": item_id, "restricted": True}))
    restricted = _item(room.state, field, item_id)
    assert restricted.restricted
    assert restricted.version == before.version, "restricting an item does not change its words"
    room.do(CHAIR, SetRestricted.model_validate({"entity": entity, "item_id": item_id, "restricted": False}))
    assert _item(room.state, field, item_id) == before


@pytest.mark.parametrize(
    ("entity", "code"), [(r[0], "card_not_found" if r[0] == "card" else "item_not_found") for r in RESTRICTABLE]
)
def test_restricting_an_item_that_is_not_there_is_refused(entity: str, code: str) -> None:
    room = fixture_room(F)
    room.refuses(CHAIR, SetRestricted.model_validate({"entity": entity, "item_id": "gone", "restricted": True}), code)


def test_restricting_a_round_restricts_its_answers_and_lifting_shows_them_again() -> None:
    room = fixture_room(F)
    room.do(MUM, {"type": "answer_round", "round_id": F.round, "value": 8})
    room.do(SOCIAL_WORKER, {"type": "answer_round", "round_id": F.round, "value": 3})
    room.do(CHAIR, SetRestricted(entity="round", item_id=F.round, restricted=True))
    assert [a.restricted for a in room.state.answers] == [True, True]
    room.do(SOCIAL_WORKER, {"type": "answer_round", "round_id": F.round, "value": 4})
    assert [a.restricted for a in room.state.answers] == [True, True]
    room.do(CHAIR, SetRestricted(entity="round", item_id=F.round, restricted=False))
    assert [a.restricted for a in room.state.answers] == [False, False]


def test_a_round_on_a_statement_kept_from_the_family_is_kept_from_them_with_it() -> None:
    """A round names its statement: shown to the family, it would tell them of a statement they may not see."""
    room = fixture_room(F)
    statement = F.statements["professional"]
    room.do(MUM, {"type": "answer_round", "round_id": F.round, "value": 8})
    room.do(CHAIR, {"type": "open_round", "round_id": "on-it", "statement_id": statement})
    room.do(MUM, {"type": "answer_round", "round_id": "on-it", "value": 5})
    restrict = room.do(CHAIR, SetRestricted(entity="statement", item_id=statement, restricted=True))
    assert [(s.id, s.restricted) for s in room.state.rounds] == [(F.round, False), ("on-it", True)]
    assert [a.restricted for a in room.state.answers if a.round_id == "on-it"] == [True]
    assert {(c.entity, c.id) for c in restrict.changes} >= {("statement", statement), ("round", "on-it")}

    room.do(CHAIR, {"type": "open_round", "round_id": "later", "statement_id": statement})
    assert room.state.rounds[-1].restricted, "opened on a hidden statement"
    room.refuses(CHAIR, SetRestricted(entity="round", item_id="later", restricted=False), "invalid_operation")
    room.do(CHAIR, SetRestricted(entity="statement", item_id=statement, restricted=False))
    assert [s.restricted for s in room.state.rounds] == [False, True, True], "each round is lifted by the chair"
    room.do(CHAIR, SetRestricted(entity="round", item_id="later", restricted=False))
    room.do(CHAIR, {"type": "open_round", "round_id": "after", "statement_id": statement})
    assert not room.state.rounds[-1].restricted


def test_a_next_step_naming_a_network_member_kept_from_the_family_is_kept_from_them_with_them() -> None:
    """A step's `who` names the member: shown to the family, it would tell them of someone they may not see."""
    room = fixture_room(F)
    member = F.network["professional"]
    room.do(SOCIAL_WORKER, {"type": "add_step", "step_id": "walk", "what": "Walk A. to school"})
    room.do(
        SOCIAL_WORKER,
        {"type": "add_step", "step_id": "visit", "what": "Visit", "who": {"kind": "network", "member_id": member}},
    )
    restrict = room.do(CHAIR, SetRestricted(entity="network_member", item_id=member, restricted=True))
    steps = {s.id: s.restricted for s in room.state.steps}
    assert (steps["walk"], steps["visit"]) == (False, True)
    assert ("step", "visit") in {(c.entity, c.id) for c in restrict.changes}

    edited = room.do(
        SOCIAL_WORKER,
        {
            "type": "edit_step",
            "step_id": "walk",
            "base_version": 1,
            "what": "Walk A. to school",
            "who": {"kind": "network", "member_id": member},
        },
    )
    assert next(s for s in room.state.steps if s.id == "walk").restricted
    assert edited.changes[0].value.restricted  # type: ignore[union-attr]
    room.do(
        SOCIAL_WORKER,
        {"type": "add_step", "step_id": "call", "what": "Call", "who": {"kind": "network", "member_id": member}},
    )
    assert next(s for s in room.state.steps if s.id == "call").restricted
    room.refuses(CHAIR, SetRestricted(entity="step", item_id="call", restricted=False), "invalid_operation")
    room.do(CHAIR, SetRestricted(entity="network_member", item_id=member, restricted=False))
    room.do(CHAIR, SetRestricted(entity="step", item_id="call", restricted=False))
    assert not next(s for s in room.state.steps if s.id == "call").restricted


def test_a_family_screen_places_cards_among_the_cards_it_has_and_the_log_replays_them_there() -> None:
    """docs/protocol.md: `position` counts the items this connection sees, both ways. Counted among all, the
    parent's card would land elsewhere than dropped, and probing would count the cards kept from them."""
    room = ConferenceRoom()

    def add(actor: Actor, card_id: str, **more: Any) -> None:
        room.do(
            actor,
            {"type": "add_card", "card_id": card_id, "column": "worries", "kind": "harm", "text": card_id, **more},
        )

    room.do(CHAIR, {"type": "start_closed_part"})
    for hidden in ("h1", "h2", "h3"):
        add(SOCIAL_WORKER, hidden)
    room.do(CHAIR, {"type": "end_closed_part"})
    add(SOCIAL_WORKER, "seen-a")
    add(SOCIAL_WORKER, "seen-b")  # the family sees [seen-a, seen-b]; the column is h1 h2 h3 seen-a seen-b

    add(MUM, "mine", position=1)
    add(MUM, "first", position=0)
    room.do(MUM, {"type": "move_card", "card_id": "mine", "column": "worries", "position": 3})

    worries = [card.id for card in room.state.columns["worries"]]
    assert [c for c in worries if not c.startswith("h")] == ["first", "seen-a", "seen-b", "mine"]
    assert worries.index("first") == 3, "just before the card the family saw at that index"
    assert replay(room.log) == room.state


# What a family member may do to an item, and the same operation on an item that is not there at all.
HIDDEN: list[tuple[str, str, OpDict, OpDict]] = [
    (
        "card",
        F.cards["family"],
        {"type": "edit_card", "card_id": F.cards["family"], "base_version": 1, "text": "x"},
        {"type": "edit_card", "card_id": "gone", "base_version": 1, "text": "x"},
    ),
    (
        "card",
        F.cards["family"],
        {"type": "delete_card", "card_id": F.cards["family"], "base_version": 1},
        {"type": "delete_card", "card_id": "gone", "base_version": 1},
    ),
    (
        "card",
        F.cards["family"],
        {"type": "move_card", "card_id": F.cards["family"], "column": "worries", "position": 0},
        {"type": "move_card", "card_id": "gone", "column": "worries", "position": 0},
    ),
    (
        "statement",
        F.statements["professional"],
        {
            "type": "set_family_view",
            "statement_id": F.statements["professional"],
            "base_version": 0,
            "agreement": "agree",
        },
        {"type": "set_family_view", "statement_id": "gone", "base_version": 0, "agreement": "agree"},
    ),
    (
        "round",
        F.round,
        {"type": "answer_round", "round_id": F.round, "value": 5},
        {"type": "answer_round", "round_id": "gone", "value": 5},
    ),
]


@pytest.mark.parametrize(("entity", "item_id", "op", "on_nothing"), HIDDEN, ids=[h[2]["type"] for h in HIDDEN])
def test_the_family_acting_on_an_item_kept_from_them_learns_no_more_than_if_it_were_not_there(
    entity: str, item_id: str, op: OpDict, on_nothing: OpDict
) -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetRestricted.model_validate({"entity": entity, "item_id": item_id, "restricted": True}))
    with pytest.raises(DomainError) as missing:
        room.do(MUM, on_nothing)
    hidden = room.refuses(MUM, op, missing.value.code)
    assert hidden.message == missing.value.message
    room.refuses(GRAN, op, missing.value.code)


def test_the_family_cannot_give_a_view_on_a_decision_kept_from_them() -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetRestricted(entity="decision", item_id=F.child, restricted=True))
    view = {"type": "set_decision_view", "child_id": F.child, "base_version": 0, "agreement": "disagree"}
    room.refuses(MUM, view, "item_not_found")
    room.do(CHAIR, SetRestricted(entity="decision", item_id=F.child, restricted=False))
    room.do(MUM, view)


def test_the_chair_and_professionals_still_work_on_restricted_items() -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetRestricted(entity="statement", item_id=F.statements["professional"], restricted=True))
    room.do(SOCIAL_WORKER, case_for(OpType.edit_statement, F, "professional").op)
    room.do(CHAIR, case_for(OpType.set_family_view, F, "professional").op)
    statement = room.state.statements[1]
    assert statement.restricted and statement.version == 2 and statement.family_view is not None


def test_a_family_members_own_card_restricted_by_the_chair_is_out_of_their_reach() -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetRestricted(entity="card", item_id=F.cards["family"], restricted=True))
    room.refuses(MUM, {"type": "delete_card", "card_id": F.cards["family"], "base_version": 1}, "card_not_found")
    room.do(CHAIR, SetRestricted(entity="card", item_id=F.cards["family"], restricted=False))
    room.do(MUM, {"type": "delete_card", "card_id": F.cards["family"], "base_version": 1})
    assert room.state.find(F.cards["family"]) is None
