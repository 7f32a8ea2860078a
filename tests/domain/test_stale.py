"""Two people change the same card: the late one is refused with the current card, never silently lost."""

from __future__ import annotations

import pytest

from app.domain.board import CardKind, Column
from app.domain.errors import InvalidOperation, StaleVersion
from app.domain.operations import DeleteCard, EditCard, MoveCard

from ._support import CHAIR, MUM, SOCIAL_WORKER, TEACHER, Room


def test_second_edit_on_the_same_version_is_refused_with_the_current_card() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Dad shouted")
    room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="Dad shouted at him on 4 May"))
    before = room.state

    with pytest.raises(StaleVersion) as refused:
        room.do(TEACHER, EditCard(card_id=card.id, base_version=1, text="Dad shouted at school gate"))

    assert refused.value.code == "stale_version"
    assert "current version" in refused.value.message
    current = refused.value.current
    assert current.text == "Dad shouted at him on 4 May"
    assert current.version == 2
    assert current == room.card(card.id)
    assert room.state == before


def test_delete_based_on_an_old_version_is_refused_with_the_current_card() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "original")
    room.do(TEACHER, EditCard(card_id=card.id, base_version=1, text="improved"))
    with pytest.raises(StaleVersion) as refused:
        room.do(CHAIR, DeleteCard(card_id=card.id, base_version=1))
    assert refused.value.current.text == "improved"
    assert room.texts(Column.worries) == ["improved"], "a card someone just improved is not thrown away"


def test_a_version_from_the_future_is_also_refused() -> None:
    room = Room()
    card = room.add(CHAIR, "x")
    with pytest.raises(StaleVersion) as refused:
        room.do(CHAIR, EditCard(card_id=card.id, base_version=5, text="y"))
    assert refused.value.current.version == 1
    with pytest.raises(StaleVersion):
        room.do(CHAIR, DeleteCard(card_id=card.id, base_version=2))


def test_retrying_with_the_current_version_succeeds() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "a")
    room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="b"))
    with pytest.raises(StaleVersion) as refused:
        room.do(TEACHER, EditCard(card_id=card.id, base_version=1, text="c"))
    room.do(TEACHER, EditCard(card_id=card.id, base_version=refused.value.current.version, text="b and c"))
    assert room.texts(Column.worries) == ["b and c"]
    assert room.card(card.id).version == 3


def test_kind_only_edit_makes_a_text_edit_stale() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "a")
    room.do(CHAIR, EditCard(card_id=card.id, base_version=1, kind=CardKind.grey_area))
    with pytest.raises(StaleVersion) as refused:
        room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="b"))
    assert refused.value.current.kind is CardKind.grey_area


def test_a_plain_move_does_not_make_an_edit_stale() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "x", kind=CardKind.grey_area)
    room.add(CHAIR, "other")
    room.do(CHAIR, MoveCard(card_id=card.id, column=Column.worries, position=1))
    room.do(CHAIR, MoveCard(card_id=card.id, column=Column.needs_to_happen, position=0))
    assert room.card(card.id).version == 1
    room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="x, reworded"))
    assert room.texts(Column.needs_to_happen) == ["x, reworded"]


def test_a_plain_move_does_not_make_a_delete_stale() -> None:
    room = Room()
    card = room.add(MUM, "mine", Column.working_well)
    room.do(CHAIR, MoveCard(card_id=card.id, column=Column.working_well, position=0))
    room.do(MUM, DeleteCard(card_id=card.id, base_version=1))
    assert room.state.cards() == []


def test_a_move_that_changes_the_kind_makes_an_edit_stale() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Gran helps", kind=CardKind.complicating_factor)
    room.do(
        CHAIR,
        MoveCard(card_id=card.id, column=Column.working_well, position=0, kind=CardKind.existing_safety),
    )
    with pytest.raises(StaleVersion) as refused:
        room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="Gran helps every day"))
    assert refused.value.current.kind is CardKind.existing_safety
    assert refused.value.current.column is Column.working_well
    assert refused.value.current.version == 2


def test_a_stale_edit_reports_staleness_before_a_wrong_kind() -> None:
    """The user sees the current card first; only an edit that changes nothing is refused before that."""
    room = Room()
    card = room.add(CHAIR, "x")
    room.do(CHAIR, EditCard(card_id=card.id, base_version=1, text="y"))
    with pytest.raises(StaleVersion):
        room.do(CHAIR, EditCard(card_id=card.id, base_version=1, kind=CardKind.strength))
    with pytest.raises(InvalidOperation):
        room.do(CHAIR, EditCard(card_id=card.id, base_version=1))
