"""What a card may hold: trimmed, non-empty, at most 1000 characters, and a kind that fits its column."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.board import CARD_TEXT_MAX, KINDS_BY_COLUMN, CardKind, Column, default_kind
from app.domain.errors import InvalidOperation
from app.domain.operations import AddCard, DeleteCard, EditCard, MoveCard, operation_adapter

from ._support import CHAIR, SOCIAL_WORKER, Room


def _add(text: str, **extra: object) -> dict[str, object]:
    return {"type": "add_card", "column": "worries", "kind": "harm", "text": text, **extra}


def _field_errors(exc: ValidationError) -> list[tuple[str, ...]]:
    return [tuple(str(p) for p in error["loc"]) for error in exc.errors()]


def test_text_is_stripped_before_it_reaches_the_board() -> None:
    op = operation_adapter.validate_python(_add("  \n Bruise seen \t "))
    room = Room()
    room.do(CHAIR, op)
    assert room.texts(Column.worries) == ["Bruise seen"]


def test_edit_text_is_stripped_too() -> None:
    room = Room()
    card = room.add(CHAIR, "x")
    op = operation_adapter.validate_python(
        {"type": "edit_card", "card_id": card.id, "base_version": 1, "text": "  new words  "}
    )
    room.do(CHAIR, op)
    assert room.texts(Column.worries) == ["new words"]


@pytest.mark.parametrize("text", ["", " ", "\n\t  "])
def test_empty_text_is_refused_on_add(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        operation_adapter.validate_python(_add(text))
    assert any(loc[-1] == "text" for loc in _field_errors(refused.value))
    assert refused.value.errors()[0]["type"] == "string_too_short"


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_refused_on_edit(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        operation_adapter.validate_python({"type": "edit_card", "card_id": "c1", "base_version": 1, "text": text})
    assert refused.value.errors()[0]["type"] == "string_too_short"


def test_a_full_thousand_characters_fit_on_a_card() -> None:
    assert CARD_TEXT_MAX == 1000
    text = "x" * 1000
    op = operation_adapter.validate_python(_add(text))
    room = Room()
    room.do(CHAIR, op)
    assert room.texts(Column.worries) == [text]


def test_surrounding_spaces_are_trimmed_and_counted_as_sent() -> None:
    op = operation_adapter.validate_python(_add("  " + "x" * 996 + "  "))
    assert isinstance(op, AddCard) and op.text == "x" * 996
    # The JSON Schema's maxLength is what a client checks: text as sent over it is refused, spaces or not.
    with pytest.raises(ValidationError) as refused:
        operation_adapter.validate_python(_add(" " + "x" * 1000))
    assert refused.value.errors()[0]["type"] == "string_too_long"


@pytest.mark.parametrize("op_type", ["add_card", "edit_card"])
def test_one_thousand_and_one_characters_are_refused(op_type: str) -> None:
    payload = (
        _add("x" * 1001)
        if op_type == "add_card"
        else {"type": "edit_card", "card_id": "c1", "base_version": 1, "text": "x" * 1001}
    )
    with pytest.raises(ValidationError) as refused:
        operation_adapter.validate_python(payload)
    error = refused.value.errors()[0]
    assert error["type"] == "string_too_long"
    assert error["loc"][-1] == "text"
    assert "1000" in error["msg"]


def test_the_limit_counts_characters_not_bytes() -> None:
    text = "é" * 1000  # 2000 bytes in UTF-8
    op = operation_adapter.validate_json(f'{{"type":"add_card","column":"worries","kind":"harm","text":"{text}"}}')
    assert isinstance(op, AddCard) and op.text == text


def test_json_from_the_wire_parses_into_the_right_operation() -> None:
    assert isinstance(
        operation_adapter.validate_json('{"type":"move_card","card_id":"c1","column":"worries","position":0}'),
        MoveCard,
    )
    assert isinstance(
        operation_adapter.validate_json('{"type":"delete_card","card_id":"c1","base_version":3}'), DeleteCard
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (_add("x", column="maybe"), "column"),
        (_add("x", kind="danger"), "kind"),
        (_add("x", position=-1), "position"),
        (_add("x", card_id="has space"), "card_id"),
        (_add("x", card_id="a" * 65), "card_id"),
        (_add("x", author_id="someone-else"), "author_id"),
        ({"type": "edit_card", "card_id": "c1", "base_version": 0, "text": "x"}, "base_version"),
        ({"type": "delete_card", "card_id": "c1"}, "base_version"),
        ({"type": "move_card", "card_id": "c1", "column": "worries", "position": -1}, "position"),
    ],
)
def test_malformed_operations_are_refused_at_the_door(payload: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        operation_adapter.validate_python(payload)
    assert any(field in loc for loc in _field_errors(refused.value)), refused.value.errors()


def test_an_unknown_operation_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError) as refused:
        operation_adapter.validate_python({"type": "rename_card", "card_id": "c1"})
    error = refused.value.errors()[0]
    assert error["type"] == "union_tag_invalid"
    assert "add_card" in error["msg"] and "delete_card" in error["msg"]


def test_an_operation_cannot_claim_someone_elses_authorship() -> None:
    """The author comes from the connection, never from the message (extra fields are forbidden)."""
    with pytest.raises(ValidationError) as refused:
        operation_adapter.validate_python(_add("x", author_id="sw-1"))
    assert refused.value.errors()[0]["type"] == "extra_forbidden"


def test_kinds_by_column_match_the_design() -> None:
    expected = {
        Column.worries: (CardKind.harm, CardKind.complicating_factor, CardKind.grey_area),
        Column.working_well: (CardKind.strength, CardKind.existing_safety, CardKind.grey_area),
        Column.needs_to_happen: (CardKind.safety_goal, CardKind.next_step, CardKind.grey_area),
    }
    assert expected == KINDS_BY_COLUMN
    every_kind = {kind for kinds in KINDS_BY_COLUMN.values() for kind in kinds}
    assert every_kind == set(CardKind), "every kind has a home column"
    assert [default_kind(c) for c in Column] == [CardKind.harm, CardKind.strength, CardKind.safety_goal]


ALLOWED = [(column, kind) for column in Column for kind in KINDS_BY_COLUMN[column]]
REFUSED = [(column, kind) for column in Column for kind in CardKind if kind not in KINDS_BY_COLUMN[column]]


@pytest.mark.parametrize(("column", "kind"), ALLOWED)
def test_a_kind_that_belongs_is_accepted_on_add(column: Column, kind: CardKind) -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "words", column, kind=kind)
    assert room.state.columns[column] == (card,)


@pytest.mark.parametrize(("column", "kind"), REFUSED)
def test_a_kind_from_another_column_is_refused_on_add(column: Column, kind: CardKind) -> None:
    room = Room()
    with pytest.raises(InvalidOperation) as refused:
        room.do(SOCIAL_WORKER, AddCard(column=column, kind=kind, text="words"))
    assert refused.value.code == "invalid_operation"
    assert refused.value.message.startswith(f"A {kind.value} card does not belong in {column.value}")
    assert room.state.cards() == []


@pytest.mark.parametrize("column", list(Column))
def test_grey_area_goes_anywhere_and_moves_anywhere(column: Column) -> None:
    room = Room()
    card = room.add(CHAIR, "we disagree about this", column, kind=CardKind.grey_area)
    for target in Column:
        room.do(CHAIR, MoveCard(card_id=card.id, column=target, position=0))
        assert room.card(card.id).column is target
        assert room.texts(target) == ["we disagree about this"]


def test_edit_to_grey_area_is_allowed_in_every_column() -> None:
    room = Room()
    for column in Column:
        card = room.add(CHAIR, "x", column)
        room.do(CHAIR, EditCard(card_id=card.id, base_version=1, kind=CardKind.grey_area))
        assert room.card(card.id).kind is CardKind.grey_area
