"""The record model: everything a reader needs, names for ids, plain words, and the family's copy exactly what a
family may see."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.attendance import Presence
from app.domain.board import Column
from app.domain.plain_words import flagged_items, glossary_for
from app.domain.roles import Role
from app.domain.state import MeetingState
from app.domain.visibility import Viewer, meeting_for
from app.exports import labels
from app.exports.record import RECORD_VERSION, Record
from app.store.chain import Verification
from tests.exports._meeting import (
    DECISION_REASONS,
    FIRST_STEP,
    PEOPLE,
    PUBLIC_WORDS,
    RESTRICTED_CANARIES,
    UNREVEALED,
)
from tests.exports.conftest import HASH, record_of
from tests.support.conference_ops import ConferenceRoom


def _text(record: Record) -> str:
    return record.model_dump_json()


def test_the_record_names_its_meeting_status_and_version(full: Record) -> None:
    assert full.record_version == RECORD_VERSION == 1
    assert full.meeting.kind_label == "Initial Child Protection conference"
    assert full.meeting.date.isoformat() == "2026-11-30"
    assert full.status.finalised and full.status.label == labels.FINALISED
    assert full.status.finalised_by == "Chris Chair"
    assert full.integrity.hash == HASH and full.integrity.chain_holds
    assert full.integrity.ops == full.integrity.as_of_seq


def test_a_meeting_not_finalised_is_a_draft() -> None:
    draft = record_of(MeetingState(), "full", Verification(True, 0, None, None, None))
    assert not draft.status.finalised
    assert draft.status.label == "Draft — not finalised"
    assert draft.integrity.hash is None and draft.integrity.ops == 0


@pytest.mark.parametrize("canary", RESTRICTED_CANARIES)
def test_the_full_copy_holds_every_restricted_item_marked_as_such(full: Record, canary: str) -> None:
    assert canary in _text(full)


@pytest.mark.parametrize("canary", RESTRICTED_CANARIES)
def test_the_familys_copy_holds_no_restricted_item(family: Record, canary: str) -> None:
    assert canary not in _text(family)


@pytest.mark.parametrize("words", PUBLIC_WORDS)
def test_both_copies_hold_what_the_family_may_see(full: Record, family: Record, words: str) -> None:
    assert words in _text(full) and words in _text(family)


def test_the_familys_copy_is_built_from_what_meeting_for_gives_a_family(
    meeting_state: MeetingState, family: Record
) -> None:
    seen = meeting_for(meeting_state, Viewer("", Role.family))
    assert [c.id for column in family.map for c in column.cards] == [c.id for c in seen.cards()]
    assert [s.id for s in family.danger_statements] == [s.id for s in seen.statements]
    assert [s.id for s in family.plan.steps] == [s.id for s in seen.steps]
    assert [m.id for m in family.safety_network] == [m.id for m in seen.network]
    rounds = [r.id for scale in family.scaling for r in (scale.start, scale.end, *scale.other_rounds) if r]
    assert sorted(rounds) == sorted(r.id for r in seen.rounds)
    words = [w.id for v in family.childs_voice for h in v.houses for w in h.words]
    assert sorted(words) == sorted(w.id for w in seen.voices)
    assert not any(item["restricted"] for item in _items(family.model_dump()))


def _items(data: Any) -> list[dict[str, Any]]:
    """Every object in the record that says whether it is restricted."""
    found: list[dict[str, Any]] = []
    if isinstance(data, dict):
        if "restricted" in data:
            found.append(data)
        for value in data.values():
            found += _items(value)
    elif isinstance(data, list):
        for value in data:
            found += _items(value)
    return found


def test_every_restricted_item_in_the_full_copy_is_marked(full: Record) -> None:
    marked = {item["id"] for item in _items(full.model_dump()) if item["restricted"] and "id" in item}
    assert {"c-restricted", "c-closed", "s-2", "r-closed", "n-hidden", "p-4", "p-5", "note-closed"} <= marked
    assert {"v-restricted", "add-2"} <= marked
    unshared = next(w for v in full.childs_voice for h in v.houses for w in h.words if w.id == "v-unshared")
    assert not unshared.shared, "words the child did not agree to share are marked so"


@pytest.mark.parametrize("copy", ["full", "family"])
def test_a_round_never_revealed_says_only_how_many_answered(meeting_state: MeetingState, copy: str) -> None:
    record = record_of(meeting_state, copy)  # type: ignore[arg-type]
    hidden = next(r for scale in record.scaling for r in scale.other_rounds if r.id == "r-hidden")
    assert not hidden.revealed and hidden.answered == 2
    assert hidden.answers == [] and hidden.lowest is None and hidden.middle is None
    for reason in UNREVEALED:
        assert reason not in _text(record)


def test_scaling_shows_start_and_end_side_by_side_with_each_persons_role(full: Record) -> None:
    overall = full.scaling[0]
    assert overall.statement_id is None and overall.subject.startswith("Overall")
    assert overall.start is not None and overall.end is not None
    assert (overall.start.lowest, overall.start.highest, overall.start.middle) == (3, 7, 6)
    rows = [
        (row.name, row.role_label, row.start and row.start.value, row.end and row.end.value)
        for row in overall.side_by_side()
    ]
    assert rows == [
        ("Sam Worker", "Professional, Children's services", 3, 5),
        ("Jo Parent", "Family", 7, 8),
        ("Gran", "Family", 6, None),
    ]
    gran = overall.start.answers[2]
    assert gran.entered_by_chair and gran.role is None and gran.person_id == "gran"
    statement_scale = full.scaling[1]
    assert statement_scale.subject == "Danger statement 1" and statement_scale.statement_number == 1


def test_the_plan_names_who_does_each_step(full: Record, family: Record) -> None:
    assert [(s.number, s.what, s.who, s.who_kind) for s in full.plan.steps[:3]] == [
        (1, FIRST_STEP, "Gran", "attendee"),
        (2, "Sue visits on Wednesdays", "Aunt Sue", "network"),
        (3, "Referral to the drinking service", "The GP", "person"),
    ]
    assert full.plan.steps[0].by_when == "From 5 December"
    assert full.plan.steps[0].how_we_know == "The school sees Gran at the gate"
    assert full.plan.steps[4].who is None, "nobody named"
    assert full.plan.review_conference is not None and full.plan.review_conference.isoformat() == "2027-03-01"
    assert full.plan.core_group is not None and full.plan.core_group.isoformat() == "2026-12-14"
    assert [s.id for s in family.plan.steps] == ["p-1", "p-2", "p-3"]


def test_the_decision_for_each_child_in_plain_words(full: Record, family: Record) -> None:
    a, b = full.decisions
    assert (a.child, a.outcome_label, [c.label for c in a.categories]) == (
        "A.",
        "A Child Protection plan",
        ["Neglect", "Emotional abuse"],
    )
    assert a.reasons == DECISION_REASONS and a.recorded_by == "Chris Chair"
    assert a.family_view is not None and a.family_view.agreement_label == "Disagrees"
    assert a.family_view.given_by == "Jo Parent"
    assert [(n.who, n.recommends_label) for n in a.recommendations] == [("Police", "A Child Protection plan")]
    assert [n.who for n in a.dissent] == ["Police", "School"]
    assert [n.who for n in family.decisions[0].dissent] == ["School"], "the dissent said in private stays out"
    assert (b.child, b.outcome_label, b.categories) == ("B.", "No Child Protection plan", [])


def test_attendance_says_who_was_there_left_early_and_stepped_out(full: Record) -> None:
    by_name = {a.name: a for a in full.attendance}
    assert by_name["Pat Health"].status is Presence.apologies and by_name["Pat Health"].report_sent
    assert by_name["Officer Dee"].status_label == "Not here"
    teacher = by_name["Lee Teacher"]
    assert teacher.status is Presence.left and teacher.left_at is not None
    gran = by_name["Gran"]
    assert len(gran.stepped_out) == 1 and gran.stepped_out[0].ended_at is not None
    assert gran.stepped_out[0].started_at == full.closed_parts[0].started_at
    assert by_name["Jo Parent"].on_device and by_name["Jo Parent"].confirmed


def test_every_author_has_a_name_never_an_id(full: Record) -> None:
    cards = {c.id: c for column in full.map for c in column.cards}
    assert cards["c-strength"].author == "Jo Parent"
    assert cards["c-complicating"].edited_by == "Chris Chair"
    assert cards["c-harm"].children == ["A."]
    assert [column.column for column in full.map] == list(Column)
    assert full.map[0].heading == "What are we worried about?"
    assert full.danger_statements[0].safety_goal is not None
    assert full.danger_statements[0].safety_goal.author == "Sam Worker"
    assert full.addenda[0].by == "Chris Chair"
    ids = {person.id for person in full.attendance} | {"chair-1", "sw-1", "mum-1", "gran", "n-sue"}
    names = _names(full.model_dump())
    assert not names & ids, f"an id where a name belongs: {names & ids}"


def _names(data: Any) -> set[str]:
    """Every value the model says is a person's name (author, given_by, by, recorded_by, name...)."""
    keys = {"author", "edited_by", "given_by", "by", "recorded_by", "finalised_by", "name", "who"}
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in keys and isinstance(value, str):
                found.add(value)
            found |= _names(value)
    elif isinstance(data, list):
        for value in data:
            found |= _names(value)
    return found


