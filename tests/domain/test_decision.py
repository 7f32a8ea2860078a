"""The decision, per child: a Child Protection plan or not, the category, the reasons; each agency's
recommendation and any dissent as the chair records them; and the family's view in their own words."""

from __future__ import annotations

import pytest

from app.domain.decision import (
    AddDecisionNote,
    Category,
    ClearDecision,
    Decision,
    DecisionChange,
    DecisionNote,
    DecisionNoteChange,
    NoteKind,
    PlanOutcome,
    RecordDecision,
    RemoveDecisionNote,
    SetDecisionView,
)
from app.domain.errors import StaleVersion
from app.domain.statements import Agreement, FamilyView
from tests.support.conference_ops import ConferenceRoom

from ._support import CHAIR, GRAN, MUM, said

PLAN = PlanOutcome.child_protection_plan


def _room() -> ConferenceRoom:
    room = ConferenceRoom()
    room.do(CHAIR, {"type": "add_child", "child_id": "amy", "name": "Amy", "age": 7})
    room.do(CHAIR, {"type": "add_child", "child_id": "ben", "name": "Ben", "age": 2})
    return room


def _decision(room: ConferenceRoom, child_id: str = "amy") -> Decision:
    return next(d for d in room.state.decisions if d.child_id == child_id)


def _record(outcome: PlanOutcome = PLAN, base_version: int = 0, **words: object) -> RecordDecision:
    categories = (Category.neglect,) if outcome is PLAN else ()
    return RecordDecision.model_validate(
        {"child_id": "amy", "base_version": base_version, "outcome": outcome, "categories": categories, **words}
    )


def test_the_chair_records_a_decision_for_each_child() -> None:
    room = _room()
    applied = room.do(CHAIR, _record(reasons="Not enough food at home"))
    room.do(CHAIR, RecordDecision(child_id="ben", base_version=0, outcome=PlanOutcome.no_plan, reasons="Safe"))
    amy, ben = _decision(room), _decision(room, "ben")
    assert amy == Decision(
        id="amy",
        child_id="amy",
        author_id="chair-1",
        outcome=PLAN,
        categories=(Category.neglect,),
        reasons="Not enough food at home",
        recorded_by="chair-1",
    )
    assert (ben.outcome, ben.categories) == (PlanOutcome.no_plan, ())
    assert said(applied.changes) == said((DecisionChange(id="amy", value=amy),))


def test_a_plan_can_have_more_than_one_category() -> None:
    room = _room()
    both = (Category.physical_abuse, Category.emotional_abuse)
    room.do(CHAIR, RecordDecision(child_id="amy", base_version=0, outcome=PLAN, categories=both))
    assert _decision(room).categories == both


@pytest.mark.parametrize(
    ("outcome", "categories"),
    [
        (PLAN, ()),
        (PlanOutcome.no_plan, (Category.neglect,)),
        (PLAN, (Category.neglect, Category.neglect)),
    ],
    ids=["plan-without-category", "category-without-plan", "category-twice"],
)
def test_a_decision_and_its_categories_must_agree(outcome: PlanOutcome, categories: tuple[Category, ...]) -> None:
    room = _room()
    room.refuses(
        CHAIR,
        RecordDecision(child_id="amy", base_version=0, outcome=outcome, categories=categories),
        "invalid_operation",
    )


def test_a_decision_for_a_child_not_in_the_meeting_is_refused() -> None:
    room = _room()
    room.refuses(CHAIR, RecordDecision(child_id="zoe", base_version=0, outcome=PlanOutcome.no_plan), "child_not_found")
    room.refuses(MUM, SetDecisionView(child_id="zoe", base_version=0, agreement=Agreement.agree), "child_not_found")


def test_changing_a_decision_is_versioned_and_a_stale_change_gets_the_current_one() -> None:
    room = _room()
    room.do(CHAIR, _record())
    room.do(CHAIR, _record(PlanOutcome.no_plan, base_version=1, reasons="Gran moved in"))
    assert (_decision(room).outcome, _decision(room).version, _decision(room).categories) == (
        PlanOutcome.no_plan,
        2,
        (),
    )
    refused = room.refuses(CHAIR, _record(base_version=1), "stale_version")
    assert isinstance(refused, StaleVersion) and refused.current == _decision(room)
    refused = room.refuses(CHAIR, _record(base_version=0), "stale_version")
    assert refused.current == _decision(room), "a second 'first' decision is stale, not a silent overwrite"


def test_recording_the_same_decision_again_is_no_change() -> None:
    room = _room()
    room.do(CHAIR, _record(reasons="Neglect"))
    room.do(CHAIR, _record(base_version=1, reasons="Neglect"))
    assert _decision(room).version == 1


