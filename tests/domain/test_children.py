"""The children the meeting is about: first name or initials and age; decisions, cards, statements and steps
name them; a child cannot be taken out of the meeting while anything is recorded about them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.children import MAX_CHILDREN, AddChild, Child, ChildChange, EditChild, RemoveChild
from app.domain.errors import StaleVersion
from app.domain.operations import Actor, operation_adapter
from tests.support.conference_ops import ConferenceRoom, OpDict

from ._support import CHAIR, SOCIAL_WORKER, said


def _room_with_child() -> ConferenceRoom:
    room = ConferenceRoom()
    room.do(CHAIR, AddChild(child_id="amy", name="Amy", age=7))
    return room


def test_the_chair_adds_children_by_first_name_or_initials() -> None:
    room = ConferenceRoom()
    applied = room.do(CHAIR, AddChild(child_id="amy", name="  Amy  ", age=7))
    room.do(CHAIR, AddChild(name="B.J."))  # an unborn child, or age not known: no age
    assert room.state.children == (Child(id="amy", name="Amy", age=7), Child(id="srv-2", name="B.J.", age=None))
    assert said(applied.changes) == said((ChildChange(id="amy", value=room.state.children[0]),))
    assert room.log[1][1] == AddChild(child_id="srv-2", name="B.J."), "the log names the id the server gave"


def test_a_child_is_a_name_and_an_age_and_nothing_more() -> None:
    with pytest.raises(ValidationError):
        operation_adapter.validate_python({"type": "add_child", "name": "Amy", "surname": "Smith"})
    with pytest.raises(ValidationError):
        AddChild(name="A" * 41)
    with pytest.raises(ValidationError):
        AddChild(name="Amy", age=26)


def test_a_second_child_with_the_same_id_is_refused() -> None:
    room = _room_with_child()
    room.refuses(CHAIR, AddChild(child_id="amy", name="Another"), "invalid_operation")


def test_a_meeting_holds_at_most_a_dozen_children() -> None:
    room = ConferenceRoom()
    for number in range(MAX_CHILDREN):
        room.do(CHAIR, AddChild(name=f"C{number}"))
    room.refuses(CHAIR, AddChild(name="One too many"), "invalid_operation")


def test_the_chair_corrects_a_childs_details_and_the_version_goes_up() -> None:
    room = _room_with_child()
    room.do(CHAIR, EditChild(child_id="amy", base_version=1, name="Aimee", age=8))
    assert room.state.children == (Child(id="amy", version=2, name="Aimee", age=8),)


def test_saving_the_same_details_again_is_no_change() -> None:
    room = _room_with_child()
    room.do(CHAIR, EditChild(child_id="amy", base_version=1, name="Amy", age=7))
    assert room.state.children[0].version == 1


def test_a_stale_correction_is_refused_with_the_child_as_it_is_now() -> None:
    room = _room_with_child()
    room.do(CHAIR, EditChild(child_id="amy", base_version=1, name="Aimee", age=7))
    refused = room.refuses(CHAIR, EditChild(child_id="amy", base_version=1, name="Amy", age=8), "stale_version")
    assert isinstance(refused, StaleVersion)
    assert refused.current == room.state.children[0]


def test_a_child_added_by_mistake_is_removed() -> None:
    room = _room_with_child()
    applied = room.do(CHAIR, RemoveChild(child_id="amy"))
    assert room.state.children == ()
    assert said(applied.changes) == said((ChildChange(id="amy", value=None),))
    room.refuses(CHAIR, RemoveChild(child_id="amy"), "child_not_found")
    room.refuses(CHAIR, EditChild(child_id="amy", base_version=1, name="A"), "child_not_found")


@pytest.mark.parametrize(
    ("who", "recorded", "undo"),
    [
        (
            SOCIAL_WORKER,
            {"type": "add_child_words", "voice_id": "v", "child_id": "amy", "house": "worries", "words": "Shouting"},
            {"type": "delete_child_words", "voice_id": "v", "base_version": 1},
        ),
        (
            CHAIR,
            {"type": "record_decision", "child_id": "amy", "base_version": 0, "outcome": "no_plan"},
            None,
        ),
        (
            CHAIR,
            {"type": "add_decision_note", "note_id": "n", "child_id": "amy", "kind": "dissent", "who": "School"},
            {"type": "remove_decision_note", "note_id": "n"},
        ),
        (
            SOCIAL_WORKER,
            {
                "type": "add_card",
                "card_id": "c",
                "column": "worries",
                "kind": "harm",
                "text": "x",
                "child_ids": ["amy"],
            },
            {"type": "edit_card", "card_id": "c", "base_version": 1, "child_ids": []},
        ),
        (
            SOCIAL_WORKER,
            {"type": "add_statement", "statement_id": "s", "behaviour": "Dad hits", "child_ids": ["amy"]},
            {
                "type": "edit_statement",
                "statement_id": "s",
                "base_version": 1,
                "behaviour": "Dad hits",
                "child_ids": [],
            },
        ),
        (
            SOCIAL_WORKER,
            {"type": "add_step", "step_id": "p", "what": "Visit", "child_ids": ["amy"]},
            {"type": "delete_step", "step_id": "p", "base_version": 1},
        ),
    ],
    ids=["words", "decision", "dissent", "card", "statement", "step"],
)
def test_a_child_stays_while_anything_names_them(who: Actor, recorded: OpDict, undo: OpDict | None) -> None:
    """Nothing said about a child disappears with a click, and nothing is left naming a child who is not there
    (it could no longer be edited: every edit checks the children it names)."""
    room = _room_with_child()
    room.do(who, recorded)
    room.refuses(CHAIR, RemoveChild(child_id="amy"), "invalid_operation")
    if undo is None:  # a decision is never deleted; a child with a decision stays in the meeting
        return
    room.do(who, undo)
    room.do(CHAIR, RemoveChild(child_id="amy"))
    assert room.state.children == ()


@pytest.mark.parametrize(
    "op",
    [
        {"type": "add_card", "column": "worries", "kind": "harm", "text": "x", "child_ids": ["amy", "zoe"]},
        {"type": "add_statement", "behaviour": "Dad hits", "child_ids": ["zoe"]},
        {"type": "add_step", "what": "Visit", "child_ids": ["zoe"]},
        {"type": "add_child_words", "child_id": "zoe", "house": "dreams", "words": "A dog"},
        {"type": "record_decision", "child_id": "zoe", "base_version": 0, "outcome": "no_plan"},
        {"type": "clear_decision", "child_id": "zoe", "base_version": 1},
        {"type": "set_decision_view", "child_id": "zoe", "base_version": 0, "agreement": "agree"},
        {"type": "add_decision_note", "child_id": "zoe", "kind": "dissent", "who": "School"},
    ],
    ids=lambda op: op["type"],
)
def test_naming_a_child_who_is_not_in_the_meeting_is_refused(op: OpDict) -> None:
    room = _room_with_child()
    room.refuses(CHAIR, op, "child_not_found")


def test_cards_name_the_children_they_concern_and_an_edit_can_change_them() -> None:
    room = _room_with_child()
    room.do(CHAIR, AddChild(child_id="ben", name="Ben", age=3))
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_card",
            "card_id": "c",
            "column": "worries",
            "kind": "harm",
            "text": "No food",
            "child_ids": ["amy"],
        },
    )
    room.do(SOCIAL_WORKER, {"type": "edit_card", "card_id": "c", "base_version": 1, "child_ids": ["amy", "ben"]})
    found = room.state.find("c")
    assert found is not None
    assert (found[2].child_ids, found[2].text, found[2].version) == (("amy", "ben"), "No food", 2)
    room.refuses(
        SOCIAL_WORKER, {"type": "edit_card", "card_id": "c", "base_version": 2, "child_ids": ["x"]}, "child_not_found"
    )
