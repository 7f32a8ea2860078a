"""What each connection may receive, decided on the server per role and participant, checked with canary text.

One scripted conference: items added during a closed part, an item the chair restricts afterwards, a child's words
shared without consent, and a scaling round where five people answer (one through the chair). For every viewer,
the snapshot (`meeting_for`) and every event (`changes_for`, plus the operation itself when the event is whole),
serialised to JSON, must hold no restricted text for the family or the room screen, and nobody's unrevealed
value or reason but the viewer's own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from app.domain.board import CardChange
from app.domain.changes import AnyChange
from app.domain.errors import CardAlreadyExists
from app.domain.roles import Role
from app.domain.scaling import Answer, AnswerChange
from app.domain.state import MeetingState
from app.domain.visibility import View, Viewer, audience_of, board_for_view, changes_for, meeting_for
from tests.support.conference_ops import ConferenceRoom, MeetingFixture, fixture_room

from ._support import CHAIR, MUM, SOCIAL_WORKER, TEACHER, said

F = MeetingFixture()

VIEWERS = {
    "chair": Viewer("chair-1", Role.chair),
    "social worker": Viewer("sw-1", Role.professional),
    "teacher": Viewer("school-1", Role.professional),
    "observer": Viewer("minutes-1", Role.observer),
    "mum": Viewer("mum-1", Role.family),
    "gran": Viewer("gran-1", Role.family),
    "projector": Viewer("projector-1", Role.projector),
}
FAMILY_SCREENS = ("mum", "gran", "projector")

# Text that must never reach a family or room-screen connection.
KEPT_FROM_FAMILY = [
    "CANARY-CLOSED-CARD",
    "CANARY-CLOSED-STATEMENT",
    "CANARY-CLOSED-GOAL",
    "CANARY-CLOSED-NETWORK",
    "CANARY-CLOSED-STEP",
    "CANARY-CLOSED-ROUND",
    "CANARY-CLOSED-ANSWER",
    "CANARY-CLOSED-DECISION",
    "CANARY-CLOSED-NOTE",
    "CANARY-CLOSED-WORDS",
    "CANARY-MARKED-CARD",
    "CANARY-UNSHARED-WORDS",
]
# An unrevealed answer's reason, and whose device submitted it: the only connection that may receive it.
REASONS = {
    "CANARY-SW-REASON": "sw-1",
    "CANARY-TEACHER-REASON": "school-1",
    "CANARY-MUM-REASON": "mum-1",
    "CANARY-GRAN-REASON": "chair-1",
    "CANARY-CHAIR-REASON": "chair-1",
    "CANARY-CLOSED-ANSWER": "sw-1",
}


def _conference() -> ConferenceRoom:
    room = fixture_room(F)
    room.do(
        SOCIAL_WORKER,
        {"type": "add_card", "card_id": "marked", "column": "worries", "kind": "harm", "text": "CANARY-MARKED-CARD"},
    )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_child_words",
            "voice_id": "unshared",
            "child_id": F.child,
            "house": "worries",
            "words": "CANARY-UNSHARED-WORDS",
        },
    )

    room.do(CHAIR, {"type": "start_closed_part"})
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_card",
            "card_id": "closed-card",
            "column": "worries",
            "kind": "harm",
            "text": "CANARY-CLOSED-CARD",
        },
    )
    room.do(
        SOCIAL_WORKER,
        {"type": "add_statement", "statement_id": "closed-statement", "behaviour": "CANARY-CLOSED-STATEMENT"},
    )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "set_safety_goal",
            "statement_id": "closed-statement",
            "base_version": 0,
            "adults_will": "CANARY-CLOSED-GOAL",
        },
    )
    room.do(
        SOCIAL_WORKER, {"type": "add_network_member", "member_id": "closed-member", "name": "CANARY-CLOSED-NETWORK"}
    )
    room.do(SOCIAL_WORKER, {"type": "add_step", "step_id": "closed-step", "what": "CANARY-CLOSED-STEP"})
    room.do(CHAIR, {"type": "open_round", "round_id": "closed-round", "question": "CANARY-CLOSED-ROUND"})
    room.do(
        SOCIAL_WORKER,
        {"type": "answer_round", "round_id": "closed-round", "value": 1, "reason": "CANARY-CLOSED-ANSWER"},
    )
    room.do(
        CHAIR,
        {
            "type": "record_decision",
            "child_id": F.spare_child,
            "base_version": 0,
            "outcome": "no_plan",
            "reasons": "CANARY-CLOSED-DECISION",
        },
    )
    room.do(
        CHAIR,
        {
            "type": "add_decision_note",
            "child_id": F.child,
            "kind": "dissent",
            "who": "Police",
            "reason": "CANARY-CLOSED-NOTE",
        },
    )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_child_words",
            "voice_id": "closed-words",
            "child_id": F.child,
            "house": "dreams",
            "words": "CANARY-CLOSED-WORDS",
            "shared": True,
        },
    )
    room.do(CHAIR, {"type": "set_focus", "entity": "card", "item_id": "closed-card"})
    room.do(CHAIR, {"type": "end_closed_part"})

    room.do(CHAIR, {"type": "set_restricted", "entity": "card", "item_id": "marked", "restricted": True})

    room.do(SOCIAL_WORKER, {"type": "answer_round", "round_id": F.round, "value": 3, "reason": "CANARY-SW-REASON"})
    room.do(TEACHER, {"type": "answer_round", "round_id": F.round, "value": 5, "reason": "CANARY-TEACHER-REASON"})
    room.do(MUM, {"type": "answer_round", "round_id": F.round, "value": 8, "reason": "CANARY-MUM-REASON"})
    room.do(
        CHAIR,
        {
            "type": "answer_for",
            "round_id": F.round,
            "attendee_id": F.attendee,
            "value": 9,
            "reason": "CANARY-GRAN-REASON",
        },
    )
    room.do(CHAIR, {"type": "answer_round", "round_id": F.round, "value": 4, "reason": "CANARY-CHAIR-REASON"})
    return room


def _forbidden(viewer: Viewer, revealed: bool = False) -> list[str]:
    kept = [] if viewer.sees_restricted else KEPT_FROM_FAMILY
    others = [] if revealed else [reason for reason, author in REASONS.items() if author != viewer.participant_id]
    return sorted({*kept, *others})


def _events(room: ConferenceRoom, viewer: Viewer) -> Iterator[tuple[int, str]]:
    """Each event as this viewer receives it (with its seq): the changes it may see, and the operation when it
    sees them all."""
    for seq, applied in enumerate(room.applied, start=1):
        shown, whole = changes_for(applied.changes, viewer)
        yield seq, "[" + ",".join(change.model_dump_json() for change in shown) + "]"
        if whole:
            yield seq, applied.op.model_dump_json()


def _marked_at(room: ConferenceRoom) -> int:
    """The seq at which the chair restricted the card everyone had seen: before it, the family saw that card."""
    return next(seq for seq, a in enumerate(room.applied, start=1) if a.op.type == "set_restricted")


def _answers_seen(state: MeetingState) -> list[Answer]:
    return list(state.answers)


def _values_leak(answers: list[Answer], viewer: Viewer) -> list[str]:
    return [
        a.id
        for a in answers
        if not a.revealed and a.submitted_by != viewer.participant_id and (a.value is not None or a.reason is not None)
    ]


def test_the_script_holds_what_it_claims() -> None:
    """The canaries really are in the meeting, so finding none of them on a screen means something."""
    room = _conference()
    everything = room.state.model_dump_json()
    for canary in [*KEPT_FROM_FAMILY, *REASONS]:
        assert canary in everything, canary
    assert room.state.closed_part.parts and not room.state.closed_part.active
    assert len([a for a in room.state.answers if a.round_id == F.round]) == 5


@pytest.mark.parametrize("name", VIEWERS)
def test_a_snapshot_holds_nothing_its_viewer_may_not_see(name: str) -> None:
    viewer = VIEWERS[name]
    room = _conference()
    snapshot = meeting_for(room.state, viewer)
    text = snapshot.model_dump_json()
    assert [canary for canary in _forbidden(viewer) if canary in text] == []
    assert _values_leak(_answers_seen(snapshot), viewer) == []


@pytest.mark.parametrize("name", VIEWERS)
def test_no_event_carries_anything_its_viewer_may_not_see(name: str) -> None:
    viewer = VIEWERS[name]
    room = _conference()
    forbidden = _forbidden(viewer)
    for seq, event in _events(room, viewer):
        owed = [c for c in forbidden if c != "CANARY-MARKED-CARD"] if seq < _marked_at(room) else forbidden
        assert [canary for canary in owed if canary in event] == [], event
    for applied in room.applied:
        shown, _ = changes_for(applied.changes, viewer)
        answers = [c.value for c in shown if isinstance(c, AnswerChange) and c.value is not None]
        assert _values_leak(answers, viewer) == []


@pytest.mark.parametrize("name", ["chair", "social worker", "teacher", "observer"])
def test_professionals_see_everything_restricted(name: str) -> None:
    room = _conference()
    snapshot = meeting_for(room.state, VIEWERS[name])
    assert snapshot.model_dump(exclude={"answers"}) == room.state.model_dump(exclude={"answers"})
    text = "".join(event for _, event in _events(room, VIEWERS[name]))
    owed = [c for c in KEPT_FROM_FAMILY if c not in _forbidden(VIEWERS[name])]
    assert owed and [canary for canary in owed if canary not in text] == []


@pytest.mark.parametrize("name", FAMILY_SCREENS)
def test_the_family_and_the_room_screen_see_the_rest_of_the_meeting(name: str) -> None:
    room = _conference()
    snapshot = meeting_for(room.state, VIEWERS[name])
    assert [card.id for card in snapshot.cards()] == [F.cards[who] for who in ("chair", "professional", "family")]
    assert [s.id for s in snapshot.statements] == list(F.statements.values())
    assert [r.id for r in snapshot.rounds] == [F.round]
    assert [v.id for v in snapshot.voices] == list(F.voices.values())
    assert [d.id for d in snapshot.decisions] == [F.child]
    assert [n.id for n in snapshot.decision_notes] == [F.note]
    assert snapshot.focus is None, "the focus is on a closed-part card"
    assert snapshot.closed_part == room.state.closed_part and snapshot.attendees == room.state.attendees
    assert snapshot.phase == room.state.phase and snapshot.children == room.state.children


def test_the_room_screen_sees_what_a_family_member_without_answers_sees() -> None:
    room = _conference()
    assert meeting_for(room.state, VIEWERS["projector"]) == meeting_for(room.state, VIEWERS["gran"])
    assert board_for_view(room.state, View.room_screen) == meeting_for(room.state, VIEWERS["projector"])


@pytest.mark.parametrize("name", VIEWERS)
def test_before_the_reveal_everyone_learns_who_has_answered_and_only_the_author_what(name: str) -> None:
    viewer = VIEWERS[name]
    room = _conference()
    answers = {a.id: a for a in meeting_for(room.state, viewer).answers if a.round_id == F.round}
    assert set(answers) == {f"{F.round}--{who}" for who in ("sw-1", "school-1", "mum-1", F.attendee, "chair-1")}
    own = {answer_id for answer_id, a in answers.items() if a.value is not None}
    expected = {a.id for a in room.state.answers if a.round_id == F.round and a.submitted_by == viewer.participant_id}
    assert own == expected
    for answer_id in own:
        assert answers[answer_id] == next(a for a in room.state.answers if a.id == answer_id)


def test_the_author_sees_their_own_answer_and_the_chair_the_ones_they_entered() -> None:
    room = _conference()
    mine = {a.id: (a.value, a.reason) for a in meeting_for(room.state, VIEWERS["mum"]).answers if a.value is not None}
    assert mine == {f"{F.round}--mum-1": (8, "CANARY-MUM-REASON")}
    chairs = {a.id: a.value for a in meeting_for(room.state, VIEWERS["chair"]).answers if a.value is not None}
    assert chairs == {f"{F.round}--{F.attendee}": 9, f"{F.round}--chair-1": 4}


def test_after_the_reveal_everyone_sees_the_same_answers() -> None:
    room = _conference()
    room.do(CHAIR, {"type": "reveal_round", "round_id": F.round})
    room.do(CHAIR, {"type": "reveal_round", "round_id": "closed-round"})
    full = [
        meeting_for(room.state, VIEWERS[name]).answers for name in ("chair", "social worker", "teacher", "observer")
    ]
    family = [meeting_for(room.state, VIEWERS[name]).answers for name in FAMILY_SCREENS]
    assert all(answers == room.state.answers for answers in full)
    assert all(answers == family[0] for answers in family)
    assert {(a.id, a.value, a.reason) for a in family[0]} == {
        (a.id, a.value, a.reason) for a in room.state.answers if a.round_id == F.round
    }
    assert {a.value for a in family[0]} == {3, 5, 8, 9, 4}
    text = meeting_for(room.state, VIEWERS["gran"]).model_dump_json()
    assert "CANARY-SW-REASON" in text and "CANARY-CLOSED-ANSWER" not in text, (
        "a revealed closed-part round stays closed"
    )


def test_the_reveal_event_shows_every_answer_to_everyone_who_may_see_the_round() -> None:
    room = _conference()
    reveal = room.do(CHAIR, {"type": "reveal_round", "round_id": F.round})
    seen = {name: changes_for(reveal.changes, viewer)[0] for name, viewer in VIEWERS.items()}
    assert all(said(changes) == said(reveal.changes) for changes in seen.values())
    assert all(changes_for(reveal.changes, viewer)[1] for viewer in VIEWERS.values())


def test_a_childs_words_without_consent_never_reach_the_family() -> None:
    room = _conference()
    add = next(a for a in room.applied if a.target_id == "unshared")
    for name in FAMILY_SCREENS:
        shown, whole = changes_for(add.changes, VIEWERS[name])
        assert not whole and shown == (), "not even its removal: the family never had it"
        assert "unshared" not in [v.id for v in meeting_for(room.state, VIEWERS[name]).voices]
    assert changes_for(add.changes, VIEWERS["teacher"]) == (add.changes, True)


def test_restricting_an_item_the_family_had_seen_takes_it_off_their_screen() -> None:
    room = _conference()
    restrict = next(a for a in room.applied if a.op.type == "set_restricted")
    for name in FAMILY_SCREENS:
        shown, whole = changes_for(restrict.changes, VIEWERS[name])
        assert shown == (CardChange(id="marked", value=None, position=None),) and not whole


def test_lifting_a_restriction_makes_the_item_appear_on_every_screen() -> None:
    room = _conference()
    lift = room.do(CHAIR, {"type": "set_restricted", "entity": "card", "item_id": "marked", "restricted": False})
    card = room.state.find("marked")
    assert card is not None
    for name in FAMILY_SCREENS:
        viewer = VIEWERS[name]
        shown, whole = changes_for(lift.changes, viewer)
        assert whole and said(shown) == said((CardChange(id="marked", value=card[2]),))
        family_cards = meeting_for(room.state, viewer).columns[card[0]]
        assert shown[0].position == [c.id for c in family_cards].index("marked"), "where a fresh snapshot puts it"
        assert "CANARY-MARKED-CARD" in meeting_for(room.state, viewer).model_dump_json()

    room.do(
        CHAIR, {"type": "set_restricted", "entity": "statement", "item_id": "closed-statement", "restricted": False}
    )
    statements = meeting_for(room.state, VIEWERS["mum"]).statements
    lifted = next(s for s in statements if s.id == "closed-statement")
    assert [s.id for s in statements] == [s.id for s in room.state.statements], "in the order everyone sees"
    assert lifted.goal is not None and lifted.goal.adults_will == "CANARY-CLOSED-GOAL"


def test_lifting_the_restriction_of_a_closed_round_shows_its_answers_as_answered() -> None:
    room = _conference()
    room.do(CHAIR, {"type": "set_restricted", "entity": "round", "item_id": "closed-round", "restricted": False})
    answers = [a for a in meeting_for(room.state, VIEWERS["mum"]).answers if a.round_id == "closed-round"]
    assert [(a.id, a.value, a.reason) for a in answers] == [("closed-round--sw-1", None, None)], "still unrevealed"


def _audience_groups(changes: tuple[AnyChange, ...]) -> dict[object, list[Viewer]]:
    groups: dict[object, list[Viewer]] = {}
    for viewer in VIEWERS.values():
        groups.setdefault(audience_of(changes, viewer), []).append(viewer)
    return groups


def test_viewers_in_the_same_audience_receive_the_same_bytes() -> None:
    """The server encodes each event once per audience, so every viewer in one must be owed the same event."""
    room = _conference()
    room.do(CHAIR, {"type": "reveal_round", "round_id": F.round})
    for applied in room.applied:
        for viewers in _audience_groups(applied.changes).values():
            events = {
                (
                    tuple(c.model_dump_json() for c in changes_for(applied.changes, v)[0]),
                    changes_for(applied.changes, v)[1],
                )
                for v in viewers
            }
            assert len(events) == 1, (applied.op, [v.participant_id for v in viewers])


def test_an_unrevealed_answer_makes_three_audiences_the_author_the_others_and_the_family() -> None:
    room = _conference()
    answer = next(a for a in room.applied if a.target_id == f"{F.round}--sw-1")
    groups = _audience_groups(answer.changes)
    assert sorted(sorted(v.participant_id for v in viewers) for viewers in groups.values()) == [
        ["chair-1", "minutes-1", "school-1"],
        ["gran-1", "mum-1", "projector-1"],
        ["sw-1"],
    ]


def test_changes_that_hide_nothing_reach_everyone_whole() -> None:
    room = _conference()
    everyone = [a for a in room.applied if a.op.type in ("add_child", "add_attendee", "end_closed_part")]
    assert everyone
    for applied, viewer in itertools.product(everyone, VIEWERS.values()):
        assert changes_for(applied.changes, viewer) == (applied.changes, True)


def test_deleting_an_item_the_family_never_had_tells_them_nothing_of_it() -> None:
    """Not even its id: a removal goes only to screens that had the item."""
    room = _conference()
    note = next(n for n in room.state.decision_notes if n.restricted)
    hidden = {
        "closed-card": {"type": "delete_card", "card_id": "closed-card", "base_version": 1},
        "closed-statement": {"type": "delete_statement", "statement_id": "closed-statement", "base_version": 1},
        "closed-member": {"type": "remove_network_member", "member_id": "closed-member", "base_version": 1},
        "closed-step": {"type": "delete_step", "step_id": "closed-step", "base_version": 1},
        "closed-words": {"type": "delete_child_words", "voice_id": "closed-words", "base_version": 1},
        "unshared": {"type": "delete_child_words", "voice_id": "unshared", "base_version": 1},
        note.id: {"type": "remove_decision_note", "note_id": note.id},
        "marked": {"type": "delete_card", "card_id": "marked", "base_version": 1},
    }
    for item_id, op in hidden.items():
        deleted = room.do(SOCIAL_WORKER if item_id != note.id else CHAIR, op)
        for name in FAMILY_SCREENS:
            assert changes_for(deleted.changes, VIEWERS[name]) == ((), False), item_id
        assert changes_for(deleted.changes, VIEWERS["teacher"]) == (deleted.changes, True)


def test_deleting_an_item_the_family_had_takes_it_off_their_screen() -> None:
    room = fixture_room(F)
    room.do(SOCIAL_WORKER, {"type": "add_card", "card_id": "seen", "column": "worries", "kind": "harm", "text": "x"})
    deleted = room.do(SOCIAL_WORKER, {"type": "delete_card", "card_id": "seen", "base_version": 1})
    for name in FAMILY_SCREENS:
        assert changes_for(deleted.changes, VIEWERS[name]) == (deleted.changes, True)


def test_a_card_the_family_adds_with_the_id_of_one_kept_from_them_gets_a_new_id() -> None:
    """Refused as taken, the family would learn that a card they may not see exists."""
    room = _conference()
    added = room.do(
        MUM, {"type": "add_card", "card_id": "closed-card", "column": "worries", "kind": "harm", "text": "x"}
    )
    assert added.target_id != "closed-card" and added.op.card_id == added.target_id  # type: ignore[union-attr]
    assert room.state.find("closed-card") is not None and room.state.find(added.target_id) is not None
    with pytest.raises(CardAlreadyExists):  # a card they can see: taken, as for anyone
        room.do(MUM, {"type": "add_card", "card_id": added.target_id, "column": "worries", "kind": "harm", "text": "y"})
    with pytest.raises(CardAlreadyExists):  # a professional sees the hidden card: told it is taken
        room.do(
            SOCIAL_WORKER,
            {"type": "add_card", "card_id": "closed-card", "column": "worries", "kind": "harm", "text": "y"},
        )
