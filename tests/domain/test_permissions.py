"""The role x operation table, enforced on the server: who may change which cards."""

from __future__ import annotations

import pytest

from app.domain.board import CardKind, Column
from app.domain.errors import CardNotFound, PermissionDenied
from app.domain.operations import Actor, AddCard, DeleteCard, EditCard, MoveCard
from app.domain.roles import PERMISSIONS, OpType, Role, Scope, can_write, scope_for

from ._support import CHAIR, GRAN, MINUTES, MUM, PROJECTOR, SOCIAL_WORKER, TEACHER, Op, Room

READ_ONLY = [PROJECTOR, MINUTES]
FULL = [CHAIR, SOCIAL_WORKER]


def _ops_on(card_id: str) -> list[Op]:
    return [
        AddCard(column=Column.worries, kind=CardKind.harm, text="new words"),
        EditCard(card_id=card_id, base_version=1, text="changed"),
        MoveCard(card_id=card_id, column=Column.worries, position=0),
        DeleteCard(card_id=card_id, base_version=1),
    ]


def _board_with_cards_by_everyone() -> tuple[Room, dict[str, str]]:
    room = Room()
    owners = {}
    for actor in [CHAIR, SOCIAL_WORKER, MUM]:
        card = room.add(actor, f"written by {actor.participant_id}", Column.worries, kind=CardKind.grey_area)
        owners[actor.participant_id] = card.id
    return room, owners


def test_the_table_covers_every_role_and_every_operation() -> None:
    assert set(PERMISSIONS) == set(Role)
    for role in Role:
        assert set(PERMISSIONS[role]) == set(OpType)


def test_table_rows_match_the_design() -> None:
    assert all(scope_for(Role.chair, op) is Scope.any for op in OpType)
    for op in (OpType.add_card, OpType.edit_card, OpType.move_card, OpType.delete_card):
        assert scope_for(Role.professional, op) is Scope.any
    for role in (Role.projector, Role.observer):
        assert all(scope_for(role, op) is Scope.none for op in OpType)
    assert scope_for(Role.family, OpType.add_card) is Scope.any
    for op in (OpType.edit_card, OpType.move_card, OpType.delete_card):
        assert scope_for(Role.family, op) is Scope.own


def test_can_write_is_false_only_for_screens_that_just_watch() -> None:
    assert {role for role in Role if not can_write(role)} == {Role.projector, Role.observer}


def test_every_card_operation_type_has_a_matching_model() -> None:
    assert {OpType(op.type) for op in _ops_on("x")} == {
        OpType.add_card,
        OpType.edit_card,
        OpType.move_card,
        OpType.delete_card,
    }


@pytest.mark.parametrize("actor", READ_ONLY, ids=lambda a: a.role.value)
@pytest.mark.parametrize("op_index", range(4), ids=["add", "edit", "move", "delete"])
def test_projector_and_observer_change_nothing(actor: Actor, op_index: int) -> None:
    room, owners = _board_with_cards_by_everyone()
    # Even a card the watcher "owns" (same participant id as its author) stays out of reach.
    own = room.add(CHAIR, "x", card_id="watched")
    room.state = room.state.model_copy(
        update={
            "columns": {
                **room.state.columns,
                Column.worries: tuple(
                    c.model_copy(update={"author_id": actor.participant_id}) if c.id == own.id else c
                    for c in room.state.columns[Column.worries]
                ),
            }
        }
    )
    before = room.state
    for card_id in [*owners.values(), own.id, "missing"]:
        op = _ops_on(card_id)[op_index]
        with pytest.raises(PermissionDenied) as refused:
            room.do(actor, op)
        assert refused.value.code == "forbidden"
        assert actor.role.value in refused.value.message
        assert room.state == before


@pytest.mark.parametrize("actor", FULL, ids=lambda a: a.role.value)
@pytest.mark.parametrize("owner", ["chair-1", "sw-1", "mum-1"])
@pytest.mark.parametrize("op_index", range(4), ids=["add", "edit", "move", "delete"])
def test_chair_and_professional_may_do_anything_to_anyones_card(actor: Actor, owner: str, op_index: int) -> None:
    room, owners = _board_with_cards_by_everyone()
    op = _ops_on(owners[owner])[op_index]
    applied = room.do(actor, op)
    assert room.state == applied.state
    assert room.state.seq == 4


def test_a_second_professional_edits_a_colleagues_card() -> None:
    room = Room()
    card = room.add(SOCIAL_WORKER, "Home conditions poor")
    room.do(TEACHER, EditCard(card_id=card.id, base_version=1, text="Kitchen had no food on 2 visits"))
    assert room.texts(Column.worries) == ["Kitchen had no food on 2 visits"]


@pytest.mark.parametrize("column", list(Column))
def test_family_adds_in_every_column(column: Column) -> None:
    room = Room()
    card = room.add(MUM, "In my own words", column)
    assert room.texts(column) == ["In my own words"]
    assert card.author_id == "mum-1"


@pytest.mark.parametrize("op_index", [1, 2, 3], ids=["edit", "move", "delete"])
def test_family_changes_their_own_cards(op_index: int) -> None:
    room, owners = _board_with_cards_by_everyone()
    room.do(MUM, _ops_on(owners["mum-1"])[op_index])
    assert room.state.seq == 4


@pytest.mark.parametrize("owner", ["chair-1", "sw-1"])
@pytest.mark.parametrize(("op_index", "verb"), [(1, "edit"), (2, "move"), (3, "delete")])
def test_family_cannot_change_what_a_professional_wrote(owner: str, op_index: int, verb: str) -> None:
    room, owners = _board_with_cards_by_everyone()
    before = room.state
    with pytest.raises(PermissionDenied) as refused:
        room.do(MUM, _ops_on(owners[owner])[op_index])
    assert refused.value.code == "forbidden"
    assert refused.value.message == f"You can only {verb} cards you wrote yourself."
    assert room.state == before


@pytest.mark.parametrize("op_index", [1, 2, 3], ids=["edit", "move", "delete"])
def test_one_family_member_cannot_change_anothers_card(op_index: int) -> None:
    room, owners = _board_with_cards_by_everyone()
    with pytest.raises(PermissionDenied):
        room.do(GRAN, _ops_on(owners["mum-1"])[op_index])
    assert room.card(owners["mum-1"]).text == "written by mum-1"


def test_family_card_edited_by_a_professional_still_belongs_to_the_family() -> None:
    room = Room()
    card = room.add(MUM, "He likes school", Column.working_well)
    room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="He likes school and his teacher"))
    room.do(MUM, EditCard(card_id=card.id, base_version=2, text="He loves school"))
    assert room.texts(Column.working_well) == ["He loves school"]


def test_family_touching_a_missing_card_is_told_it_is_gone() -> None:
    room = Room()
    with pytest.raises(CardNotFound):
        room.do(MUM, EditCard(card_id="gone", base_version=1, text="x"))


def test_permission_is_checked_before_the_version() -> None:
    """A family member with an old view of a professional's card is told they may not edit it at all."""
    room = Room()
    card = room.add(SOCIAL_WORKER, "v1")
    room.do(SOCIAL_WORKER, EditCard(card_id=card.id, base_version=1, text="v2"))
    with pytest.raises(PermissionDenied):
        room.do(MUM, EditCard(card_id=card.id, base_version=1, text="mine"))
