"""Danger statements, each with the family's view of it and the safety goal paired with it: structured, versioned
like cards (a stale edit is refused with the current statement), and whoever wrote one stays its author."""

from __future__ import annotations

import pytest

from app.domain.errors import StaleVersion
from app.domain.statements import (
    GENTLE_LIMIT,
    MAX_STATEMENTS,
    AddStatement,
    Agreement,
    DangerStatement,
    DeleteStatement,
    EditStatement,
    FamilyView,
    SafetyGoal,
    SetFamilyView,
    SetSafetyGoal,
    StatementChange,
)
from tests.support.conference_ops import ConferenceRoom

from ._support import CHAIR, GRAN, MUM, SOCIAL_WORKER, TEACHER, said

WORDS = {
    "who_is_worried": "Children's services and the school",
    "behaviour": "Dad drinks and shouts at Mum at night",
    "impact": "Amy is frightened and too tired to learn",
    "if_nothing_changes": "Amy could be hurt when Dad is drunk",
}


def _room_with_statement() -> ConferenceRoom:
    room = ConferenceRoom()
    room.do(CHAIR, {"type": "add_child", "child_id": "amy", "name": "Amy"})
    room.do(SOCIAL_WORKER, AddStatement(statement_id="s1", child_ids=("amy",), **WORDS))
    return room


def _statement(room: ConferenceRoom) -> DangerStatement:
    return room.state.statements[0]


def test_a_danger_statement_names_who_is_worried_the_behaviour_the_impact_and_what_could_happen() -> None:
    room = _room_with_statement()
    statement = _statement(room)
    assert statement == DangerStatement(id="s1", author_id="sw-1", child_ids=("amy",), **WORDS)
    assert said(room.applied[-1].changes) == said((StatementChange(id="s1", value=statement),))
    assert statement.family_view is None and statement.goal is None and not statement.restricted


def test_a_statement_needs_the_behaviour_the_rest_may_follow() -> None:
    room = ConferenceRoom()
    room.do(SOCIAL_WORKER, AddStatement(behaviour="Mum's partner has hit her"))
    assert (_statement(room).id, _statement(room).impact) == ("srv-1", "")
    assert room.log[0][1] == AddStatement(statement_id="srv-1", behaviour="Mum's partner has hit her")


def test_past_three_statements_nothing_is_refused() -> None:
    """Usually no more than three: the screens warn gently, the rules do not refuse."""
    room = ConferenceRoom()
    for number in range(GENTLE_LIMIT + 2):
        room.do(SOCIAL_WORKER, AddStatement(behaviour=f"Worry {number}"))
    assert len(room.state.statements) == GENTLE_LIMIT + 2


def test_a_meeting_holds_at_most_twenty_statements_and_no_duplicate_ids() -> None:
    room = _room_with_statement()
    room.refuses(SOCIAL_WORKER, AddStatement(statement_id="s1", behaviour="again"), "invalid_operation")
    for number in range(MAX_STATEMENTS - 1):
        room.do(SOCIAL_WORKER, AddStatement(behaviour=f"Worry {number}"))
    room.refuses(SOCIAL_WORKER, AddStatement(behaviour="One too many"), "invalid_operation")


def test_a_colleague_edits_a_statement_and_both_names_show() -> None:
    room = _room_with_statement()
    room.do(
        TEACHER, EditStatement(statement_id="s1", base_version=1, **{**WORDS, "impact": "Amy falls asleep in class"})
    )
    statement = _statement(room)
    assert (statement.impact, statement.version) == ("Amy falls asleep in class", 2)
    assert (statement.author_id, statement.edited_by) == ("sw-1", "school-1"), "authorship never transfers"

    room.do(SOCIAL_WORKER, EditStatement(statement_id="s1", base_version=2, **WORDS))
    statement = _statement(room)
    assert (statement.author_id, statement.edited_by, statement.version) == ("sw-1", "sw-1", 3)


def test_the_author_editing_their_own_statement_shows_no_editor() -> None:
    room = _room_with_statement()
    room.do(SOCIAL_WORKER, EditStatement(statement_id="s1", base_version=1, **{**WORDS, "behaviour": "Dad drinks"}))
    assert (_statement(room).edited_by, _statement(room).version) == (None, 2)


def test_saving_the_same_words_again_is_no_change() -> None:
    room = _room_with_statement()
    room.do(TEACHER, EditStatement(statement_id="s1", base_version=1, child_ids=("amy",), **WORDS))
    assert (_statement(room).version, _statement(room).edited_by) == (1, None)


def test_a_stale_edit_is_refused_with_the_statement_as_it_is_now() -> None:
    room = _room_with_statement()
    room.do(TEACHER, EditStatement(statement_id="s1", base_version=1, **{**WORDS, "behaviour": "Dad drinks daily"}))
    refused = room.refuses(
        SOCIAL_WORKER,
        EditStatement(statement_id="s1", base_version=1, **{**WORDS, "behaviour": "Mine"}),
        "stale_version",
    )
    assert isinstance(refused, StaleVersion)
    assert refused.current == _statement(room)
    assert _statement(room).behaviour == "Dad drinks daily"


def test_deleting_a_statement_needs_the_version_the_user_saw() -> None:
    room = _room_with_statement()
    room.do(TEACHER, EditStatement(statement_id="s1", base_version=1, **{**WORDS, "behaviour": "Changed"}))
    room.refuses(SOCIAL_WORKER, DeleteStatement(statement_id="s1", base_version=1), "stale_version")
    applied = room.do(SOCIAL_WORKER, DeleteStatement(statement_id="s1", base_version=2))
    assert room.state.statements == ()
    assert said(applied.changes) == said((StatementChange(id="s1", value=None),))
    room.refuses(SOCIAL_WORKER, DeleteStatement(statement_id="s1", base_version=2), "item_not_found")
    room.refuses(SOCIAL_WORKER, EditStatement(statement_id="s1", base_version=2, **WORDS), "item_not_found")