def test_the_chair_clears_a_decision_recorded_by_mistake() -> None:
    room = _room()
    room.do(CHAIR, _record())
    room.refuses(CHAIR, ClearDecision(child_id="amy", base_version=2), "stale_version")
    room.do(CHAIR, ClearDecision(child_id="amy", base_version=1))
    cleared = _decision(room)
    assert (cleared.outcome, cleared.categories, cleared.reasons, cleared.version) == (None, (), "", 2)
    room.refuses(CHAIR, ClearDecision(child_id="amy", base_version=2), "item_not_found")
    room.refuses(CHAIR, ClearDecision(child_id="ben", base_version=1), "item_not_found")
    room.refuses(CHAIR, ClearDecision(child_id="zoe", base_version=1), "child_not_found")


def test_the_family_gives_their_view_of_the_decision_in_their_own_words() -> None:
    room = _room()
    room.do(CHAIR, _record())
    room.do(MUM, SetDecisionView(child_id="amy", base_version=0, agreement=Agreement.disagree, words="We manage fine"))
    assert _decision(room).family_view == FamilyView(
        agreement=Agreement.disagree, words="We manage fine", author_id="mum-1"
    )
    assert _decision(room).version == 1, "the view does not make the chair's next change stale"
    room.do(CHAIR, _record(base_version=1, reasons="Still not enough food"))

    room.do(GRAN, SetDecisionView(child_id="amy", base_version=1, agreement=Agreement.partly, words="Some days"))
    view = _decision(room).family_view
    assert view == FamilyView(
        agreement=Agreement.partly, words="Some days", author_id="mum-1", edited_by="gran-1", version=2
    )
    refused = room.refuses(
        MUM, SetDecisionView(child_id="amy", base_version=1, agreement=Agreement.agree), "stale_version"
    )
    assert isinstance(refused, StaleVersion) and refused.current == _decision(room)


def test_a_view_given_before_the_decision_is_kept_when_the_chair_records_it() -> None:
    room = _room()
    room.do(MUM, SetDecisionView(child_id="amy", base_version=0, agreement=Agreement.disagree, words="No plan"))
    assert _decision(room).outcome is None
    room.do(CHAIR, _record(reasons="Neglect"))
    decision = _decision(room)
    assert (decision.outcome, decision.reasons) == (PLAN, "Neglect")
    assert decision.recorded_by == "chair-1", "the decision says who recorded it, not who first gave a view"
    assert decision.family_view == FamilyView(agreement=Agreement.disagree, words="No plan", author_id="mum-1")


def test_the_chair_records_each_agencys_recommendation_and_any_dissent() -> None:
    room = _room()
    room.do(
        CHAIR,
        AddDecisionNote(
            note_id="n1",
            child_id="amy",
            kind=NoteKind.recommendation,
            who="Police",
            recommends=PLAN,
            categories=(Category.physical_abuse,),
            reason="Two call-outs",
        ),
    )
    applied = room.do(
        CHAIR, AddDecisionNote(child_id="amy", kind=NoteKind.dissent, who="School", reason="Amy is doing well")
    )
    police, school = room.state.decision_notes
    assert police == DecisionNote(
        id="n1",
        author_id="chair-1",
        child_id="amy",
        kind=NoteKind.recommendation,
        who="Police",
        recommends=PLAN,
        categories=(Category.physical_abuse,),
        reason="Two call-outs",
    )
    assert (school.id, school.kind, school.who, school.reason) == (
        "srv-4",
        NoteKind.dissent,
        "School",
        "Amy is doing well",
    )
    assert said(applied.changes) == said((DecisionNoteChange(id="srv-4", value=school),))

    room.do(CHAIR, RemoveDecisionNote(note_id="n1"))
    assert [n.id for n in room.state.decision_notes] == ["srv-4"]
    room.refuses(CHAIR, RemoveDecisionNote(note_id="n1"), "item_not_found")


@pytest.mark.parametrize(
    "note",
    [
        AddDecisionNote(child_id="amy", kind=NoteKind.recommendation, who="Health"),
        AddDecisionNote(child_id="amy", kind=NoteKind.recommendation, who="Health", recommends=PLAN),
        AddDecisionNote(
            child_id="amy",
            kind=NoteKind.recommendation,
            who="Health",
            recommends=PlanOutcome.no_plan,
            categories=(Category.neglect,),
        ),
    ],
    ids=["no-recommendation", "plan-without-category", "category-without-plan"],
)
def test_a_recommendation_says_what_the_agency_recommends(note: AddDecisionNote) -> None:
    room = _room()
    room.refuses(CHAIR, note, "invalid_operation")


def test_a_note_for_a_child_not_in_the_meeting_is_refused() -> None:
    room = _room()
    room.refuses(CHAIR, AddDecisionNote(child_id="zoe", kind=NoteKind.dissent, who="School"), "child_not_found")


def test_decisions_for_two_children_are_independent() -> None:
    room = _room()
    room.do(CHAIR, _record())
    room.do(CHAIR, RecordDecision(child_id="ben", base_version=0, outcome=PlanOutcome.no_plan))
    room.do(CHAIR, ClearDecision(child_id="ben", base_version=1))
    assert (_decision(room).outcome, _decision(room, "ben").outcome) == (PLAN, None)