def test_a_person_no_longer_known_is_named_as_such_not_by_id(meeting_state: MeetingState) -> None:
    record = record_of(meeting_state, "full")
    stranger = meeting_state.model_copy(
        update={"addenda": tuple(a.model_copy(update={"author_id": "gone-1"}) for a in meeting_state.addenda)}
    )
    assert record_of(stranger, "full").addenda[0].by == labels.SOMEONE != record.addenda[0].by


def test_the_childs_voice_keeps_all_three_houses(full: Record, family: Record) -> None:
    a = full.childs_voice[0]
    assert [h.heading for h in a.houses] == ["House of worries", "House of good things", "House of dreams"]
    assert [w.words for w in a.houses[1].words] == ["I like my bike"]
    assert a.houses[1].words[0].told_to == "Sam, at school"
    assert family.childs_voice[0].houses[0].words == [], "the worry A. did not agree to share stays out"


def test_addenda_come_with_their_reason_and_time(full: Record, family: Record) -> None:
    assert [(a.number, a.text, a.reason) for a in full.addenda] == [
        (1, "The review is moved to 3 March", "The school asked"),
        (2, "CANARY-ADDENDUM a new report", "Came after"),
    ]
    assert full.addenda[0].at < full.addenda[1].at
    assert [a.id for a in family.addenda] == ["add-1"]