def test_a_statement_the_room_has_scaled_stays_on_the_record() -> None:
    room = _room_with_statement()
    room.do(CHAIR, {"type": "open_round", "statement_id": "s1"})
    room.refuses(SOCIAL_WORKER, DeleteStatement(statement_id="s1", base_version=1), "invalid_operation")


def test_the_family_gives_their_view_in_their_own_words() -> None:
    room = _room_with_statement()
    room.do(
        MUM, SetFamilyView(statement_id="s1", base_version=0, agreement=Agreement.disagree, words="He never hit her")
    )
    assert _statement(room).family_view == FamilyView(
        agreement=Agreement.disagree, words="He never hit her", author_id="mum-1"
    )
    assert _statement(room).version == 1, "the family's view does not change the statement's wording"

    room.do(GRAN, SetFamilyView(statement_id="s1", base_version=1, agreement=Agreement.partly, words="Sometimes"))
    view = _statement(room).family_view
    assert view == FamilyView(
        agreement=Agreement.partly, words="Sometimes", author_id="mum-1", edited_by="gran-1", version=2
    )


def test_the_familys_view_never_makes_a_professionals_edit_stale_and_the_other_way_round() -> None:
    room = _room_with_statement()
    room.do(MUM, SetFamilyView(statement_id="s1", base_version=0, agreement=Agreement.not_sure))
    room.do(SOCIAL_WORKER, EditStatement(statement_id="s1", base_version=1, **{**WORDS, "behaviour": "Dad drinks"}))
    room.do(MUM, SetFamilyView(statement_id="s1", base_version=1, agreement=Agreement.agree))
    view = _statement(room).family_view
    assert view is not None and (_statement(room).version, view.version, view.agreement) == (2, 2, Agreement.agree)


def test_a_stale_family_view_is_refused_with_the_whole_statement() -> None:
    room = _room_with_statement()
    room.do(MUM, SetFamilyView(statement_id="s1", base_version=0, agreement=Agreement.agree))
    refused = room.refuses(
        GRAN, SetFamilyView(statement_id="s1", base_version=0, agreement=Agreement.disagree), "stale_version"
    )
    assert isinstance(refused, StaleVersion) and refused.current == _statement(room)


def test_the_chair_can_write_down_the_familys_view_for_them_and_the_view_stays_theirs() -> None:
    room = _room_with_statement()
    room.do(MUM, SetFamilyView(statement_id="s1", base_version=0, agreement=Agreement.disagree, words="no"))
    room.do(CHAIR, SetFamilyView(statement_id="s1", base_version=1, agreement=Agreement.disagree, words="Not true"))
    view = _statement(room).family_view
    assert view is not None and (view.author_id, view.edited_by, view.words) == ("mum-1", "chair-1", "Not true")


def test_each_statement_is_paired_with_a_safety_goal() -> None:
    room = _room_with_statement()
    goal = {
        "adults_will": "Dad will not drink at home",
        "child_will_experience": "Quiet nights",
        "professionals_will_see": "Amy awake and happy at school",
        "how_long": "Six months",
    }
    room.do(TEACHER, SetSafetyGoal(statement_id="s1", base_version=0, **goal))
    assert _statement(room).goal == SafetyGoal(author_id="school-1", **goal)
    assert _statement(room).version == 1

    room.do(SOCIAL_WORKER, SetSafetyGoal(statement_id="s1", base_version=1, **{**goal, "how_long": "A year"}))
    assert _statement(room).goal == SafetyGoal(
        author_id="school-1", edited_by="sw-1", version=2, **{**goal, "how_long": "A year"}
    )
    refused = room.refuses(CHAIR, SetSafetyGoal(statement_id="s1", base_version=1, **goal), "stale_version")
    assert isinstance(refused, StaleVersion) and refused.current == _statement(room)


def test_an_empty_safety_goal_is_refused() -> None:
    room = _room_with_statement()
    room.refuses(
        SOCIAL_WORKER, SetSafetyGoal(statement_id="s1", base_version=0, adults_will="   "), "invalid_operation"
    )


@pytest.mark.parametrize(
    "op",
    [
        SetFamilyView(statement_id="gone", base_version=0, agreement=Agreement.agree),
        SetSafetyGoal(statement_id="gone", base_version=0, adults_will="x"),
        EditStatement(statement_id="gone", base_version=1, behaviour="x"),
        DeleteStatement(statement_id="gone", base_version=1),
    ],
    ids=lambda op: op.type,
)
def test_a_statement_that_is_not_there_is_refused_as_not_found(
    op: SetFamilyView | SetSafetyGoal | EditStatement | DeleteStatement,
) -> None:
    room = _room_with_statement()
    actor = MUM if isinstance(op, SetFamilyView) else SOCIAL_WORKER
    error = room.refuses(actor, op, "item_not_found")
    assert error.message == "That danger statement is not in this meeting (any more)."


def test_a_statement_naming_a_child_not_in_the_meeting_is_refused() -> None:
    room = _room_with_statement()
    room.refuses(SOCIAL_WORKER, AddStatement(behaviour="x", child_ids=("zoe",)), "child_not_found")
    room.refuses(
        SOCIAL_WORKER,
        EditStatement(statement_id="s1", base_version=1, behaviour="x", child_ids=("zoe",)),
        "child_not_found",
    )
