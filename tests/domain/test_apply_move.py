"""Moving a card: it leaves one place and shows up at another, words intact."""

from __future__ import annotations

import pytest

from app.domain.board import CardKind, Column
from app.domain.errors import CardNotFound, InvalidOperation, MeetingReadOnly
from app.domain.operations import EditCard, MoveCard

from ._support import CHAIR, MUM, SOCIAL_WORKER, Room


def _three(room: Room, column: Column = Column.worries) -> list[str]:
    return [room.add(CHAIR, text, column, card_id=f"{column.value}-{text}").id for text in "abc"]


@pytest.mark.parametrize(
    ("source", "position", "expected"),
    [
        (0, 2, ["b", "c", "a"]),
        (0, 1, ["b", "a", "c"]),
        (2, 0, ["c", "a", "b"]),
        (1, 1, ["a", "b", "c"]),
        (0, 99, ["b", "c", "a"]),
        (2, 2, ["a", "b", "c"]),
    ],
)
def test_reorder_within_a_column(source: int, position: int, expected: list[str]) -> None:
    room = Room()
    ids = _three(room)
    applied = room.do(SOCIAL_WORKER, MoveCard(card_id=ids[source], column=Column.worries, position=position))
    assert room.texts(Column.worries) == expected
    assert isinstance(applied.op, MoveCard)
    assert applied.op.position == expected.index("abc"[source]), "the log records the landing index"


def test_move_to_another_column_keeps_words_author_and_version() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Not sure who looks after him at night", kind=CardKind.grey_area)
    room.add(CHAIR, "step 1", Column.needs_to_happen)
    room.add(CHAIR, "step 2", Column.needs_to_happen)

    applied = room.do(CHAIR, MoveCard(card_id=card.id, column=Column.needs_to_happen, position=1))

    assert room.texts(Column.worries) == []
    assert room.texts(Column.needs_to_happen) == ["step 1", "Not sure who looks after him at night", "step 2"]
    moved = room.card(card.id)
    assert moved == applied.card
    assert moved.column is Column.needs_to_happen
    assert moved.kind is CardKind.grey_area
    assert moved.author_id == "sw-1"
    assert moved.version == 1, "a move that keeps the kind does not make anyone's edit stale"
    assert room.state.seq == 4


def test_move_to_a_column_where_the_kind_does_not_belong_is_refused() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Bruise seen")  # harm
    before = room.state
    with pytest.raises(InvalidOperation) as refused:
        room.do(CHAIR, MoveCard(card_id=card.id, column=Column.working_well, position=0))
    assert refused.value.code == "invalid_operation"
    assert "harm" in refused.value.message and "working_well" in refused.value.message
    assert room.state == before


def test_move_with_a_new_kind_that_fits_the_target_column() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Gran picks him up from school", Column.worries, kind=CardKind.complicating_factor)
    applied = room.do(CHAIR, MoveCard(card_id=card.id, column=Column.working_well, position=0, kind=CardKind.strength))
    moved = room.card(card.id)
    assert room.texts(Column.working_well) == ["Gran picks him up from school"]
    assert moved.kind is CardKind.strength
    assert moved.version == 2, "changing the kind is a change to the card's words"
    assert isinstance(applied.op, MoveCard) and applied.op.kind is CardKind.strength


def test_move_with_a_kind_that_fits_neither_is_refused() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "x")
    with pytest.raises(InvalidOperation):
        room.do(CHAIR, MoveCard(card_id=card.id, column=Column.working_well, position=0, kind=CardKind.next_step))
    assert room.card(card.id).column is Column.worries


def test_move_naming_the_same_kind_does_not_bump_version() -> None:
    room = Room()
    card = room.add(CHAIR, "x")
    applied = room.do(CHAIR, MoveCard(card_id=card.id, column=Column.worries, position=0, kind=CardKind.harm))
    assert room.card(card.id).version == 1
    assert isinstance(applied.op, MoveCard) and applied.op.kind is CardKind.harm


def test_logged_move_names_the_kind_even_when_the_client_did_not() -> None:
    room = Room()
    card = room.add(CHAIR, "x", kind=CardKind.grey_area)
    applied = room.do(CHAIR, MoveCard(card_id=card.id, column=Column.working_well, position=0))
    assert isinstance(applied.op, MoveCard)
    assert applied.op.kind is CardKind.grey_area


def test_move_then_edit_based_on_the_pre_move_version_is_accepted() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "draft", kind=CardKind.grey_area)
    room.do(CHAIR, MoveCard(card_id=card.id, column=Column.needs_to_happen, position=0))
    room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="agreed wording"))
    assert room.texts(Column.needs_to_happen) == ["agreed wording"]
    assert room.card(card.id).version == 2


def test_move_of_a_missing_card_is_refused() -> None:
    room = Room()
    with pytest.raises(CardNotFound):
        room.do(CHAIR, MoveCard(card_id="gone", column=Column.worries, position=0))


def test_move_after_finalising_is_refused() -> None:
    room = Room()
    card = room.add(CHAIR, "x")
    room.state = room.state.model_copy(update={"read_only": True})
    with pytest.raises(MeetingReadOnly):
        room.do(CHAIR, MoveCard(card_id=card.id, column=Column.worries, position=0))


def test_family_moves_their_own_card() -> None:
    room = Room()
    other = room.add(CHAIR, "first", Column.working_well)
    mine = room.add(MUM, "We go to the park", Column.working_well)
    room.do(MUM, MoveCard(card_id=mine.id, column=Column.working_well, position=0))
    assert room.texts(Column.working_well) == ["We go to the park", "first"]
    assert room.card(other.id).version == 1


def test_move_leaves_the_other_columns_and_cards_alone() -> None:
    room = Room()
    ids = _three(room)
    strengths = _three(room, Column.working_well)
    room.do(CHAIR, MoveCard(card_id=ids[1], column=Column.worries, position=0))
    assert [c.id for c in room.state.columns[Column.working_well]] == strengths
    assert [c.version for c in room.state.cards()] == [1] * 6