def test_a_broken_chain_is_said_in_the_record(meeting_state: MeetingState) -> None:
    broken = Verification(False, 12, None, 12, "Op 12 is not what was recorded")
    record = record_of(meeting_state, "full", broken)
    assert record.integrity.hash is None and not record.integrity.chain_holds
    assert record.integrity.first_broken_seq == 12


def test_each_copy_explains_the_jargon_it_holds_and_counts_what_is_still_flagged(
    meeting_state: MeetingState, full: Record, family: Record
) -> None:
    family_terms = [w.term for w in family.plain_words.words_explained]
    full_terms = [w.term for w in full.plain_words.words_explained]
    assert {"LADO", "s47 enquiry", "referral"} <= set(family_terms)
    assert family_terms == sorted(family_terms, key=str.casefold)
    assert "PLO" in set(full_terms) - set(family_terms)
    assert "PLO" not in family.model_dump_json(), "a word only a restricted item holds is not explained to the family"
    lado = next(w for w in family.plain_words.words_explained if w.term == "LADO")
    assert lado.plain == "the council officer who looks into worries about adults who work with children"
    seen = meeting_for(meeting_state, Viewer("", Role.family))
    flagged = [item for item in flagged_items(seen, glossary_for()) if not item.own_words]
    assert family.plain_words.still_flagged == len(flagged) >= 3, "the card with LADO and s47, two with 'referral'"
    assert full.plain_words.still_flagged > family.plain_words.still_flagged


def _one_child(decided_while_the_family_was_out: bool) -> MeetingState:
    room = ConferenceRoom()
    chair = PEOPLE["chair"].actor
    room.do(chair, {"type": "add_child", "child_id": "child-a", "name": "A.", "age": 7})
    if decided_while_the_family_was_out:
        room.do(chair, {"type": "start_closed_part"})
        room.do(chair, {"type": "record_decision", "child_id": "child-a", "base_version": 0, "outcome": "no_plan"})
        room.do(chair, {"type": "end_closed_part"})
    return room.state


def test_the_familys_copy_says_the_same_true_words_whether_no_decision_was_made_or_it_was_made_without_them() -> None:
    """ "No decision on this record" told a parent something untrue when the decision was recorded while the family
    had stepped out; other words for that case would tell them it happened."""
    hidden = record_of(_one_child(decided_while_the_family_was_out=True), "family").decisions
    none = record_of(_one_child(decided_while_the_family_was_out=False), "family").decisions
    assert [d.outcome_label for d in hidden] == [d.outcome_label for d in none] == ["No decision is shown in this copy"]
    assert [d.outcome for d in hidden] == [None]
    full = record_of(_one_child(decided_while_the_family_was_out=False), "full").decisions
    assert [d.outcome_label for d in full] == ["No decision on this record"]
