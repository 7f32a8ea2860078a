"""Editing a card: new words or a new kind replace the old ones in place, and the version goes up by one."""

from __future__ import annotations

import pytest

from app.domain.board import CardKind, Column
from app.domain.errors import CardNotFound, InvalidOperation, MeetingReadOnly
from app.domain.operations import EditCard
from app.domain.state import BoardState

from ._support import CHAIR, MUM, SOCIAL_WORKER, TEACHER, Room


def test_edit_replaces_text_in_place_and_bumps_version() -> None:
    room = Room()
    room.add(CHAIR, "above")
    card = room.add(SOCIAL_WORKER, "Bruise seen")
    room.add(CHAIR, "below")

    applied = room.do(TEACHER, EditCard(card_id=card.id, base_version=1, text="Bruise seen on left arm, 3 May"))

    assert room.texts(Column.worries) == ["above", "Bruise seen on left arm, 3 May", "below"]
    edited = room.card(card.id)
    assert edited == applied.card
    assert edited.version == 2
    assert edited.kind is CardKind.harm, "a text-only edit keeps the kind"
    assert edited.author_id == "sw-1", "the author stays whoever wrote the card first"
    assert applied.card_id == card.id
    assert room.state.seq == 4


def test_edit_changes_kind_only_and_keeps_text() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Dad drinks at weekends")
    room.do(CHAIR, EditCard(card_id=card.id, base_version=1, kind=CardKind.complicating_factor))
    edited = room.card(card.id)
    assert edited.text == "Dad drinks at weekends"
    assert edited.kind is CardKind.complicating_factor
    assert edited.version == 2


def test_edit_changes_text_and_kind_together() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Mum says she is fine")
    room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="Unclear", kind=CardKind.grey_area))
    edited = room.card(card.id)
    assert (edited.text, edited.kind, edited.version) == ("Unclear", CardKind.grey_area, 2)


def test_successive_edits_each_bump_version() -> None:
    room = Room()
    card = room.add(CHAIR, "v1")
    for version in range(1, 5):
        room.do(CHAIR, EditCard(card_id=card.id, base_version=version, text=f"v{version + 1}"))
    assert room.card(card.id).text == "v5"
    assert room.card(card.id).version == 5


def test_edit_with_neither_text_nor_kind_is_refused() -> None:
    room = Room()
    card = room.add(CHAIR, "stay")
    before = room.state
    with pytest.raises(InvalidOperation) as refused:
        room.do(CHAIR, EditCard(card_id=card.id, base_version=1))
    assert refused.value.code == "invalid_operation"
    assert "text" in refused.value.message and "kind" in refused.value.message
    assert room.state == before


def test_edit_to_a_kind_from_another_column_is_refused_with_the_allowed_kinds() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Mum keeps appointments", Column.working_well)
    before = room.state
    with pytest.raises(InvalidOperation) as refused:
        room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, kind=CardKind.harm))
    message = refused.value.message
    assert "harm" in message and "working_well" in message
    assert "strength" in message and "existing_safety" in message and "grey_area" in message
    assert room.state == before
    assert room.card(card.id).version == 1


def test_edit_of_a_missing_card_is_refused() -> None:
    room = Room()
    with pytest.raises(CardNotFound) as refused:
        room.do(CHAIR, EditCard(card_id="nope", base_version=1, text="x"))
    assert refused.value.code == "card_not_found"
    assert refused.value.message == "That card is no longer on the board."


def test_edit_after_finalising_is_refused() -> None:
    room = Room()
    card = room.add(CHAIR, "final words")
    room.state = room.state.model_copy(update={"read_only": True})
    with pytest.raises(MeetingReadOnly):
        room.do(CHAIR, EditCard(card_id=card.id, base_version=1, text="rewrite"))
    assert room.card(card.id).text == "final words"


def test_family_edits_their_own_card() -> None:
    room = Room()
    card = room.add(MUM, "I take him to football", Column.working_well)
    room.do(MUM, EditCard(card_id=card.id, base_version=1, text="I take him to football every Saturday"))
    assert room.texts(Column.working_well) == ["I take him to football every Saturday"]


def test_edit_leaves_the_input_board_untouched() -> None:
    room = Room()
    card = room.add(CHAIR, "old")
    before: BoardState = room.state
    room.do(CHAIR, EditCard(card_id=card.id, base_version=1, text="new"))
    assert before.columns[Column.worries][0].text == "old"
    assert room.texts(Column.worries) == ["new"]
