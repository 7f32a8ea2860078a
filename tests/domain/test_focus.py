"""Focus: the chair points every screen that follows them at one item. A focus on an item kept from the family
is kept from the family with it, follows the item when it is restricted or shown, and clears when it goes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.focus import Focus, FocusChange, SetFocus
from app.domain.roles import Role
from app.domain.visibility import Viewer, meeting_for
from tests.support.conference_ops import ConferenceRoom, MeetingFixture, fixture_room

from ._support import CHAIR, MUM, SOCIAL_WORKER, said

F = MeetingFixture()

TARGETS = [
    ("card", F.cards["family"]),
    ("statement", F.statements["professional"]),
    ("round", F.round),
    ("step", F.steps["chair"]),
    ("network_member", F.network["professional"]),
    ("decision", F.child),
    ("voice", F.voices["chair"]),
    ("child", F.spare_child),
    ("attendee", F.attendee),
]


@pytest.mark.parametrize(("entity", "item_id"), TARGETS, ids=[t[0] for t in TARGETS])
def test_the_chair_points_everyone_at_an_item(entity: str, item_id: str) -> None:
    room = fixture_room(F)
    applied = room.do(CHAIR, SetFocus.model_validate({"entity": entity, "item_id": item_id}))
    assert room.state.focus == Focus.model_validate({"entity": entity, "item_id": item_id})
    assert said(applied.changes) == said((FocusChange(value=room.state.focus),))


def test_the_chair_clears_the_focus() -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetFocus(entity="round", item_id=F.round))
    applied = room.do(CHAIR, SetFocus())
    assert room.state.focus is None and said(applied.changes) == said((FocusChange(value=None),))


@pytest.mark.parametrize("entity", [t[0] for t in TARGETS])
def test_a_focus_on_an_item_that_is_not_there_is_refused(entity: str) -> None:
    room = fixture_room(F)
    room.refuses(CHAIR, SetFocus.model_validate({"entity": entity, "item_id": "gone"}), "item_not_found")


def test_a_focus_names_both_the_kind_of_item_and_the_item() -> None:
    with pytest.raises(ValidationError):
        SetFocus(entity="card")
    with pytest.raises(ValidationError):
        SetFocus(item_id="x")


def test_the_focus_follows_its_item_into_a_restriction_and_out_of_it() -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetFocus(entity="statement", item_id=F.statements["professional"]))
    applied = room.do(
        CHAIR,
        {"type": "set_restricted", "entity": "statement", "item_id": F.statements["professional"], "restricted": True},
    )
    assert room.state.focus == Focus(entity="statement", item_id=F.statements["professional"], restricted=True)
    assert applied.changes[-1] == FocusChange(value=room.state.focus), "screens learn the focus is now restricted"
    assert meeting_for(room.state, Viewer("mum-1", Role.family)).focus is None
    assert meeting_for(room.state, Viewer("projector-1", Role.projector)).focus is None
    assert meeting_for(room.state, Viewer("sw-1", Role.professional)).focus == room.state.focus

    room.do(
        CHAIR,
        {"type": "set_restricted", "entity": "statement", "item_id": F.statements["professional"], "restricted": False},
    )
    assert room.state.focus == Focus(entity="statement", item_id=F.statements["professional"])
    assert meeting_for(room.state, Viewer("mum-1", Role.family)).focus == room.state.focus


def test_a_focus_on_an_item_already_kept_from_the_family_is_restricted() -> None:
    room = fixture_room(F)
    room.do(
        SOCIAL_WORKER,
        {"type": "add_child_words", "voice_id": "secret", "child_id": F.child, "house": "worries", "words": "x"},
    )
    room.do(CHAIR, SetFocus(entity="voice", item_id="secret"))
    assert room.state.focus == Focus(entity="voice", item_id="secret", restricted=True)


def test_the_focus_clears_when_its_item_goes() -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetFocus(entity="card", item_id=F.cards["family"]))
    applied = room.do(MUM, {"type": "delete_card", "card_id": F.cards["family"], "base_version": 1})
    assert room.state.focus is None
    assert applied.changes[-1] == FocusChange(value=None)


def test_other_operations_leave_the_focus_alone_and_say_nothing_about_it() -> None:
    room = fixture_room(F)
    room.do(CHAIR, SetFocus(entity="card", item_id=F.cards["family"]))
    focus = room.state.focus
    applied = room.do(MUM, {"type": "edit_card", "card_id": F.cards["family"], "base_version": 1, "text": "New"})
    assert room.state.focus == focus
    assert not any(isinstance(change, FocusChange) for change in applied.changes)


def test_a_meeting_without_focus_stays_without() -> None:
    room = ConferenceRoom()
    room.do(SOCIAL_WORKER, {"type": "add_card", "column": "worries", "kind": "harm", "text": "x"})
    assert room.state.focus is None
    assert len(room.applied[-1].changes) == 1
