"""Safety scaling: the chair opens a round (overall or for one danger statement; start or end), everyone gives
0 to 10 and a reason on their own, the chair enters answers for people without a device, and reveals the round.
(What each screen receives before the reveal is in test_visibility.py.)"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.scaling import (
    Answer,
    AnswerChange,
    AnswerFor,
    AnswerRound,
    OpenRound,
    RevealRound,
    Round,
    RoundChange,
    RoundLabel,
)
from tests.support.conference_ops import START, ConferenceRoom

from ._support import CHAIR, MUM, SOCIAL_WORKER, TEACHER, said


def _room_with_round() -> ConferenceRoom:
    room = ConferenceRoom()
    room.do(CHAIR, {"type": "add_attendee", "attendee_id": "gran", "name": "Gran", "group": "family"})
    room.do(SOCIAL_WORKER, {"type": "add_statement", "statement_id": "s1", "behaviour": "Dad drinks"})
    room.do(CHAIR, OpenRound(round_id="r1", label=RoundLabel.start, question="How safe is Amy at home?"))
    return room


def _answers(room: ConferenceRoom) -> dict[str, tuple[int | None, str | None]]:
    return {answer.id: (answer.value, answer.reason) for answer in room.state.answers}


def test_the_chair_opens_an_overall_round() -> None:
    room = _room_with_round()
    opened_at = room.log[-1][3]
    assert room.state.rounds == (
        Round(
            id="r1",
            label=RoundLabel.start,
            question="How safe is Amy at home?",
            opened_by="chair-1",
            opened_at=opened_at,
        ),
    )
    assert said(room.applied[-1].changes) == said((RoundChange(id="r1", value=room.state.rounds[0]),))


def test_start_and_end_rounds_for_each_statement_stand_side_by_side() -> None:
    room = _room_with_round()
    room.do(CHAIR, OpenRound(statement_id="s1", label=RoundLabel.start))
    room.do(CHAIR, OpenRound(statement_id="s1", label=RoundLabel.end))
    room.do(CHAIR, OpenRound(label=RoundLabel.end))
    assert [(r.statement_id, r.label) for r in room.state.rounds] == [
        (None, RoundLabel.start),
        ("s1", RoundLabel.start),
        ("s1", RoundLabel.end),
        (None, RoundLabel.end),
    ]
    assert [r.id for r in room.state.rounds][1:] == ["srv-4", "srv-5", "srv-6"]


def test_a_round_for_a_statement_that_is_not_there_is_refused() -> None:
    room = _room_with_round()
    room.refuses(CHAIR, OpenRound(statement_id="gone"), "item_not_found")
    room.refuses(CHAIR, OpenRound(round_id="r1"), "invalid_operation")


def test_everyone_answers_on_their_own_and_answering_again_replaces_the_answer() -> None:
    room = _room_with_round()
    room.do(SOCIAL_WORKER, AnswerRound(round_id="r1", value=3, reason="Police called twice"))
    room.do(MUM, AnswerRound(round_id="r1", value=8, reason="He has stopped drinking"))
    room.do(SOCIAL_WORKER, AnswerRound(round_id="r1", value=4, reason="Police called twice, but Gran helps"))
    assert _answers(room) == {
        "r1--sw-1": (4, "Police called twice, but Gran helps"),
        "r1--mum-1": (8, "He has stopped drinking"),
    }
    mine = room.state.answers[0]
    assert (mine.participant_id, mine.role, mine.submitted_by, mine.entered_by_chair) == (
        "sw-1",
        "professional",
        "sw-1",
        False,
    )
    assert not mine.revealed


def test_the_chair_enters_the_answer_of_someone_without_a_device() -> None:
    room = _room_with_round()
    applied = room.do(CHAIR, AnswerFor(round_id="r1", attendee_id="gran", value=9, reason="I am there every day"))
    (answer,) = room.state.answers
    assert answer == Answer(
        id="r1--gran",
        round_id="r1",
        attendee_id="gran",
        submitted_by="chair-1",
        entered_by_chair=True,
        value=9,
        reason="I am there every day",
        answered_at=answer.answered_at,
    )
    assert said(applied.changes) == said((AnswerChange(id="r1--gran", value=answer),))
    room.refuses(CHAIR, AnswerFor(round_id="r1", attendee_id="nobody", value=1), "item_not_found")


def test_an_answer_to_a_round_that_was_never_opened_is_refused() -> None:
    room = _room_with_round()
    room.refuses(MUM, AnswerRound(round_id="r2", value=5), "round_not_open")
    room.refuses(CHAIR, AnswerFor(round_id="r2", attendee_id="gran", value=5), "round_not_open")


def test_the_chair_reveals_the_round_and_every_answer_with_it() -> None:
    room = _room_with_round()
    room.do(SOCIAL_WORKER, AnswerRound(round_id="r1", value=3))
    room.do(CHAIR, AnswerFor(round_id="r1", attendee_id="gran", value=9))
    room.do(CHAIR, OpenRound(round_id="r2"))
    room.do(TEACHER, AnswerRound(round_id="r2", value=5))
    revealed_at = room.now

    applied = room.do(CHAIR, RevealRound(round_id="r1"))

    first, second = room.state.rounds
    assert (first.revealed, first.revealed_at) == (True, revealed_at)
    assert not second.revealed
    assert [(a.id, a.revealed) for a in room.state.answers] == [
        ("r1--sw-1", True),
        ("r1--gran", True),
        ("r2--school-1", False),
    ]
    assert said(applied.changes) == said(
        (
            RoundChange(id="r1", value=first),
            AnswerChange(id="r1--sw-1", value=room.state.answers[0]),
            AnswerChange(id="r1--gran", value=room.state.answers[1]),
        )
    )


def test_after_the_reveal_the_round_takes_no_more_answers_and_cannot_be_revealed_again() -> None:
    room = _room_with_round()
    room.do(MUM, AnswerRound(round_id="r1", value=8))
    room.do(CHAIR, RevealRound(round_id="r1"))
    room.refuses(MUM, AnswerRound(round_id="r1", value=2), "round_not_open")
    room.refuses(CHAIR, AnswerFor(round_id="r1", attendee_id="gran", value=2), "round_not_open")
    room.refuses(CHAIR, RevealRound(round_id="r1"), "round_already_revealed")
    assert _answers(room) == {"r1--mum-1": (8, "")}


def test_revealing_a_round_that_is_not_there_is_refused() -> None:
    room = _room_with_round()
    room.refuses(CHAIR, RevealRound(round_id="r2"), "item_not_found")


def test_a_round_can_be_revealed_before_anyone_answers() -> None:
    room = _room_with_round()
    room.do(CHAIR, RevealRound(round_id="r1"))
    assert room.state.rounds[0].revealed and room.state.answers == ()


def test_answers_are_whole_numbers_from_nought_to_ten() -> None:
    for value in (-1, 11):
        with pytest.raises(ValidationError):
            AnswerRound(round_id="r1", value=value)
    room = _room_with_round()
    room.do(MUM, AnswerRound(round_id="r1", value=0))
    room.do(SOCIAL_WORKER, AnswerRound(round_id="r1", value=10))
    assert [a.value for a in room.state.answers] == [0, 10]


def test_the_time_of_each_answer_is_kept() -> None:
    room = _room_with_round()
    at = room.now
    room.do(MUM, AnswerRound(round_id="r1", value=7))
    assert room.state.answers[0].answered_at == at
    assert at > START
