"""Adding a card: it appears in the chosen column, at the chosen place, written by whoever added it."""

from __future__ import annotations

import pytest

from app.domain.board import CardKind, Column
from app.domain.errors import CardAlreadyExists, MeetingReadOnly
from app.domain.operations import AddCard, DeleteCard, apply_operation
from app.domain.state import BoardState

from ._support import CHAIR, MUM, SOCIAL_WORKER, Room


def test_added_card_appears_in_its_column_with_author_and_first_version() -> None:
    room = Room()
    applied = room.do(SOCIAL_WORKER, AddCard(column=Column.worries, kind=CardKind.harm, text="Bruise seen on arm"))

    assert room.texts(Column.worries) == ["Bruise seen on arm"]
    assert room.texts(Column.working_well) == []
    assert room.texts(Column.needs_to_happen) == []
    card = room.state.columns[Column.worries][0]
    assert card == applied.card
    assert card.author_id == "sw-1"
    assert card.column is Column.worries
    assert card.kind is CardKind.harm
    assert card.version == 1
    assert room.state.seq == 1


def test_add_does_not_change_the_board_it_was_given() -> None:
    before = BoardState()
    after = apply_operation(
        before,
        AddCard(column=Column.worries, kind=CardKind.harm, text="x"),
        CHAIR,
        new_id="c1",
        seq=1,
    ).state
    assert before.cards() == []
    assert before.seq == 0
    assert [c.id for c in after.cards()] == ["c1"]


def test_server_assigned_id_is_used_when_client_names_none_and_logged() -> None:
    applied = apply_operation(
        BoardState(),
        AddCard(column=Column.working_well, kind=CardKind.strength, text="Mum walks him to school"),
        MUM,
        new_id="srv-42",
        seq=7,
    )
    assert applied.card_id == "srv-42"
    assert applied.card is not None and applied.card.id == "srv-42"
    assert isinstance(applied.op, AddCard)
    assert applied.op.card_id == "srv-42", "the logged add must name its card so a replay rebuilds the same id"
    assert applied.state.seq == 7


def test_client_chosen_id_wins_over_server_id() -> None:
    applied = apply_operation(
        BoardState(),
        AddCard(card_id="client-abc", column=Column.worries, kind=CardKind.harm, text="x"),
        CHAIR,
        new_id="srv-1",
        seq=1,
    )
    assert applied.card_id == "client-abc"
    assert applied.state.find("client-abc") is not None
    assert applied.state.find("srv-1") is None


def test_new_cards_go_last_by_default() -> None:
    room = Room()
    for text in ["first", "second", "third"]:
        room.add(CHAIR, text)
    assert room.texts(Column.worries) == ["first", "second", "third"]
    assert room.state.seq == 3


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (0, ["new", "a", "b", "c"]),
        (1, ["a", "new", "b", "c"]),
        (3, ["a", "b", "c", "new"]),
        (99, ["a", "b", "c", "new"]),
    ],
)
def test_add_at_position_inserts_there_and_clamps_past_the_end(position: int, expected: list[str]) -> None:
    room = Room()
    for text in "abc":
        room.add(CHAIR, text)
    applied = room.do(CHAIR, AddCard(column=Column.worries, kind=CardKind.harm, text="new", position=position))
    assert room.texts(Column.worries) == expected
    assert isinstance(applied.op, AddCard)
    assert applied.op.position == expected.index("new"), "the log records where the card actually landed"


def test_add_into_one_column_leaves_the_others_alone() -> None:
    room = Room()
    room.add(CHAIR, "worry")
    room.add(CHAIR, "strength", Column.working_well)
    room.add(CHAIR, "step", Column.needs_to_happen)
    room.add(MUM, "another strength", Column.working_well, position=0)
    assert room.texts(Column.worries) == ["worry"]
    assert room.texts(Column.working_well) == ["another strength", "strength"]
    assert room.texts(Column.needs_to_happen) == ["step"]


def test_duplicate_card_id_is_refused_and_board_unchanged() -> None:
    room = Room()
    room.add(CHAIR, "original", card_id="dup")
    before = room.state
    with pytest.raises(CardAlreadyExists) as refused:
        room.do(
            SOCIAL_WORKER,
            AddCard(card_id="dup", column=Column.working_well, kind=CardKind.strength, text="x"),
        )
    assert refused.value.code == "card_exists"
    assert room.state == before
    assert room.card("dup").text == "original"


def test_server_id_colliding_with_an_existing_card_is_refused() -> None:
    room = Room()
    room.add(CHAIR, "client named", card_id="srv-2")
    with pytest.raises(CardAlreadyExists):
        room.do(CHAIR, AddCard(column=Column.worries, kind=CardKind.harm, text="x"))  # server offers srv-2


def test_id_of_a_deleted_card_can_be_used_again() -> None:
    room = Room()
    room.add(CHAIR, "gone soon", card_id="c1")
    room.do(CHAIR, DeleteCard(card_id="c1", base_version=1))
    room.add(CHAIR, "back", card_id="c1", column=Column.working_well)
    assert room.card("c1").text == "back"
    assert room.card("c1").column is Column.working_well


def test_nothing_can_be_added_once_the_meeting_is_finalised() -> None:
    state = BoardState(read_only=True)
    with pytest.raises(MeetingReadOnly) as refused:
        apply_operation(
            state,
            AddCard(column=Column.worries, kind=CardKind.harm, text="late"),
            CHAIR,
            new_id="c",
            seq=1,
        )
    assert refused.value.code == "meeting_read_only"
    assert "finalised" in refused.value.message
