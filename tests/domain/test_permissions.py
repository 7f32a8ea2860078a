"""The role x operation table, enforced on the server, tested cell by cell.

Every cell of roles.PERMISSIONS becomes a case: a valid operation of that type, on a meeting where it applies,
sent by someone in that role. It must be accepted exactly when the table says so (`own`: on their own item, and
refused with `forbidden` on anyone else's). The cases come from the table and one builder per operation type
(tests/support/conference_ops.py), so an operation added without a builder fails here.
"""

from __future__ import annotations

import typing

import pytest

from app.domain.errors import PermissionDenied
from app.domain.operations import ROLE_WORDS, Actor, AnyOperation, operation_adapter
from app.domain.roles import PERMISSIONS, OpType, Role, Scope, can_write, scope_for
from tests.support.conference_ops import BUILDERS, Cell, MeetingFixture, case_for, cells, fixture_room

FIXTURE = MeetingFixture()
CELLS = list(cells())


def test_the_table_covers_every_role_and_every_operation() -> None:
    assert set(PERMISSIONS) == set(Role)
    for role in Role:
        assert set(PERMISSIONS[role]) == set(OpType)


def test_every_operation_in_the_protocol_has_a_row_and_a_builder() -> None:
    protocol_types = {
        typing.get_args(model.model_fields["type"].annotation)[0] for model in typing.get_args(AnyOperation)
    }
    assert protocol_types == {op_type.value for op_type in OpType}
    assert set(BUILDERS) == set(OpType), f"no builder for {sorted(set(OpType) - set(BUILDERS))}"


def test_every_builder_makes_a_valid_operation_of_its_type() -> None:
    for op_type in OpType:
        case = case_for(op_type, FIXTURE, "professional")
        assert operation_adapter.validate_python(case.op).type == op_type.value


def test_the_table_says_what_the_design_says() -> None:
    assert all(scope_for(Role.chair, op) is Scope.any for op in OpType), "the chair may do everything"
    for role in (Role.projector, Role.observer):
        assert all(scope_for(role, op) is Scope.none for op in OpType), f"the {role} only watches"
    family = {op for op in OpType if scope_for(Role.family, op) is not Scope.none}
    assert family == {
        OpType.add_card,
        OpType.edit_card,
        OpType.move_card,
        OpType.delete_card,
        OpType.check_in,
        OpType.answer_round,
        OpType.set_family_view,
        OpType.set_decision_view,
    }, "families add their own words, answer scaling, and give their view of a statement and of the decision"
    assert {op for op in OpType if scope_for(Role.family, op) is Scope.own} == {
        OpType.edit_card,
        OpType.move_card,
        OpType.delete_card,
    }, "a family member changes only the cards they wrote"
    running_the_meeting = {
        OpType.set_phase,
        OpType.set_timer,
        OpType.add_attendee,
        OpType.set_attendance,
        OpType.confirm_attendee,
        OpType.open_round,
        OpType.reveal_round,
        OpType.answer_for,
        OpType.record_decision,
        OpType.start_closed_part,
        OpType.end_closed_part,
        OpType.set_restricted,
        OpType.set_focus,
    }
    for op in running_the_meeting:
        assert [role for role in Role if scope_for(role, op) is not Scope.none] == [Role.chair], op


def test_can_write_is_false_only_for_screens_that_just_watch() -> None:
    assert {role for role in Role if not can_write(role)} == {Role.projector, Role.observer}


def test_the_fixture_meeting_builds_and_holds_what_the_cases_need() -> None:
    state = fixture_room(FIXTURE).state
    assert {card.author_id for card in state.cards()} == {"chair-1", "sw-1", "mum-1"}
    assert [child.id for child in state.children] == [FIXTURE.child, FIXTURE.spare_child]
    assert [r.id for r in state.rounds] == [FIXTURE.round] and not state.rounds[0].revealed
    assert not state.closed_part.active
    assert not any(card.restricted for card in state.cards())


def test_every_cell_is_a_case() -> None:
    own_cells = sum(1 for role in Role for op in OpType if scope_for(role, op) is Scope.own)
    assert len(CELLS) == len(Role) * len(OpType) + own_cells
    assert len({cell.id for cell in CELLS}) == len(CELLS)


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.id)
def test_each_cell_of_the_table(cell: Cell) -> None:
    room = fixture_room(FIXTURE)
    case = case_for(cell.op_type, FIXTURE, cell.owner)
    for author, op in case.before:
        room.do(FIXTURE.actor(author), op)
    actor = FIXTURE.actor(cell.role)
    if cell.expected == "accepted":
        applied = room.do(actor, case.op)
        assert applied.op.type == cell.op_type.value
        assert room.state.seq == len(room.log)
    else:
        refused = room.refuses(actor, case.op, "forbidden")
        assert isinstance(refused, PermissionDenied)
        if scope_for(cell.role, cell.op_type) is Scope.none:
            assert refused.message.startswith(f"A {ROLE_WORDS[cell.role]} cannot ")
        else:
            assert refused.message.startswith("You can only ") and refused.message.endswith(" you wrote yourself.")


@pytest.mark.parametrize("op_type", [OpType.edit_card, OpType.move_card, OpType.delete_card])
def test_a_family_member_cannot_change_another_family_members_card(op_type: OpType) -> None:
    room = fixture_room(FIXTURE)
    gran = Actor("gran-1", Role.family)
    room.refuses(gran, case_for(op_type, FIXTURE, "family").op, "forbidden")


def test_a_card_a_professional_changed_still_belongs_to_the_family() -> None:
    room = fixture_room(FIXTURE)
    mum, social_worker = FIXTURE.actor(Role.family), FIXTURE.actor(Role.professional)
    card_id = FIXTURE.cards["family"]
    room.do(social_worker, {"type": "edit_card", "card_id": card_id, "base_version": 1, "text": "He likes school"})
    room.do(mum, {"type": "edit_card", "card_id": card_id, "base_version": 2, "text": "He loves school"})
    found = room.state.find(card_id)
    assert found is not None and found[2].text == "He loves school"
    assert found[2].author_id == "mum-1"


def test_permission_is_checked_before_the_version() -> None:
    """A family member with an old view of a professional's card is told they may not change it at all."""
    room = fixture_room(FIXTURE)
    card_id = FIXTURE.cards["professional"]
    room.do(
        FIXTURE.actor(Role.professional), {"type": "edit_card", "card_id": card_id, "base_version": 1, "text": "v2"}
    )
    room.refuses(
        FIXTURE.actor(Role.family),
        {"type": "edit_card", "card_id": card_id, "base_version": 1, "text": "mine"},
        "forbidden",
    )


@pytest.mark.parametrize("role", [Role.projector, Role.observer])
def test_watchers_are_refused_even_what_does_not_exist(role: Role) -> None:
    """A refusal to a watcher says only that they may not: never whether the item is there."""
    room = fixture_room(FIXTURE)
    room.refuses(
        FIXTURE.actor(role),
        {"type": "edit_statement", "statement_id": "nope", "base_version": 9, "behaviour": "x"},
        "forbidden",
    )
