"""Deleting a card: it is gone from the board, and only if the deleter saw its latest words."""

from __future__ import annotations

import pytest

from app.domain.board import Column
from app.domain.errors import CardNotFound, MeetingReadOnly
from app.domain.operations import DeleteCard, EditCard

from ._support import CHAIR, MUM, SOCIAL_WORKER, Room


def test_deleted_card_disappears_and_the_rest_close_up() -> None:
    room = Room()
    room.add(CHAIR, "a")
    doomed = room.add(CHAIR, "b")
    room.add(CHAIR, "c")
    applied = room.do(SOCIAL_WORKER, DeleteCard(card_id=doomed.id, base_version=1))
    assert room.texts(Column.worries) == ["a", "c"]
    assert room.state.find(doomed.id) is None
    assert applied.card is None
    assert applied.card_id == doomed.id
    assert room.state.seq == 4


def test_delete_of_an_edited_card_needs_the_edited_version() -> None:
    room = Room()
    card = room.add(CHAIR, "a")
    room.do(CHAIR, EditCard(card_id=card.id, base_version=1, text="a2"))
    room.do(CHAIR, DeleteCard(card_id=card.id, base_version=2))
    assert room.state.cards() == []


def test_deleting_twice_is_refused_the_second_time() -> None:
    room = Room()
    card = room.add(CHAIR, "a")
    room.do(CHAIR, DeleteCard(card_id=card.id, base_version=1))
    before = room.state
    with pytest.raises(CardNotFound) as refused:
        room.do(SOCIAL_WORKER, DeleteCard(card_id=card.id, base_version=1))
    assert refused.value.code == "card_not_found"
    assert room.state == before


def test_delete_in_one_column_leaves_the_others() -> None:
    room = Room()
    room.add(CHAIR, "worry")
    strength = room.add(CHAIR, "strength", Column.working_well)
    room.add(CHAIR, "step", Column.needs_to_happen)
    room.do(CHAIR, DeleteCard(card_id=strength.id, base_version=1))
    assert room.texts(Column.worries) == ["worry"]
    assert room.texts(Column.working_well) == []
    assert room.texts(Column.needs_to_happen) == ["step"]


def test_family_withdraws_their_own_card() -> None:
    room = Room()
    mine = room.add(MUM, "I said something I regret", Column.working_well)
    room.do(MUM, DeleteCard(card_id=mine.id, base_version=1))
    assert room.texts(Column.working_well) == []


def test_delete_after_finalising_is_refused() -> None:
    room = Room()
    card = room.add(CHAIR, "on the record")
    room.state = room.state.model_copy(update={"read_only": True})
    with pytest.raises(MeetingReadOnly):
        room.do(CHAIR, DeleteCard(card_id=card.id, base_version=1))
    assert room.texts(Column.worries) == ["on the record"]
